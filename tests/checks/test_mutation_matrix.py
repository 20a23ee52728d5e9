"""The mutation matrix: every check against every flavour of the reference provider.

Each deviant flavour copies an incompatibility seen in the wild. The table below reads as
documentation: for each flavour, the checks that must catch it, the verdict each must give and
a phrase its summary must contain (so a verdict that is right only by accident still fails the
test). Every check a row does not name must `pass`. The legal-but-unusual flavours have empty
rows: a conformant client accepts them, so every check must pass (no false fail).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from conformance.checklist import all_checks
from conformance.config import ProviderConfig
from conformance.judge import COMMON_REASONS
from conformance.redact import Redactor
from conformance.reference.flavour import KNOWN_DEVIATIONS
from conformance.results import RunResult
from conformance.runner import RunState, run_checks
from conformance.verdict import Status, Verdict

Expectation = str
"""The verdict's code, ``status/reason`` (e.g. ``fail/no_done``): stable, unlike the summary's wording."""

ALL_TOOL_CALLING = ("tools.auto", "tools.required", "tools.named", "tools.parallel")
VALIDATE_COMPLETIONS = (
    "chat.basic", "chat.multi_turn", "system.role", "vision.image_input", "tools.none", *ALL_TOOL_CALLING,
)
"""The checks that validate every completion they receive against the compat schema."""
VALIDATE_CHUNKS = ("streaming.sse", "streaming.content", "streaming.usage")

DEVIANT: dict[str, dict[str, Expectation]] = {
    "no_v1": {"base_url.v1_path": "fail/other_base_works"},
    "auth_not_enforced": {
        "auth.missing_key_rejected": "fail/not_enforced",
        "auth.invalid_key_rejected": "fail/not_enforced",
    },
    "api_key_header": {"auth.bearer": "fail/other_header_works"},
    "error_detail": {
        "errors.format": "fail/no_envelope",
        "auth.missing_key_rejected": "warn/no_envelope",
        "auth.invalid_key_rejected": "warn/no_envelope",
        "models.unknown_rejected": "warn/no_envelope",
    },
    "error_html": {
        "errors.format": "fail/no_envelope",
        "auth.missing_key_rejected": "warn/no_envelope",
        "auth.invalid_key_rejected": "warn/no_envelope",
        "models.unknown_rejected": "warn/no_envelope",
    },
    "error_500_for_bad_request": {"errors.status_codes": "fail/not_4xx"},
    "error_200": {
        "errors.status_codes": "fail/not_4xx",
        "errors.format": "skip/no_error_response",
    },
    "unknown_model_200": {"models.unknown_rejected": "fail/served"},
    "models_bare_array": {
        "models.list": "fail/schema",
        "models.configured_present": "skip/prerequisite",
    },
    "no_done": {
        "streaming.done": "fail/no_done",
        "streaming.usage": "warn/no_done",
    },
    "ndjson_stream": {
        check: "fail/not_sse" for check in ("streaming.sse", "streaming.done", "streaming.content", "streaming.usage", "tools.streaming")
    },
    "include_usage_ignored": {"streaming.usage": "fail/ignored"},
    "usage_missing": {"chat.usage": "fail/no_usage"},
    "usage_wrong": {
        "chat.usage": "fail/wrong_total",
        "streaming.usage": "fail/wrong_total",
    },
    "created_string": {
        **{check: "fail/schema" for check in VALIDATE_COMPLETIONS},
        **{check: "fail/bad_chunk" for check in VALIDATE_CHUNKS},
        "tools.roundtrip": "skip/prerequisite",
    },
    "tool_args_object": {
        **{check: "fail/schema" for check in ALL_TOOL_CALLING},
        "tools.streaming": "fail/bad_delta",
        "tools.roundtrip": "skip/prerequisite",
    },
    "tools_ignored": {
        "tools.auto": "warn/answered_in_text",
        "tools.required": "fail/not_enforced",
        "tools.named": "fail/not_called",
        "tools.roundtrip": "skip/prerequisite",
        "tools.parallel": "warn/fewer_calls",
        "tools.streaming": "fail/no_tool_deltas",
    },
    "tool_choice_none_ignored": {"tools.none": "fail/ignored"},
    "tool_choice_required_ignored": {"tools.required": "fail/not_enforced"},
    "finish_stop_with_tools": {check: "fail/wrong_finish_reason" for check in ("tools.auto", "tools.required", "tools.parallel")},
    "stream_tool_no_index": {"tools.streaming": "fail/bad_delta"},
    "max_completion_tokens_rejected": {"tokens.max_completion_tokens": "unsupported/clean_4xx"},
    "max_completion_tokens_ignored": {"tokens.max_completion_tokens": "fail/ignored"},
    "system_rejected": {
        "system.role": "unsupported/clean_4xx",
        "chat.multi_turn": "unsupported/clean_4xx",
    },
    "system_ignored": {"system.role": "fail/dropped"},
    "image_rejected": {"vision.image_input": "unsupported/clean_4xx"},
    "image_500": {"vision.image_input": "fail/server_error"},
    "image_dropped": {"vision.image_input": "fail/image_dropped"},
    "parallel_ignored": {"tools.parallel": "fail/false_ignored"},
    # Tolerated: clients ignore Azure's prompt-filter chunk, the spec does not allow its empty object.
    "azure_filter_preamble": {check: "warn/strict_schema" for check in VALIDATE_CHUNKS},
}

SCHEMA_EVIDENCE: dict[str, tuple[str, str]] = {
    "created_string": ("compat", "$.created"),
    "tool_args_object": ("compat", ".function.arguments"),
    "models_bare_array": ("compat", "$"),
    "azure_filter_preamble": ("strict", "$.object"),
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
)
NOT_IN_THE_MATRIX = {
    "echo_key": "a leak, not an incompatibility: tests/cli/test_redaction_end_to_end.py plants keys through it",
    "flaky_every_other": "deterministically flaky on purpose; its verdicts depend on request order (gating tests use it)",
}
CHECK_IDS = [c.id for c in all_checks()]


def expected_verdicts(flavour: str) -> dict[str, Expectation]:
    """Every check's expected code; a check the row does not name must pass (with any pass reason)."""
    row = DEVIANT.get(flavour, {})
    return {check: row.get(check, "pass") for check in CHECK_IDS}


