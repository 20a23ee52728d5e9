"""The reference provider's "model": deterministic replies the probes can predict.

Every rule exists so a probe can ask for something and know the right answer:
counting for length limits, canaries for system-prompt adherence, tool names in the
prompt for tool calling, solid-colour images for vision.
"""

from __future__ import annotations

import json
import re
import secrets
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..png import colour_name, decode_png
from .flavour import Flavour
from .requests import ChatRequest, Message, NamedTool, Tool, png_from_data_url

SYSTEM_FINGERPRINT = "fp_reference"
HOSTILE_TEXT = "<script>alert(1)</script></textarea><img src=x onerror=alert(1)> javascript:alert(1) \u202e"
"""Starts every text reply under ``hostile_content``: reports must show it inert."""
REASONING_TEXT = "The user wants a short deterministic reply."
"""``reasoning_content`` under ``extra_fields``, shaped like DeepSeek's and vLLM's reasoning output."""
IMAGE_PROMPT_TOKENS = 85
MAX_COUNT = 2000
MAX_ECHO_WORDS = 50
MAX_PARALLEL_CALLS = 4

_CANARY = re.compile(r"\b[A-Z][A-Z0-9]{2,}-\d{2,}\b")
# Capped digit count: the answer is capped at MAX_COUNT anyway, and int() of a huge
# digit string is slow (or refused by Python's int conversion limit).
_COUNT_TO = re.compile(r"from 1 to (\d{1,9})", re.IGNORECASE)
_QUOTED = re.compile(r'"([^"]+)"')
_MIN_KEYWORD_LENGTH = 4
# Argument values by JSON schema type for non-string properties; unknown types get null.
_PLACEHOLDERS: dict[str | None, Any] = {"integer": 1, "number": 1, "boolean": True, "array": [], "object": {}}


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str
    """JSON text, as OpenAI sends it."""


@dataclass(frozen=True)
class Reply:
    """One choice's answer (all n choices are identical) and the token counts for usage."""

    content: str | None
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


def reply(request: ChatRequest, flavour: Flavour) -> Reply:
    prompt = prompt_tokens(request.messages)
    # Only a flavour (system_ignored) can leave no messages; answer as to an empty prompt.
    last = request.messages[-1] if request.messages else None
    prefix = HOSTILE_TEXT.split() if flavour.has("hostile_content") else []
    if last is not None and last.role == "tool":
        return _text([*prefix, "The", "tool", "returned:", *last.text.split()], request.token_limit, prompt)
    user_text = _last_user_text(request.messages)
    calls = _tool_calls(request, user_text)
    if calls:
        tokens = sum(len(f"{call.name} {call.arguments}".split()) for call in calls)
        return Reply(None, calls, _tool_finish_reason(request, flavour), prompt, tokens)
    return _text([*prefix, *_answer(request.messages, user_text)], request.token_limit, prompt)


def prompt_tokens(messages: tuple[Message, ...]) -> int:
    words = sum(len(m.text.split()) + IMAGE_PROMPT_TOKENS * len(m.image_urls) for m in messages)
    return max(words, 1)


def completion_body(
    request: ChatRequest, result: Reply, *, completion_id: str, created: int, flavour: Flavour
) -> dict[str, Any]:
    """The non-streamed response body."""
    message = _message_object(result, flavour)
    body: dict[str, Any] = {
        **response_head("chat.completion", request, completion_id=completion_id, created=created, flavour=flavour),
        "choices": [
            {
                "index": index,
                "message": message,
                "logprobs": None,
                "finish_reason": result.finish_reason,
                **choice_extras(flavour),
            }
            for index in range(request.n)
        ],
    }
    if not flavour.has("usage_missing"):
        body["usage"] = usage_object(result, request.n, flavour)
    return {**body, **response_tail(flavour)}


def response_head(
    object_type: str, request: ChatRequest, *, completion_id: str, created: int, flavour: Flavour
) -> dict[str, Any]:
    """The fields that open a completion or chunk: id, object, created and model."""
    return {
        "id": completion_id,
        "object": object_type,
        "created": str(created) if flavour.has("created_string") else created,
        "model": request.model,
    }


def response_tail(flavour: Flavour) -> dict[str, Any]:
    """The provenance fields of a completion or chunk, and any vendor extras."""
    tail: dict[str, Any] = {}
    if not flavour.has("no_fingerprint"):
        tail.update(service_tier="default", system_fingerprint=SYSTEM_FINGERPRINT)
    return {**tail, **extra_fields(flavour)}


def extra_fields(flavour: Flavour) -> dict[str, Any]:
    """An unknown vendor object for a response, or usage (none unless ``extra_fields``)."""
    return {"x_vendor": {"region": "reference-1", "cache_hit": False}} if flavour.has("extra_fields") else {}


def choice_extras(flavour: Flavour) -> dict[str, Any]:
    """An unknown vendor object for a choice (none unless ``extra_fields``)."""
    return {"x_vendor": {"stop_detail": None}} if flavour.has("extra_fields") else {}


