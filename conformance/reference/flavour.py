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
    "query_param_required": "every API request must carry ?api-version= with a supported value, or gets 400 naming the supported values (Azure OpenAI)",
    "models_absent": "GET /models and GET /models/{id} are not served (404), as some gateways and toy servers do",
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
    "model_retrieve_missing": 'GET /models/{id} answers 404 {"detail": "Not Found"} for every id, as llama-cpp-python does',
    # Streaming.
    "no_done": "streams end without `data: [DONE]`",
    "ndjson_stream": "stream: true is answered as application/x-ndjson: one JSON chunk per line, no [DONE]",
    "include_usage_ignored": "stream_options.include_usage is accepted but no usage chunk is sent",
    "buffered_stream": "streams are generated at 25 ms per event but written all at once at the end, as behind a buffering proxy",
    "stream_error_event": 'a streamed request it refuses gets HTTP 200 with one `data: {"error": {...}}` event, then [DONE] (some vLLM and LiteLLM versions)',
    "stream_error_midway": 'streamed text breaks off after 3 content chunks with an OpenRouter-style error chunk (finish_reason "error"), then [DONE]',
    "streams_cut_by_concurrency": "streams paced at 5 ms per event; one of over 20 events is cut off (no [DONE]) when another starts, as llama-cpp-python does",
    "streams_serialized": "streamed requests are served one at a time (one slot, as llama.cpp with -np 1), paced at 5 ms per event",
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
    "always_first_tool": "under tool_choice auto or required the first tool is called whatever the prompt (even 'Say hello.'), as weak tool-callers do",
    "strict_tools_rejected": "a tool with strict: true gets 400 'strict mode does not support 'additionalProperties'', like Gemini-backed gateways",
    "strict_ignored": "strict: true is accepted unchecked and the arguments fill only the top level (nested objects {}, arrays []), so they fail the schema",
    "legacy_functions_rejected": "functions / function_call get 400 'Unrecognized request argument supplied: functions', as older Azure OpenAI api-versions",
    "foreign_call_ids_rejected": "a history tool-call id not of this server's form (call_ + 24 hex) gets 400 'Tool call id was X but must be ...', as Mistral",
    # Limits.
    "max_completion_tokens_rejected": "max_completion_tokens gets 400 'Unrecognized request argument supplied'",
    "max_completion_tokens_ignored": "max_completion_tokens is accepted but not enforced (max_tokens still is)",
    # Parameters.
    "stop_ignored": "stop is accepted but not applied: the text runs on, finish_reason as without it",
    "stop_in_stream_delta": "stop is honoured unstreamed; streamed, the delta holding the stop sequence is still sent before finish_reason stop",
    "n_ignored": "n is accepted but one choice is returned, as llama.cpp does",
    "logprobs_ignored": "logprobs / top_logprobs are accepted but every choice has logprobs: null",
    "seed_ignored": "seed is accepted but a random pick above temperature 0 ignores it",
    "temperature_unchecked": "temperature outside 0..2 is accepted, and temperature is ignored (every random pick is the first, as at 0)",
    "newer_fields_rejected": "metadata, store or service_tier get 400 'Unrecognized request argument supplied: <field>', as older Azure OpenAI api-versions",
    "sampling_fields_rejected": "logit_bias, frequency_penalty or presence_penalty get 400 'Unrecognized request argument supplied: <field>'",
    "rate_limited_once": "legal: the first chat completion request gets 429 rate_limit_exceeded with Retry-After: 1 and retry-after-ms: 50; later ones succeed",
    "rate_limited_no_retry_after": "the first chat completion request gets 429 rate_limit_exceeded without Retry-After, retry-after-ms or x-ratelimit-reset-*",
    # Structured outputs.
    "json_mode_ignored": "response_format json_object and json_schema are accepted but replies stay free text",
    "json_fenced": "JSON replies are wrapped in a Markdown fence (```json ... ```), as prompt-emulated JSON modes do",
    "json_schema_rejected": "response_format json_schema gets a clean 400 ('... of type 'json_schema' is not supported with this model.'); json_object works",
    # Messages and images.
    "system_rejected": "a system or developer message gets 400 (param messages.[i].role)",
    "system_ignored": "system and developer messages are silently dropped (no canary, not counted as prompt tokens)",
    "developer_rejected": "a developer message gets 400 (param messages.[i].role) while system works, like Qwen's DashScope and other older role lists",
    "content_parts_first_only": "only the first text part of a content array is read (and counted as prompt tokens)",
    "history_dropped": "only instructions, the last user message and the tool exchange after it reach the model (and count as prompt tokens)",
    "image_rejected": "an image_url part gets 400 'Image input is not supported by this model'",
    "image_500": "an image_url part gets HTTP 500",
    "image_dropped": "image parts are silently dropped (not counted as prompt tokens, the answer ignores them)",
    # The Responses API (POST /responses).
    "responses_absent": "no /responses route: POST /responses answers 404 like an unknown path, as llama-cpp-python and other chat-only servers",
    "responses_no_event_lines": "streamed Responses events have `data:` lines only, no `event:`, as gateways reusing their chat SSE writer",
    "responses_no_completed": "a Responses stream ends after its last output event, no response.completed/.incomplete (closed normally), as filtering proxies",
    "responses_no_call_id": "function_call output items (plain and streamed) lack `call_id`, as chat-to-Responses translators that drop the id",
    "responses_max_output_ignored": "max_output_tokens is accepted and echoed, not applied (completed, full text), as shims without it (old Llama Stack)",
    "responses_previous_ignored": "previous_response_id is accepted but its conversation not prepended (input_tokens: new input only), as mlx-vlm's /responses",
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
