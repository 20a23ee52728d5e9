"""Requests and fixtures that several areas share: the minimal chat, the weather tool, and
helpers to read prompt tokens, reasoning, tool calls and streams."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from conformance.client import HTTPResult, StreamResult, loads_strict
from conformance.context import CheckContext, code_word
from conformance.judge import message_of
from conformance.text import json_path

WEATHER_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "City name, e.g. Paris"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["city"],
}
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": WEATHER_PARAMETERS,
    },
}
TIME_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Get the current local time in a time zone.",
        "parameters": {
            "type": "object",
            "properties": {"zone": {"type": "string", "description": "IANA zone, e.g. Europe/Paris"}},
            "required": ["zone"],
        },
    },
}
STOCK_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_stock_price",
        "description": "Get the latest price of a stock by its ticker symbol.",
        "parameters": {
            "type": "object",
            "properties": {"ticker": {"type": "string", "description": "Ticker symbol, e.g. AAPL"}},
            "required": ["ticker"],
        },
    },
}
BOOK_TRIP_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "book_trip",
        "description": "Book a trip for one traveller to several cities.",
        "strict": True,
        # What strict mode allows and needs: nested objects, arrays with items, enums, every
        # property required, no additional properties anywhere.
        "parameters": {
            "type": "object",
            "properties": {
                "traveller": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                    "required": ["name", "age"],
                    "additionalProperties": False,
                },
                "cities": {"type": "array", "items": {"type": "string"}},
                "travel_class": {"type": "string", "enum": ["economy", "business"]},
            },
            "required": ["traveller", "cities", "travel_class"],
            "additionalProperties": False,
        },
    },
}
TOOL_SCHEMAS = {t["function"]["name"]: t["function"]["parameters"] for t in (WEATHER_TOOL, TIME_TOOL, STOCK_TOOL, BOOK_TRIP_TOOL)}
WEATHER_PROMPT = 'What is the weather in "Paris" right now? Use the get_weather tool.'
NAMED_WEATHER = {"type": "function", "function": {"name": "get_weather"}}
COUNTING_PROMPT = "Count from 1 to 200, separated by spaces. Output only the numbers."


canary = code_word
"""A code word of the check's own (``ctx.code_word`` is the one shared requests state)."""
MINIMAL_PROMPT = "Say hello in one short sentence."
RECALL_QUESTION = "What is my code word? Reply with the code word only."


def stating_the_word(word: str) -> str:
    return f"My code word is {word}. Remember it."


async def minimal_chat(ctx: CheckContext) -> HTTPResult:
    """Shared: base_url.v1_path, chat.basic, chat.usage, auth.bearer and limits.rate_limit_headers judge this one request."""
    return await ctx.post_chat("minimal chat request", ctx.chat_body(MINIMAL_PROMPT))


async def recall_conversation(ctx: CheckContext) -> HTTPResult:
    """Shared: chat.multi_turn judges a user/assistant/user history is answered, and chat.history_recall
    that the answer recalls the code word stated only in the first turn. No system message: a
    provider that refuses one (system.role's finding) must not fail these too."""
    history = [
        {"role": "user", "content": stating_the_word(ctx.code_word)},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": RECALL_QUESTION},
    ]
    return await ctx.post_chat("multi-turn history", ctx.chat_body(history))


async def named_tool_call(ctx: CheckContext) -> HTTPResult:
    """Shared: tools.named judges it and tools.roundtrip answers its call."""
    body = ctx.chat_body('Look up "Paris".', tools=[TIME_TOOL, WEATHER_TOOL], tool_choice=NAMED_WEATHER)
    return await ctx.post_chat("named tool_choice request", body)


def prompt_tokens(document: object) -> int | None:
    """usage.prompt_tokens when it can serve as evidence of what reached the model: a positive
    integer. 0 (a prompt served from cache, or not counted) and true (an int in Python) say nothing."""
    usage = document.get("usage") if isinstance(document, dict) else None
    value = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