def matches(expected: Expectation, verdict: Verdict) -> bool:
    return verdict.code == expected or (expected == "pass" and verdict.status == Status.PASS)


@pytest.fixture(scope="module")
def matrix() -> Iterator[RunResult]:
    """One run, every flavour side by side, each served by its own embedded reference server."""
    flavours = ["plain", *DEVIANT, *LEGAL]
    providers = [
        ProviderConfig(
            name=name,
            base_url="embedded:reference" if name == "plain" else f"embedded:reference?deviate={name}",
            models={"chat": "reference-chat", "vision": "reference-vision"},
        )
        for name in flavours
    ]
    state = RunState(providers=providers, checks=all_checks(), redactor=Redactor())
    yield asyncio.run(run_checks(state))


def test_every_deviation_is_in_the_table() -> None:
    covered = set(DEVIANT) | set(LEGAL) | set(NOT_IN_THE_MATRIX)
    assert covered == set(KNOWN_DEVIATIONS)
    assert not set(DEVIANT) & set(LEGAL)
    for row in DEVIANT.values():
        assert set(row) <= set(CHECK_IDS)
        assert any(not code.startswith("pass") for code in row.values()), "a deviant flavour must be caught by some check"


def test_every_expected_code_is_one_its_check_can_give() -> None:
    declared = {c.id: set(c.reasons) | set(COMMON_REASONS) for c in all_checks()}
    for flavour, row in DEVIANT.items():
        for check, code in row.items():
            assert code in declared[check], f"{flavour}: {check} cannot give {code}"


def test_the_plain_reference_passes_everything(matrix: RunResult) -> None:
    assert {v.check_id: v.status for v in matrix.verdicts if v.provider == "plain"} == dict.fromkeys(CHECK_IDS, Status.PASS)


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