def _message_object(result: Reply, flavour: Flavour) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": result.content, "refusal": None, "annotations": []}
    if result.tool_calls:
        message["tool_calls"] = [tool_call_object(call, flavour) for call in result.tool_calls]
    if flavour.has("extra_fields"):
        message["reasoning_content"] = REASONING_TEXT
    return message


def tool_call_object(call: ToolCall, flavour: Flavour = Flavour()) -> dict[str, Any]:
    arguments: Any = json.loads(call.arguments) if flavour.has("tool_args_object") else call.arguments
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": arguments}}


def usage_object(result: Reply, n: int, flavour: Flavour = Flavour()) -> dict[str, Any]:
    completion = result.completion_tokens * n
    total = result.prompt_tokens + completion + (1 if flavour.has("usage_wrong") else 0)
    return {
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": total,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
        **extra_fields(flavour),
    }


def _text(words: list[str], limit: int | None, prompt: int) -> Reply:
    if limit is not None and len(words) > limit:
        return Reply(" ".join(words[:limit]), (), "length", prompt, limit)
    return Reply(" ".join(words), (), "stop", prompt, len(words))


def _last_user(messages: tuple[Message, ...]) -> Message | None:
    return next((m for m in reversed(messages) if m.role == "user"), None)


def _last_user_text(messages: tuple[Message, ...]) -> str:
    user = _last_user(messages)
    return user.text if user else ""


def _answer(messages: tuple[Message, ...], user_text: str) -> list[str]:
    """The words of a text reply (before any length limit)."""
    prefix = _canary(messages)
    user = _last_user(messages)
    if user and user.image_urls:
        return [*prefix, "The", "image", "is", f"{_dominant_colour(user.image_urls[0])}."]
    count = _COUNT_TO.search(user_text)
    if count:
        return [*prefix, *(str(k) for k in range(1, min(int(count.group(1)), MAX_COUNT) + 1))]
    return [*prefix, "Hello!", "You", "said:", *user_text.split()][:MAX_ECHO_WORDS]


def _canary(messages: tuple[Message, ...]) -> list[str]:
    """The first canary code in the instructions, as a one-word list (empty if none)."""
    for message in messages:
        if message.role in ("system", "developer"):
            match = _CANARY.search(message.text)
            if match:
                return [match.group()]
    return []


def _dominant_colour(url: str) -> str:
    # The request was validated, so the image is known to decode.
    rows = decode_png(png_from_data_url(url))
    pixel, _ = Counter(pixel for row in rows for pixel in row).most_common(1)[0]
    return colour_name(pixel)


def _tool_calls(request: ChatRequest, user_text: str) -> tuple[ToolCall, ...]:
    choice = request.tool_choice
    if not request.tools or choice == "none":
        return ()
    values = _QUOTED.findall(user_text)
    if isinstance(choice, NamedTool):
        tool = next(t for t in request.tools if t.name == choice.name)
        return (_call(tool, values[0] if values else None),)
    relevant = _most_relevant(request.tools, user_text)
    if relevant is None and choice == "auto":
        return ()
    tool = relevant or request.tools[0]
    if request.parallel_tool_calls and len(values) >= 2:
        return tuple(_call(tool, value) for value in values[:MAX_PARALLEL_CALLS])
    return (_call(tool, values[0] if values else None),)


def _tool_finish_reason(request: ChatRequest, flavour: Flavour) -> str:
    if flavour.has("finish_stop_with_tools"):
        return "stop"
    if isinstance(request.tool_choice, NamedTool) and flavour.has("named_finish_stop"):
        return "stop"
    return "tool_calls"


def _most_relevant(tools: tuple[Tool, ...], user_text: str) -> Tool | None:
    text = user_text.lower()
    return next(
        (
            tool
            for tool in tools
            if any(len(part) >= _MIN_KEYWORD_LENGTH and part.lower() in text for part in tool.name.split("_"))
        ),
        None,
    )


def _call(tool: Tool, value: str | None) -> ToolCall:
    return ToolCall(
        id=f"call_{secrets.token_hex(12)}", name=tool.name, arguments=json.dumps(_arguments(tool.parameters, value))
    )


def _arguments(schema: dict[str, Any], value: str | None) -> dict[str, Any]:
    """Fill every property of a JSON schema with a plausible value.

    ``value`` (a quoted string from the prompt) goes to the first free-text string
    property, i.e. the first string without an enum: that is where a probe's
    "Paris" belongs, not in a ``unit`` enum that happens to come first.
    """
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    args: dict[str, Any] = {}
    for name, prop in properties.items():
        prop = prop if isinstance(prop, dict) else {}
        enum = prop.get("enum")
        if isinstance(enum, list) and enum:
            args[name] = enum[0]
        elif _json_type(prop) == "string":
            args[name] = value if value is not None else "example"
            value = None
        else:
            args[name] = _PLACEHOLDERS.get(_json_type(prop))
    return args


def _json_type(prop: dict[str, Any]) -> str | None:
    """A property's type; for a union such as ``["string", "null"]``, its first non-null member."""
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None