# --- reasoning ----------------------------------------------------------------------------
REASONING_FIELDS = ("reasoning_content", "reasoning")
"""Where reasoning models put their thinking: DeepSeek and vLLM ``reasoning_content``,
OpenRouter and Ollama ``reasoning``."""


def reasoning_of(fields: Any) -> str:
    """The reasoning text in a message or delta ('' when there is none)."""
    if not isinstance(fields, dict):
        return ""
    return "".join(text for name in REASONING_FIELDS if isinstance(text := fields.get(name), str))


def reasoning_evidence(document: Any) -> str | None:
    """What shows a completion's tokens went to reasoning (text, or usage's reasoning_tokens);
    None when nothing does."""
    message = message_of(document)
    for name in REASONING_FIELDS:
        text = message.get(name)
        if isinstance(text, str) and text.strip():
            return f"{len(text)} characters of {name}"
    usage = document.get("usage") if isinstance(document, dict) else None
    details = usage.get("completion_tokens_details") if isinstance(usage, dict) else None
    tokens = details.get("reasoning_tokens") if isinstance(details, dict) else None
    if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens > 0:
        return f"usage reasoning_tokens {tokens}"
    return None


def spent_on_reasoning(ctx: CheckContext, evidence: str) -> str:
    """The summary for a reply with no content because the reply limit went to reasoning."""
    return (
        f"no content, but not the provider's fault: finish_reason 'length' after {evidence}; the reply limit "
        f"(settings.reply_tokens = {ctx.settings.reply_tokens}) was spent on reasoning: raise reply_tokens to judge the answer"
    )


# --- tool calls ---------------------------------------------------------------------------
@dataclass
class ToolCall:
    id: Any
    name: Any
    arguments: Any


