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

from conformance.checks import all_checks
from conformance.config import ProviderConfig
from conformance.redact import Redactor
from conformance.reference.flavour import KNOWN_DEVIATIONS
from conformance.results import RunResult
from conformance.runner import RunState, run_checks
from conformance.verdict import Status

PASS, FAIL, WARN, SKIP, UNSUPPORTED = Status.PASS, Status.FAIL, Status.WARN, Status.SKIP, Status.UNSUPPORTED
Expectation = tuple[Status, str]
"""The verdict and a phrase (case-insensitive) its summary must contain."""

ALL_TOOL_CALLING = ("tools.auto", "tools.required", "tools.named", "tools.parallel")
VALIDATE_COMPLETIONS = (
    "chat.basic", "chat.multi_turn", "system.role", "vision.image_input", "tools.none", *ALL_TOOL_CALLING,
    "streaming.sse", "streaming.content", "streaming.usage",
)
"""The checks that validate every completion or chunk they receive against the compat schema."""

DEVIANT: dict[str, dict[str, Expectation]] = {
    "no_v1": {"base_url.v1_path": (FAIL, "set base_url")},
    "auth_not_enforced": {
        "auth.missing_key_rejected": (FAIL, "auth is not enforced"),
        "auth.invalid_key_rejected": (FAIL, "auth is not enforced"),
    },
    "api_key_header": {"auth.bearer": (FAIL, "accepted in an `api-key:` header")},
    "error_detail": {
        "errors.format": (FAIL, "not the error envelope"),
        "auth.missing_key_rejected": (WARN, "not the error envelope"),
        "auth.invalid_key_rejected": (WARN, "not the error envelope"),
        "models.unknown_rejected": (WARN, "not the error envelope"),
    },
    "error_html": {
        "errors.format": (FAIL, "text/html"),
        "auth.missing_key_rejected": (WARN, "text/html"),
        "auth.invalid_key_rejected": (WARN, "text/html"),
        "models.unknown_rejected": (WARN, "text/html"),
    },
    "error_500_for_bad_request": {"errors.status_codes": (FAIL, "HTTP 500")},
    "error_200": {
        "errors.status_codes": (FAIL, "HTTP 200"),
        "errors.format": (SKIP, "no malformed request got an error response"),
    },
    "unknown_model_200": {"models.unknown_rejected": (FAIL, "silent substitution")},
    "models_bare_array": {
        "models.list": (FAIL, "does not match the list schema"),
        "models.configured_present": (SKIP, "prerequisite models.list"),
    },
    "no_done": {
        "streaming.done": (FAIL, "without data: [DONE]"),
        "streaming.usage": (WARN, "no data: [DONE]"),
    },
    "ndjson_stream": {
        "streaming.sse": (FAIL, "no SSE `data:` events"),
        "streaming.done": (FAIL, "no SSE `data:` events"),
        "streaming.content": (FAIL, "no SSE `data:` events"),
        "streaming.usage": (FAIL, "no SSE `data:` events"),
        "tools.streaming": (FAIL, "no SSE `data:` events"),
    },
    "include_usage_ignored": {"streaming.usage": (FAIL, "include_usage was ignored")},
    "usage_missing": {"chat.usage": (FAIL, "no usage object")},
    "usage_wrong": {
        "chat.usage": (FAIL, "total_tokens"),
        "streaming.usage": (FAIL, "total_tokens"),
    },
    "created_string": {
        **{check: (FAIL, "$.created") for check in VALIDATE_COMPLETIONS},
        "tools.roundtrip": (SKIP, "prerequisite tools.named"),
    },
    "tool_args_object": {
        **{check: (FAIL, "function.arguments: {'city'") for check in ALL_TOOL_CALLING},
        "tools.streaming": (FAIL, "arguments as a JSON dict, not a string fragment"),
        "tools.roundtrip": (SKIP, "prerequisite tools.named"),
    },
    "tools_ignored": {
        "tools.auto": (WARN, "answered in text"),
        "tools.required": (FAIL, "not enforced"),
        "tools.named": (FAIL, "was not called"),
        "tools.roundtrip": (SKIP, "prerequisite tools.named"),
        "tools.parallel": (WARN, "0 tool call(s)"),
        "tools.streaming": (FAIL, "no tool-call deltas"),
    },
    "tool_choice_none_ignored": {"tools.none": (FAIL, 'tool_choice "none" was ignored')},
    "tool_choice_required_ignored": {"tools.required": (FAIL, "not enforced")},
    "finish_stop_with_tools": {
        "tools.auto": (FAIL, "finish_reason is 'stop'"),
        "tools.required": (FAIL, "finish_reason is 'stop'"),
        "tools.parallel": (FAIL, "finish_reason is 'stop'"),
    },
    "stream_tool_no_index": {"tools.streaming": (FAIL, "no integer `index`")},
    "max_completion_tokens_rejected": {"tokens.max_completion_tokens": (UNSUPPORTED, "max_completion_tokens")},
    "max_completion_tokens_ignored": {"tokens.max_completion_tokens": (FAIL, "is ignored")},
    "system_rejected": {
        "system.role": (UNSUPPORTED, "refused with HTTP 400"),
        "chat.multi_turn": (UNSUPPORTED, "refused with HTTP 400"),
    },
    "system_ignored": {"system.role": (FAIL, "system message appears dropped")},
    "image_rejected": {"vision.image_input": (UNSUPPORTED, "refused with HTTP 400")},
    "image_500": {"vision.image_input": (FAIL, "server error HTTP 500")},
    "image_dropped": {"vision.image_input": (FAIL, "image part appears dropped")},
    "parallel_ignored": {"tools.parallel": (FAIL, "parallel_tool_calls false was ignored")},
    # Tolerated: clients ignore Azure's prompt-filter chunk, the spec does not allow its empty object.
    "azure_filter_preamble": {
        check: (WARN, "strict-spec deviations: $.object") for check in ("streaming.sse", "streaming.content", "streaming.usage")
    },
}

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
    "echo_key": "a leak, not an incompatibility: tests/test_redaction_end_to_end.py plants keys through it",
    "flaky_every_other": "deterministically flaky on purpose; its verdicts depend on request order (gating tests use it)",
}
CHECK_IDS = [c.id for c in all_checks()]


