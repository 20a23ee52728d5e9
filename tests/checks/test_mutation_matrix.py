"""The mutation matrix: every check against every flavour of the reference provider.

Each deviant flavour copies an incompatibility seen in the wild. The table below reads as
documentation: for each flavour, the checks that must catch it and the code (``status/reason``)
each must give. Every check a row does not name must `pass` (limits.retry_after: `skip/no_429`,
since a good provider meets the run with no 429). The legal-but-unusual flavours have empty rows:
a conformant client accepts them, so every check must pass (no false fail).

Timing is judged apart: ~70 in-process servers in one run starve each other, so the two checks
that read the clock (streaming.incremental, limits.concurrency) run in a second pass, one
provider at a time, against the flavours that exist to show them (TIMING).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from conformance.checklist import all_checks, with_prerequisites
from conformance.config import ProviderConfig
from conformance.judge import COMMON_REASONS
from conformance.redact import Redactor
from conformance.reference.flavour import KNOWN_DEVIATIONS
from conformance.results import RunResult
from conformance.runner import RunState, run_checks
from conformance.verdict import Status, Verdict
from tests.support.reference import NOTHING_TO_JUDGE

Expectation = str
"""The verdict's code, ``status/reason`` (e.g. ``fail/no_done``): stable, unlike the summary's wording."""

TIMING_CHECKS = ("streaming.incremental", "limits.concurrency")
ALL_TOOL_CALLING = ("tools.auto", "tools.required", "tools.named", "tools.parallel")
VALIDATE_COMPLETIONS = (
    "chat.basic", "chat.multi_turn", "chat.content_parts", "chat.history_recall", "system.role", "system.developer_role",
    "vision.image_input", "tools.none", *ALL_TOOL_CALLING, "tools.strict", "tools.foreign_call_ids", "tools.selection",
    "tools.auto_no_call", "structured.json_object", "structured.json_schema", "params.stop", "params.n", "params.logprobs",
    "params.seed", "params.temperature", "params.optional_fields",
)
"""The checks that validate every completion they receive against the compat schema (a wrong type fails them all)."""
VALIDATE_CHUNKS = ("streaming.sse", "streaming.content", "streaming.usage")
ENVELOPE_OPTIONAL = {
    "auth.missing_key_rejected": "warn/no_envelope",
    "auth.invalid_key_rejected": "warn/no_envelope",
    "models.unknown_rejected": "warn/no_envelope",
    "models.retrieve": "warn/unknown_refused_oddly",
    "params.temperature": "warn/out_of_range_refused_oddly",
    "streaming.errors": "warn/no_envelope",
    "errors.format": "fail/no_envelope",
    "responses.errors": "fail/no_envelope",
}
"""Where an error body without OpenAI's envelope shows: a warning on refusals a client still reads
as refusals, a failure on the checks whose subject is the envelope."""

DEVIANT: dict[str, dict[str, Expectation]] = {
    "no_v1": {"base_url.v1_path": "fail/other_base_works"},
    "auth_not_enforced": {
        "auth.missing_key_rejected": "fail/not_enforced",
        "auth.invalid_key_rejected": "fail/not_enforced",
    },
    "api_key_header": {"auth.bearer": "fail/other_header_works"},
    "query_param_required": {
        "auth.bearer": "error/query_param_required",
        **{c: "skip/prerequisite" for c in (
            "models.list", "models.configured_present", "models.retrieve", "models.unknown_rejected", "chat.basic", "chat.usage",
            "chat.multi_turn", "chat.content_parts", "chat.history_recall", "system.role", "system.developer_role",
            "vision.image_input", "tools.auto", "tools.none", "tools.required", "tools.named", "tools.roundtrip", "tools.parallel",
            "tools.streaming", "tools.strict", "tools.legacy_functions", "tools.foreign_call_ids", "tools.selection",
            "tools.auto_no_call", "structured.json_object", "structured.json_schema", "params.stop", "params.n", "params.logprobs",
            "params.seed", "params.temperature", "params.optional_fields", "streaming.sse", "streaming.done", "streaming.content",
            "streaming.usage", "streaming.errors", "tokens.max_completion_tokens", "tokens.max_tokens", "errors.status_codes",
            "errors.format", "limits.rate_limit_headers", "responses.basic", "responses.instructions", "responses.streaming",
            "responses.max_output_tokens", "responses.tools", "responses.previous_response_id", "responses.errors", "sdk.chat",
            "sdk.streaming", "sdk.tools", "sdk.responses",
        )},
    },
    "error_detail": ENVELOPE_OPTIONAL,
    "error_html": ENVELOPE_OPTIONAL,
    "error_500_for_bad_request": {
        "errors.status_codes": "fail/not_4xx",
        "params.temperature": "fail/out_of_range_server_error",
        "responses.errors": "fail/server_error",
    },
    "error_200": {
        "errors.status_codes": "fail/not_4xx",
        "errors.format": "skip/no_error_response",
        "params.temperature": "warn/out_of_range_refused_oddly",
        "responses.errors": "fail/accepted",
    },
    "unknown_model_200": {"models.unknown_rejected": "fail/served", "streaming.errors": "skip/prerequisite"},
    "models_bare_array": {
        "models.list": "fail/schema",
        "models.configured_present": "skip/prerequisite",
        "models.retrieve": "skip/prerequisite",
    },
    "models_absent": {
        "models.list": "unsupported/clean_4xx",
        "models.configured_present": "skip/prerequisite",
        "models.retrieve": "skip/prerequisite",
    },
    "model_retrieve_missing": {"models.retrieve": "fail/missing"},
    "no_done": {
        "streaming.done": "fail/no_done",
        "streaming.usage": "warn/no_done",
    },
    "ndjson_stream": {
        **{check: "fail/not_sse" for check in ("streaming.sse", "streaming.done", "streaming.content", "streaming.usage", "tools.streaming")},
        "sdk.streaming": "fail/sdk_raised",
        "sdk.tools": "fail/sdk_raised",
    },
    "include_usage_ignored": {"streaming.usage": "fail/ignored", "sdk.streaming": "warn/no_usage"},
    "stream_error_event": {"streaming.errors": "fail/error_in_stream"},
    "stream_error_midway": {
        **{check: "fail/stream_error" for check in (
            "streaming.sse", "streaming.done", "streaming.content", "streaming.usage", "tokens.max_completion_tokens", "tokens.max_tokens",
            "sdk.streaming",
        )},
    },
    "usage_missing": {"chat.usage": "fail/no_usage"},
    "usage_wrong": {
        "chat.usage": "fail/wrong_total",
        "streaming.usage": "fail/wrong_total",
    },
    "created_string": {
        **{check: "fail/schema" for check in VALIDATE_COMPLETIONS},
        **{check: "fail/bad_chunk" for check in VALIDATE_CHUNKS},
        "tools.roundtrip": "skip/prerequisite",
        # A foreign id is only judged once the provider's own round trip works.
        "tools.foreign_call_ids": "skip/prerequisite",
        # Informational: a broken answer to the deprecated functions is a warning, never a failure.
        "tools.legacy_functions": "warn/bad_completion",
    },
    "tool_args_object": {
        **{check: "fail/schema" for check in (*ALL_TOOL_CALLING, "tools.strict", "tools.selection")},
        "tools.streaming": "fail/bad_delta",
        "tools.roundtrip": "skip/prerequisite",
        # A foreign id is only judged once the provider's own round trip works.
        "tools.foreign_call_ids": "skip/prerequisite",
        "sdk.tools": "fail/bad_arguments",
    },
    "tools_ignored": {
        "tools.auto": "warn/answered_in_text",
        "tools.required": "fail/not_enforced",
        "tools.named": "fail/not_called",
        "tools.roundtrip": "skip/prerequisite",
        # A foreign id is only judged once the provider's own round trip works.
        "tools.foreign_call_ids": "skip/prerequisite",
        "tools.parallel": "warn/fewer_calls",
        "tools.streaming": "fail/no_tool_deltas",
        "tools.strict": "fail/not_called",
        "tools.legacy_functions": "warn/ignored",
        "tools.selection": "warn/answered_in_text",
        "sdk.tools": "fail/no_call",
    },
    "tool_choice_none_ignored": {"tools.none": "fail/ignored"},
    "tool_choice_required_ignored": {"tools.required": "fail/not_enforced"},
    "finish_stop_with_tools": {check: "fail/wrong_finish_reason" for check in ("tools.auto", "tools.required", "tools.parallel", "tools.selection")},
    "stream_tool_no_index": {"tools.streaming": "fail/bad_delta", "sdk.tools": "fail/sdk_raised"},
    "strict_tools_rejected": {"tools.strict": "unsupported/clean_4xx"},
    "strict_ignored": {"tools.strict": "fail/bad_arguments"},
    "legacy_functions_rejected": {"tools.legacy_functions": "unsupported/clean_4xx"},
    "foreign_call_ids_rejected": {"tools.foreign_call_ids": "unsupported/clean_4xx"},
    "always_first_tool": {"tools.selection": "warn/wrong_tool", "tools.auto_no_call": "warn/called_anyway"},
    "max_completion_tokens_rejected": {"tokens.max_completion_tokens": "unsupported/clean_4xx"},
    "max_completion_tokens_ignored": {"tokens.max_completion_tokens": "fail/ignored"},
    "system_rejected": {
        "system.role": "unsupported/clean_4xx",
        "system.developer_role": "unsupported/clean_4xx",
    },
    "system_ignored": {"system.role": "fail/dropped", "system.developer_role": "fail/dropped"},
    "developer_rejected": {"system.developer_role": "unsupported/clean_4xx"},
    "content_parts_first_only": {"chat.content_parts": "fail/second_part_dropped"},
    "history_dropped": {"chat.history_recall": "fail/history_dropped"},
    "image_rejected": {"vision.image_input": "unsupported/clean_4xx"},
    "image_500": {"vision.image_input": "fail/server_error"},
    "image_dropped": {"vision.image_input": "fail/image_dropped"},
    "parallel_ignored": {"tools.parallel": "fail/false_ignored"},
    "stop_ignored": {"params.stop": "fail/ignored"},
    "stop_in_stream_delta": {"params.stop": "fail/ignored_in_stream"},
    "n_ignored": {"params.n": "fail/ignored"},
    "logprobs_ignored": {"params.logprobs": "fail/ignored"},
    "seed_ignored": {"params.seed": "warn/not_reproducible"},
    "temperature_unchecked": {"params.temperature": "warn/high_repeats"},
    "newer_fields_rejected": {"params.optional_fields": "warn/newer_fields_refused"},
    "sampling_fields_rejected": {"params.optional_fields": "fail/core_fields_refused"},
    "json_mode_ignored": {"structured.json_object": "fail/not_json", "structured.json_schema": "fail/not_json"},
    "json_fenced": {"structured.json_object": "warn/fenced", "structured.json_schema": "warn/fenced"},
    "json_schema_rejected": {"structured.json_schema": "unsupported/clean_4xx"},
    "rate_limited_no_retry_after": {"limits.retry_after": "warn/no_hint"},
    "responses_absent": {
        "responses.basic": "unsupported/no_responses_api",
        **{c: "skip/prerequisite" for c in (
            "responses.instructions", "responses.streaming", "responses.max_output_tokens", "responses.tools",
            "responses.previous_response_id", "responses.errors", "sdk.responses",
        )},
    },
    "responses_no_event_lines": {"responses.streaming": "warn/no_event_lines"},
    "responses_no_completed": {"responses.streaming": "fail/no_completed", "sdk.responses": "fail/sdk_raised"},
    # The compat schema requires call_id, so its absence fails there (no_call_id is an empty one).
    "responses_no_call_id": {"responses.tools": "fail/schema"},
    "responses_max_output_ignored": {"responses.max_output_tokens": "fail/ignored"},
    "responses_previous_ignored": {"responses.previous_response_id": "fail/ignored"},
    # Tolerated: clients ignore Azure's prompt-filter chunk, the spec does not allow its empty object.
    "azure_filter_preamble": {check: "warn/strict_schema" for check in VALIDATE_CHUNKS},
}

CONFIGURED: dict[str, tuple[str, dict[str, dict[str, str]]]] = {
    "query_param_required+query": ("query_param_required", {"query": {"api-version": "2024-10-21"}}),
}
"""A deviation met with the configuration made for it (providers.yaml's ``query:``): all must pass."""

TIMING: dict[str, dict[str, Expectation]] = {
    "plain": {"streaming.incremental": "pass", "limits.concurrency": "pass"},
    "one_big_chunk": {"streaming.incremental": "pass", "limits.concurrency": "pass"},
    "char_chunks": {"streaming.incremental": "pass", "limits.concurrency": "pass"},
    "buffered_stream": {"streaming.incremental": "warn/one_burst", "limits.concurrency": "pass"},
    "streams_serialized": {"limits.concurrency": "warn/one_at_a_time"},
    # Alone: its cut would reach any other long stream running beside it, as on llama.cpp.
    "streams_cut_by_concurrency": {"limits.concurrency": "fail/stream_cut"},
}
"""Each row runs alone (one provider, only the checks named and their prerequisites)."""

SCHEMA_EVIDENCE: dict[str, tuple[str, str]] = {
    "created_string": ("compat", "$.created"),
    "tool_args_object": ("compat", ".function.arguments"),
    "models_bare_array": ("compat", "$"),
    "azure_filter_preamble": ("strict", "$.object"),
    "responses_no_call_id": ("compat", "$.output[0]"),  # the item that lacks its required call_id
}
"""For flavours caught by a schema: the level and (the end of) the JSON path every schema-judged
verdict of the row must carry in its evidence, so a verdict right only by accident still fails."""

LEGAL: tuple[str, ...] = (
    "sse_no_space",
    "sse_crlf",
    "sse_comments",
    "extra_fields",
    "no_fingerprint",
    "null_content_tools",
    "named_finish_stop",
    "one_big_chunk",
    "char_chunks",
    "hostile_content",
    "rate_limited_once",
)
NOT_IN_THE_MATRIX = {
    "echo_key": "a leak, not an incompatibility: tests/cli/test_redaction_end_to_end.py plants keys through it",
    "flaky_every_other": "deterministically flaky on purpose; its verdicts depend on request order (gating tests use it)",
}
ONLY_TIMING = ("buffered_stream", "streams_serialized", "streams_cut_by_concurrency")
"""Flavours that differ from the plain reference only in timing: judged in the TIMING pass alone."""
CHECKS = [c for c in all_checks() if c.id not in TIMING_CHECKS]
CHECK_IDS = [c.id for c in CHECKS]
DEFAULT: dict[str, Expectation] = {**dict.fromkeys(CHECK_IDS, "pass"), **dict.fromkeys(["limits.retry_after"], "skip/no_429")}


def expected_verdicts(flavour: str) -> dict[str, Expectation]:
    """Every check's expected code; a check the row does not name must pass (with any pass reason)."""
    row = DEVIANT.get(flavour, {})
    if flavour == "rate_limited_once":  # it met a 429, which said when to retry
        row = {"limits.retry_after": "pass/hinted"}
    return {**DEFAULT, **row}


def matches(expected: Expectation, verdict: Verdict) -> bool:
    return verdict.code == expected or (expected == "pass" and verdict.status == Status.PASS)


def reference(name: str, deviations: str = "", **fields: dict[str, str]) -> ProviderConfig:
    base = f"embedded:reference?deviate={deviations}" if deviations else "embedded:reference"
    return ProviderConfig(name=name, base_url=base, models={"chat": "reference-chat", "vision": "reference-vision"}, **fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def matrix() -> Iterator[RunResult]:
    """One run, every flavour side by side, each served by its own embedded reference server."""
    providers = [reference("plain"), *(reference(n, n) for n in [*DEVIANT, *LEGAL]),
                 *(reference(name, flavour, **fields) for name, (flavour, fields) in CONFIGURED.items())]
    state = RunState(providers=providers, checks=CHECKS, redactor=Redactor())
    yield asyncio.run(run_checks(state))


@pytest.fixture(scope="module")
def timing() -> dict[str, RunResult]:
    """Each TIMING row in a run of its own: one provider, only its checks (and their prerequisites)."""
    runs = {}
    for flavour, row in TIMING.items():
        named = [c for c in all_checks() if c.id in row]
        state = RunState(
            providers=[reference(flavour, "" if flavour == "plain" else flavour)], checks=named,
            prerequisites=[c for c in with_prerequisites(named) if c not in named], redactor=Redactor(),
        )
        runs[flavour] = asyncio.run(run_checks(state))
    return runs


def test_every_deviation_is_in_the_table() -> None:
    covered = set(DEVIANT) | set(LEGAL) | set(NOT_IN_THE_MATRIX) | set(ONLY_TIMING)
    assert covered == set(KNOWN_DEVIATIONS)
    assert not set(DEVIANT) & set(LEGAL)
    assert set(ONLY_TIMING) <= set(TIMING) and not set(ONLY_TIMING) & (set(DEVIANT) | set(LEGAL))
    for row in DEVIANT.values():
        assert set(row) <= set(CHECK_IDS)
        assert any(not code.startswith("pass") for code in row.values()), "a deviant flavour must be caught by some check"


def test_every_expected_code_is_one_its_check_can_give() -> None:
    declared = {c.id: set(c.reasons) | set(COMMON_REASONS) for c in all_checks()}
    for flavour, row in [*DEVIANT.items(), *TIMING.items()]:
        for check, code in row.items():
            assert code == "pass" or code in declared[check], f"{flavour}: {check} cannot give {code}"


def test_the_plain_reference_passes_everything(matrix: RunResult) -> None:
    got = {v.check_id: v.code for v in matrix.verdicts if v.provider == "plain"}
    assert {c: code for c, code in got.items() if code not in NOTHING_TO_JUDGE and not code.startswith("pass/")} == {}
    assert set(got) == set(CHECK_IDS)


@pytest.mark.parametrize("name", list(CONFIGURED))
def test_a_deviation_met_with_its_configuration_passes(matrix: RunResult, name: str) -> None:
    got = {v.check_id: v for v in matrix.verdicts if v.provider == name}
    wrong = [f"{c}: {v.code}: {v.summary}" for c, v in got.items() if not matches(DEFAULT[c], v)]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("flavour", list(TIMING))
def test_timing_flavours_alone(timing: dict[str, RunResult], flavour: str) -> None:
    got = {v.check_id: v for v in timing[flavour].verdicts}
    assert set(got) == set(TIMING[flavour])
    wrong = [f"{c}: expected {e}, got {got[c].code}: {got[c].summary}" for c, e in TIMING[flavour].items() if not matches(e, got[c])]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("flavour", [*DEVIANT, *LEGAL])
def test_flavour_gets_the_expected_verdicts(matrix: RunResult, flavour: str) -> None:
    got = {v.check_id: v for v in matrix.verdicts if v.provider == flavour}
    mismatches = [
        f"{check}: expected {expected}, got {got[check].code}: {got[check].summary}"
        for check, expected in expected_verdicts(flavour).items()
        if not matches(expected, got[check])
    ]
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("flavour", list(DEVIANT))
def test_a_caught_deviation_carries_its_evidence(matrix: RunResult, flavour: str) -> None:
    for check, code in DEVIANT[flavour].items():
        if code.startswith(("fail/", "unsupported/", "warn/")):
            verdict = matrix.verdict(flavour, check)
            assert verdict is not None and verdict.exchanges, f"{check} on {flavour} has no evidence"
            assert all(e.response is not None or e.error for e in verdict.exchanges)


@pytest.mark.parametrize("flavour", list(SCHEMA_EVIDENCE))
def test_a_schema_verdict_names_the_offending_path(matrix: RunResult, flavour: str) -> None:
    level, path_end = SCHEMA_EVIDENCE[flavour]
    for check, code in DEVIANT[flavour].items():
        if code.endswith(("/schema", "/bad_chunk", "/strict_schema")):
            verdict = matrix.verdict(flavour, check)
            assert verdict is not None
            paths = [i.path for i in verdict.schema_issues if i.level == level]
            assert any(p.endswith(path_end) for p in paths), f"{check} on {flavour}: {level} paths {paths}"