def tool_calls_of(document: Any) -> list[ToolCall]:
    choices = document.get("choices") if isinstance(document, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return []
    message = choices[0].get("message") or {}
    calls = message.get("tool_calls") if isinstance(message, dict) else None
    if not isinstance(calls, list):
        return []
    out = []
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        function = function if isinstance(function, dict) else {}
        out.append(ToolCall(call.get("id") if isinstance(call, dict) else None, function.get("name"), function.get("arguments")))
    return out


def argument_problem(call: ToolCall) -> str | None:
    """What is wrong with a call's ``arguments`` (must be a JSON string matching the tool's
    parameter schema); None when a client can use it as it is."""
    if not isinstance(call.arguments, str):
        return f"function.arguments of {call.name!r} is a JSON {type(call.arguments).__name__}, not a string holding JSON: {json.dumps(call.arguments)[:120]}"
    try:
        parsed = loads_strict(call.arguments)  # NaN/Infinity: the app's JSON.parse of the arguments fails
    except ValueError as exc:
        return f"function.arguments of {call.name!r} is not valid JSON ({exc}): {call.arguments[:120]!r}"
    except RecursionError:  # a JSON bomb inside the string: the body parsed, its arguments cannot
        return f"function.arguments of {call.name!r} is JSON nested too deeply to parse: {call.arguments[:120]!r}"
    schema = TOOL_SCHEMAS.get(call.name) if isinstance(call.name, str) else None
    if schema is None:
        return f"called an unknown function {call.name!r} (offered: {', '.join(TOOL_SCHEMAS)})"
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(parsed), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        where = json_path(errors[0].absolute_path)
        return f"arguments of {call.name!r} do not match its parameter schema at {where}: {errors[0].message} in {call.arguments[:120]}"
    return None


# --- streams ------------------------------------------------------------------------------
@dataclass
class StreamedToolCall:
    index: int
    id: Any = None
    type: Any = None
    name: Any = None
    arguments: str = ""


@dataclass
class StreamSummary:
    """What a client would assemble from a chat stream's chunks (choice 0)."""

    content: str = ""
    finish_reason: Any = None
    finish_chunk: int | None = None
    """Chunk number carrying the finish_reason."""
    usage: Any = None
    usage_chunk: int | None = None
    role: Any = None
    reasoning: str = ""
    """Joined reasoning deltas (``reasoning_content`` or ``reasoning``), kept apart from content."""
    tool_calls: dict[int, StreamedToolCall] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def summarise_stream(result: StreamResult) -> StreamSummary:
    summary = StreamSummary()
    for chunk in result.chunks:
        doc = chunk.json
        if not isinstance(doc, dict):
            continue
        if doc.get("usage") is not None:
            summary.usage, summary.usage_chunk = doc["usage"], chunk.number
        choices = doc.get("choices")
        if choices is not None and not isinstance(choices, list):
            # Not iterable as choices (a number, true, an object): no client can read this chunk.
            summary.problems.append(f"chunk {chunk.number}: choices is a JSON {type(choices).__name__}, not an array")
            continue
        for choice in choices or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            raw_delta = choice.get("delta")
            delta: dict[str, Any] = raw_delta if isinstance(raw_delta, dict) else {}
            if summary.role is None and delta.get("role") is not None:
                summary.role = delta["role"]
            if isinstance(delta.get("content"), str):
                summary.content += delta["content"]
            summary.reasoning += reasoning_of(delta)
            pieces = delta.get("tool_calls")
            if pieces is not None and not isinstance(pieces, list):
                summary.problems.append(f"chunk {chunk.number}: delta.tool_calls is a JSON {type(pieces).__name__}, not an array")
                continue
            for piece in pieces or []:
                _take_tool_delta(summary, chunk.number, piece)
            if choice.get("finish_reason") is not None:
                summary.finish_reason, summary.finish_chunk = choice["finish_reason"], chunk.number
    return summary


def _take_tool_delta(summary: StreamSummary, number: int, piece: Any) -> None:
    if not isinstance(piece, dict):
        summary.problems.append(f"chunk {number}: a tool_calls entry is not an object")
        return
    index = piece.get("index")
    if not isinstance(index, int) or isinstance(index, bool):
        summary.problems.append(f"chunk {number}: a tool-call delta has no integer `index` ({json.dumps(piece)[:120]})")
        return
    call = summary.tool_calls.setdefault(index, StreamedToolCall(index))
    raw_function = piece.get("function")
    function: dict[str, Any] = raw_function if isinstance(raw_function, dict) else {}
    if piece.get("id") is not None:
        if call.id is not None and piece["id"] != call.id:
            summary.problems.append(f"chunk {number}: tool call index {index} changes id from {call.id!r} to {piece['id']!r}")
        call.id = piece["id"]
    if piece.get("type") is not None:
        call.type = piece["type"]
    name = function.get("name")
    if isinstance(name, str) and name:
        # Some servers repeat the full name in every delta; OpenAI sends it once.
        call.name = name if call.name is None or call.name == name else call.name + name
    arguments = function.get("arguments")
    if arguments is not None:
        if isinstance(arguments, str):
            call.arguments += arguments
        else:
            summary.problems.append(f"chunk {number}: tool call index {index} sends arguments as a JSON {type(arguments).__name__}, not a string fragment")


def word_count(text: str) -> int:
    return len(text.split())


def numbers_in(text: str) -> list[int]:
    """The whole numbers a reply says, in order ("1, 2, 3." → [1, 2, 3]); a decimal ("2.5") is none."""
    return [int(n) for n in re.findall(r"(?<!\d)(?<!\d\.)\d{1,6}(?!\d|\.\d)", text)]


_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n(.*)\n\s*```\s*$", re.DOTALL)


def unfenced(text: str) -> str | None:
    """The text inside a Markdown code fence that wraps the whole reply (None if there is none)."""
    match = _FENCE.match(text)
    return match.group(1) if match else None