def expected_verdicts(flavour: str) -> dict[str, Expectation]:
    row = DEVIANT.get(flavour, {})
    return {check: row.get(check, (PASS, "")) for check in CHECK_IDS}


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
        assert any(status != PASS for status, _ in row.values()), "a deviant flavour must be caught by some check"


def test_the_plain_reference_passes_everything(matrix: RunResult) -> None:
    assert {v.check_id: v.status for v in matrix.verdicts if v.provider == "plain"} == dict.fromkeys(CHECK_IDS, PASS)


@pytest.mark.parametrize("flavour", [*DEVIANT, *LEGAL])
def test_flavour_gets_the_expected_verdicts(matrix: RunResult, flavour: str) -> None:
    got = {v.check_id: v for v in matrix.verdicts if v.provider == flavour}
    mismatches = []
    for check, (status, phrase) in expected_verdicts(flavour).items():
        verdict = got[check]
        if verdict.status != status or phrase.lower() not in verdict.summary.lower():
            mismatches.append(f"{check}: expected {status.value} ~ {phrase!r}, got {verdict.status.value}: {verdict.summary}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("flavour", list(DEVIANT))
def test_a_caught_deviation_carries_its_evidence(matrix: RunResult, flavour: str) -> None:
    for check, (status, _) in DEVIANT[flavour].items():
        if status in (FAIL, UNSUPPORTED, WARN):
            verdict = matrix.verdict(flavour, check)
            assert verdict is not None and verdict.exchanges, f"{check} on {flavour} has no evidence"
            assert all(e.response is not None or e.error for e in verdict.exchanges)
