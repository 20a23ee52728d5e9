"""Switches that make the reference provider misbehave like real-world providers do.

The suite's own tests need servers that get specific things wrong (no ``[DONE]``,
tool arguments sent as an object, ...) to prove each check can fail. Each
deviation is a name; the code that implements it asks ``flavour.has(name)``.

Some names are not faults but legal variants a conformant client must accept
(``sse_no_space``, ``extra_fields``, ...): they prove the checks do not fail a
provider for things the spec allows.
"""

from __future__ import annotations

from dataclasses import dataclass

DEVIATIONS: dict[str, str] = {
    # Routing and auth.
    "no_v1": "the API is served at the root (/chat/completions, /models); /v1/... answers 404",
    "auth_not_enforced": "any key, or none, is accepted",
    "api_key_header": "the key is accepted only in an `api-key:` header; `Authorization: Bearer` gets 401",
    # Error responses.
    "error_detail": 'every error body is {"detail": "<message>"} (FastAPI style) instead of the envelope',
    "error_html": "every error is an HTML page (text/html) with the right status",
    "error_500_for_bad_request": "request validation errors are answered with HTTP 500 (envelope, type server_error)",
    "error_200": "request validation errors are answered with HTTP 200 carrying the error envelope",
    "unknown_model_200": "an unknown model id is served normally (200), answering as that model",
    # Models.
    "models_bare_array": "GET /models returns a bare JSON array of model objects",
    # Streaming.
    "no_done": "streams end without `data: [DONE]`",
    "ndjson_stream": "stream: true is answered as application/x-ndjson: one JSON chunk per line, no [DONE]",
    "include_usage_ignored": "stream_options.include_usage is accepted but no usage chunk is sent",
    # Usage and body fields.
    "usage_missing": "non-streamed completions have no `usage`",
    "usage_wrong": "total_tokens is prompt_tokens + completion_tokens + 1",
    "created_string": '`created` is a string ("1700000000") in completions and chunks',
    # Tools.
    "tool_args_object": "function.arguments is a JSON object, not a string (streamed: one delta with the whole call)",
    "tools_ignored": "tools and tool_choice are ignored entirely: text replies, no tool calls",
    "tool_choice_none_ignored": 'tool_choice "none" behaves like "auto" (a relevant tool is called)',
    "tool_choice_required_ignored": 'tool_choice "required" behaves like "auto" (text if no tool fits), like llama.cpp',
    "finish_stop_with_tools": 'finish_reason is "stop" whenever tool calls were made',
    "stream_tool_no_index": "streamed tool-call deltas carry no `index`",
    "parallel_ignored": "parallel_tool_calls: false is ignored (several calls for several quoted values)",
    # Limits.
    "max_completion_tokens_rejected": "max_completion_tokens gets 400 'Unrecognized request argument supplied'",
    "max_completion_tokens_ignored": "max_completion_tokens is accepted but not enforced (max_tokens still is)",
    # Messages and images.
    "system_rejected": "a system or developer message gets 400 (param messages.[i].role)",
    "system_ignored": "system and developer messages are silently dropped (no canary, not counted as prompt tokens)",
    "image_rejected": "an image_url part gets 400 'Image input is not supported by this model'",
    "image_500": "an image_url part gets HTTP 500",
    "image_dropped": "image parts are silently dropped (not counted as prompt tokens, the answer ignores them)",
    # Legal but unusual: a conformant client must accept these.
    "sse_no_space": "legal: `data:{...}` without the space after the colon",
    "sse_crlf": "legal: CRLF line endings in the stream",
    "sse_comments": "legal: a `: keep-alive` comment first, and `event: message` / `id: N` fields on every event",
    "extra_fields": "legal: unknown fields everywhere (reasoning_content in message and deltas, x_vendor objects)",
    "no_fingerprint": "legal: no system_fingerprint and no service_tier anywhere",
    "null_content_tools": "legal, and a no-op: the default already sends content null beside tool_calls",
    "named_finish_stop": 'legal: finish_reason "stop", not "tool_calls", when tool_choice names a function (as OpenAI)',
    "one_big_chunk": "legal: the whole stream, [DONE] included, is sent in one write",
    "char_chunks": "legal: text is streamed one character per chunk",
    "azure_filter_preamble": "tolerated: the stream opens with Azure's prompt-filter chunk (choices [], object/id/model empty, created 0)",
    # For gating and report-safety work.
    "flaky_every_other": "every second chat completion request (per server) gets 503 (envelope, type server_error)",
    "hostile_content": "text replies start with HTML/JS injection and a right-to-left override (still valid)",
    "echo_key": "error messages and an x-debug-authorization header echo the caller's key, whole and in slices",
}
"""Every implemented deviation and what it does, for listings and error messages."""

KNOWN_DEVIATIONS: frozenset[str] = frozenset(DEVIATIONS)


@dataclass(frozen=True)
class Flavour:
    deviations: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Accept any iterable of names for convenience, but keep the field hashable.
        object.__setattr__(self, "deviations", frozenset(self.deviations))

    def has(self, name: str) -> bool:
        return name in self.deviations

    def check_known(self) -> None:
        """Raise ValueError if a deviation is not implemented, so a typo cannot pass silently."""
        unknown = self.deviations - KNOWN_DEVIATIONS
        if unknown:
            known = ", ".join(sorted(KNOWN_DEVIATIONS)) or "none"
            raise ValueError(f"unknown deviation(s): {', '.join(sorted(unknown))} (known: {known})")


def describe_deviations() -> str:
    """One line per deviation, ``name: description``, for printing."""
    width = max(map(len, DEVIATIONS))
    return "\n".join(f"{name.ljust(width)}  {text}" for name, text in DEVIATIONS.items())
