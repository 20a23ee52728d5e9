"""The Responses API (``POST /v1/responses``): request parsing, the Response object and its event stream.

The reply comes from the same deterministic model as chat completions. The Responses
input is translated into chat :class:`Message` objects (instructions first, then the
stored conversation of ``previous_response_id``, then the input items), so the suite's
canary, counting and tool prompts behave the same on both endpoints.

Error ``param`` values use the Responses API's path style, ``input[0].content[1].type``.

The ``responses_*`` deviations of :mod:`.flavour` are implemented here: the route itself
(:func:`served`), the parsing (ignored limit and continuation), the output items (no call_id)
and the stream's framing and end.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Collection, Iterator
from dataclasses import dataclass
from typing import Any, cast

from ..png import decode_png
from . import model
from .flavour import Flavour

# The chat parser's field helpers, private there, are reused so both endpoints word and code
# their 400s identically; they could become public in requests.py.
from .requests import (
    _TOOL_NAME,
    ApiError,
    ChatRequest,
    Message,
    NamedTool,
    Tool,
    ToolChoice,
    _invalid_type,
    _invalid_value,
    _json_object,
    _metadata,
    _optional_bool,
    _optional_int,
    _optional_number,
    _required,
    _required_string,
    model_not_found,
    png_from_data_url,
)
from .streaming import ARGUMENT_FRAGMENT_LENGTH

MIN_OUTPUT_TOKENS = 16
"""The spec's minimum for ``max_output_tokens``."""
STORE_CAPACITY = 1000
SERVICE_TIER = "default"

INPUT_ROLES = ("user", "system", "developer", "assistant")
_ITEM_TYPES = ("message", "function_call", "function_call_output")
# Which content part types each role may send: assistant turns are replayed output.
_PART_TYPES: dict[str, tuple[str, ...]] = {
    "user": ("input_text", "input_image"),
    "system": ("input_text",),
    "developer": ("input_text",),
    "assistant": ("output_text", "refusal", "input_text"),
}
_IMAGE_DETAILS = ("low", "high", "auto", "original")
_TOOL_CHOICE_MODES = ("none", "auto", "required")
# A word with the whitespace before it: the deltas then join back to the exact text.
_DELTA = re.compile(r"\s*\S+|\s+$")

EchoedToolChoice = str | dict[str, str]
"""``tool_choice`` as the Response object echoes it."""


@dataclass(frozen=True)
class ResponsesRequest:
    chat: ChatRequest
    """What the model sees: instructions, the stored conversation and this input, as chat messages."""
    history: tuple[Message, ...]
    """The conversation without instructions: the spec does not carry instructions over to a follow-up."""
    instructions: str | None
    tools: tuple[dict[str, Any], ...]
    """The function tools as the Response echoes them."""
    tool_choice: EchoedToolChoice
    temperature: float
    top_p: float
    metadata: dict[str, str]
    previous_response_id: str | None
    store: bool
    max_output_tokens: int | None = None
    """The limit as asked, for the echo: under ``responses_max_output_ignored`` the model never sees it."""


def served(flavour: Flavour = Flavour()) -> bool:
    """Whether this flavour serves ``POST /responses`` at all (``responses_absent``: no route)."""
    return not flavour.has("responses_absent")


class ResponseStore:
    """The conversations of stored responses, by id, for ``previous_response_id``.

    Bounded: beyond ``capacity`` the oldest is forgotten, as a follow-up to an expired
    response would be refused. No lock: the app's handlers all run on one event loop.
    """

    def __init__(self, capacity: int = STORE_CAPACITY) -> None:
        self._capacity = capacity
        self._conversations: OrderedDict[str, tuple[Message, ...]] = OrderedDict()

    def get(self, response_id: str) -> tuple[Message, ...] | None:
        return self._conversations.get(response_id)

    def put(self, response_id: str, conversation: tuple[Message, ...]) -> None:
        self._conversations[response_id] = conversation
        while len(self._conversations) > self._capacity:
            self._conversations.popitem(last=False)

    def __len__(self) -> int:
        return len(self._conversations)


# --- the request ------------------------------------------------------------------------


def parse_responses_request(
    body: bytes, models: Collection[str], store: ResponseStore, flavour: Flavour = Flavour()
) -> ResponsesRequest:
    """Validate a request body: JSON, then field types and values, then the model, then previous_response_id."""
    payload = _json_object(body)
    model_id = _required(payload, "model")
    if not isinstance(model_id, str):
        raise _invalid_type("model", "a string", model_id)
    instructions = _optional_string(payload, "instructions")
    token_limit = _optional_int(payload, "max_output_tokens", MIN_OUTPUT_TOKENS)
    temperature = _optional_number(payload, "temperature", 0, 2)
    top_p = _optional_number(payload, "top_p", 0, 1)
    stream = _optional_bool(payload, "stream") or False
    keep = _optional_bool(payload, "store") is not False
    parallel_tool_calls = _optional_bool(payload, "parallel_tool_calls") is not False
    metadata = _metadata(payload)
    tools, echoed_tools = _tools(payload)
    tool_choice, echoed_choice = _tool_choice(payload, tools)
    previous_id = _optional_string(payload, "previous_response_id")
    raw_input = _required(payload, "input")
    if model_id not in models and not flavour.has("unknown_model_200"):
        raise model_not_found(model_id)
    # responses_previous_ignored: the id is taken (even an unknown one) but never looked up.
    previous = () if flavour.has("responses_previous_ignored") else _previous_conversation(store, previous_id)
    history = (*previous, *_input_messages(raw_input, _call_ids(previous)))
    preamble = (Message("developer", instructions),) if instructions else ()
    chat = ChatRequest(
        model=model_id,
        messages=(*preamble, *history),
        tools=tools,
        tool_choice=tool_choice,
        parallel_tool_calls=parallel_tool_calls,
        token_limit=None if flavour.has("responses_max_output_ignored") else token_limit,
        stream=stream,
        temperature=1.0 if temperature is None else temperature,
    )
    return ResponsesRequest(
        chat=chat,
        history=history,
        instructions=instructions,
        tools=echoed_tools,
        tool_choice=echoed_choice,
        temperature=1.0 if temperature is None else temperature,
        top_p=1.0 if top_p is None else top_p,
        metadata=metadata,
        previous_response_id=previous_id,
        store=keep,
        max_output_tokens=token_limit,
    )


def previous_response_not_found(response_id: str) -> ApiError:
    """OpenAI's refusal of an unknown or unstored previous_response_id (400, not 404)."""
    return ApiError(
        400,
        f"Previous response with id '{response_id}' not found.",
        param="previous_response_id",
        code="previous_response_not_found",
    )


def _previous_conversation(store: ResponseStore, response_id: str | None) -> tuple[Message, ...]:
    if response_id is None:
        return ()
    conversation = store.get(response_id)
    if conversation is None:
        raise previous_response_not_found(response_id)
    return conversation


def _call_ids(messages: tuple[Message, ...]) -> set[str]:
    return {call_id for message in messages for call_id in message.tool_call_ids}


def _input_messages(raw: Any, earlier_call_ids: set[str]) -> tuple[Message, ...]:
    if isinstance(raw, str):
        return (Message("user", raw),)
    if not isinstance(raw, list):
        raise _invalid_type("input", "a string or an array of input items", raw)
    call_ids = set(earlier_call_ids)
    messages: list[Message] = []
    for i, item in enumerate(raw):
        message = _input_item(f"input[{i}]", item, call_ids)
        call_ids.update(message.tool_call_ids)
        messages.append(message)
    return tuple(messages)


def _input_item(where: str, raw: Any, call_ids: set[str]) -> Message:
    if not isinstance(raw, dict):
        raise _invalid_type(where, "an object", raw)
    # An easy input message ({"role", "content"}) may leave out its type.
    kind = raw.get("type") or "message"
    if kind == "message":
        return _message_item(where, raw)
    if kind == "function_call":
        call_id = _required_string(raw, "call_id", where)
        _required_string(raw, "name", where)
        _required_string(raw, "arguments", where)
        return Message("assistant", "", tool_call_ids=(call_id,))
    if kind == "function_call_output":
        return _function_call_output(where, raw, call_ids)
    supported = ", ".join(f"'{t}'" for t in _ITEM_TYPES)
    raise _invalid_value(f"{where}.type", f"Invalid value: {kind!r}. Supported values are: {supported}.")


def _message_item(where: str, raw: dict[str, Any]) -> Message:
    role = _required(raw, "role", where)
    if not isinstance(role, str):
        raise _invalid_type(f"{where}.role", "a string", role)
    if role not in INPUT_ROLES:
        supported = ", ".join(f"'{r}'" for r in INPUT_ROLES)
        raise _invalid_value(f"{where}.role", f"Invalid value: {role!r}. Supported values are: {supported}.")
    content = _required(raw, "content", where)
    if isinstance(content, str):
        return Message(role, content)
    if not isinstance(content, list):
        raise _invalid_type(f"{where}.content", "a string or an array of content parts", content)
    texts: list[str] = []
    image_urls: list[str] = []
    for j, part in enumerate(content):
        at = f"{where}.content[{j}]"
        kind = _part_type(at, part, _PART_TYPES[role])
        if kind == "input_image":
            image_urls.append(_image_url(at, part))
        else:
            texts.append(_required_string(part, "refusal" if kind == "refusal" else "text", at))
    return Message(role, " ".join(texts), image_urls=tuple(image_urls))


def _part_type(at: str, part: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(part, dict):
        raise _invalid_type(at, "an object", part)
    kind = _required(part, "type", at)
    if kind not in allowed:
        supported = ", ".join(f"'{t}'" for t in allowed)
        raise _invalid_value(f"{at}.type", f"Invalid value: {kind!r}. Supported values are: {supported}.")
    return str(kind)


def _image_url(at: str, part: dict[str, Any]) -> str:
    url = _required_string(part, "image_url", at)
    detail = part.get("detail")
    if detail is not None and detail not in _IMAGE_DETAILS:
        supported = ", ".join(f"'{d}'" for d in _IMAGE_DETAILS)
        raise _invalid_value(f"{at}.detail", f"Invalid value: {detail!r}. Supported values are: {supported}.")
    try:
        decode_png(png_from_data_url(url))
    except ValueError as exc:
        raise ApiError(400, f"Invalid image: {exc}.", param=f"{at}.image_url", code="invalid_image") from exc
    return url


def _function_call_output(where: str, raw: dict[str, Any], call_ids: set[str]) -> Message:
    call_id = _required_string(raw, "call_id", where)
    if call_id not in call_ids:
        raise ApiError(400, f"No tool call found for function call output with call_id {call_id}.", param="input")
    output = _required(raw, "output", where)
    if isinstance(output, str):
        return Message("tool", output, tool_call_id=call_id)
    if not isinstance(output, list):
        raise _invalid_type(f"{where}.output", "a string or an array of content parts", output)
    texts: list[str] = []
    for j, part in enumerate(output):
        _part_type(f"{where}.output[{j}]", part, ("input_text",))
        texts.append(_required_string(part, "text", f"{where}.output[{j}]"))
    return Message("tool", " ".join(texts), tool_call_id=call_id)


def _tools(payload: dict[str, Any]) -> tuple[tuple[Tool, ...], tuple[dict[str, Any], ...]]:
    """The function tools for the model, and as the Response echoes them."""
    raw = payload.get("tools")
    if raw is None:
        return (), ()
    if not isinstance(raw, list):
        raise _invalid_type("tools", "an array", raw)
    parsed = [_tool(f"tools[{i}]", item) for i, item in enumerate(raw)]
    return tuple(tool for tool, _ in parsed), tuple(echo for _, echo in parsed)


def _tool(at: str, raw: Any) -> tuple[Tool, dict[str, Any]]:
    if not isinstance(raw, dict):
        raise _invalid_type(at, "an object", raw)
    if _required(raw, "type", at) != "function":
        raise _invalid_value(f"{at}.type", "Invalid value: only 'function' tools are supported by this server.")
    name = _required_string(raw, "name", at)
    if not _TOOL_NAME.fullmatch(name):
        raise _invalid_value(
            f"{at}.name",
            f"Invalid '{at}.name': string does not match pattern. Expected a string that matches the pattern "
            f"'{_TOOL_NAME.pattern}'.",
        )
    description = _optional_string(raw, "description", at)
    parameters = raw.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise _invalid_type(f"{at}.parameters", "an object", parameters)
    strict = _optional_bool(raw, "strict", at)
    # Function tools are strict unless the request says otherwise; the echo says which.
    echo = {
        "type": "function",
        "name": name,
        "description": description,
        "parameters": parameters,
        "strict": strict is not False,
    }
    return Tool(name, parameters or {}), echo


def _tool_choice(payload: dict[str, Any], tools: tuple[Tool, ...]) -> tuple[ToolChoice, EchoedToolChoice]:
    """The choice for the model, and as the Response echoes it."""
    raw = payload.get("tool_choice")
    if raw is None:
        return "auto", "auto"
    if isinstance(raw, str):
        if raw not in _TOOL_CHOICE_MODES:
            raise _invalid_value(
                "tool_choice", f"Invalid value: {raw!r}. Supported values are: 'none', 'auto', 'required'."
            )
        if raw == "required" and not tools:
            raise _invalid_value("tool_choice", "Tool choice 'required' must be specified with 'tools' parameter.")
        return cast(ToolChoice, raw), raw
    if not isinstance(raw, dict):
        raise _invalid_type("tool_choice", "a string or an object", raw)
    if raw.get("type") != "function":
        raise _invalid_value("tool_choice.type", "Invalid value: only 'function' is supported by this server.")
    name = _required_string(raw, "name", "tool_choice")
    if name not in {tool.name for tool in tools}:
        raise _invalid_value("tool_choice", f"Tool choice '{name}' not found in 'tools' parameter.")
    return NamedTool(name), {"type": "function", "name": name}


def _optional_string(obj: dict[str, Any], key: str, where: str | None = None) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise _invalid_type(f"{where}.{key}" if where else key, "a string", value)
    return value


# --- the Response object ------------------------------------------------------------------


def create_response(
    request: ResponsesRequest, store: ResponseStore, flavour: Flavour = Flavour(), sampler: model.Sampler | None = None
) -> dict[str, Any]:
    """Answer the request: the finished Response object, stored for follow-ups unless ``store`` was false."""
    result = model.reply(request.chat, flavour, sampler)
    response_id = f"resp_{secrets.token_hex(24)}"
    incomplete = result.finish_reason == "length"
    created_at = int(time.time())
    body: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": "incomplete" if incomplete else "completed",
        "background": False,
        "completed_at": None if incomplete else created_at,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": request.instructions,
        "max_output_tokens": request.max_output_tokens,
        "max_tool_calls": None,
        "model": request.chat.model,
        "output": _output_items(result, incomplete, flavour),
        "parallel_tool_calls": request.chat.parallel_tool_calls,
        "previous_response_id": request.previous_response_id,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": SERVICE_TIER,
        "store": request.store,
        "temperature": request.temperature,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": request.tool_choice,
        "tools": list(request.tools),
        "top_logprobs": 0,
        "top_p": request.top_p,
        "truncation": "disabled",
        "usage": _usage(result),
        "metadata": request.metadata,
    }
    if request.store:
        store.put(response_id, (*request.history, *_output_messages(result)))
    return body


def _output_items(result: model.Reply, incomplete: bool, flavour: Flavour) -> list[dict[str, Any]]:
    if result.tool_calls:
        calls = [
            {
                "id": f"fc_{secrets.token_hex(24)}",
                "type": "function_call",
                "status": "completed",
                "call_id": call.id,
                "name": call.name,
                "arguments": call.arguments,
            }
            for call in result.tool_calls
        ]
        if flavour.has("responses_no_call_id"):
            # The stored conversation keeps the ids; only the client never learns them.
            calls = [{key: value for key, value in item.items() if key != "call_id"} for item in calls]
        return calls
    text = {"type": "output_text", "text": result.content or "", "annotations": [], "logprobs": []}
    return [
        {
            "id": f"msg_{secrets.token_hex(24)}",
            "type": "message",
            "status": "incomplete" if incomplete else "completed",
            "role": "assistant",
            "content": [text],
        }
    ]


def _output_messages(result: model.Reply) -> tuple[Message, ...]:
    """The reply as chat messages, for the stored conversation."""
    if result.tool_calls:
        return (Message("assistant", "", tool_call_ids=tuple(call.id for call in result.tool_calls)),)
    return (Message("assistant", result.content or ""),)


def _usage(result: model.Reply) -> dict[str, Any]:
    return {
        "input_tokens": result.prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": result.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": result.prompt_tokens + result.completion_tokens,
    }


# --- the event stream -----------------------------------------------------------------------


def stream_events(response: dict[str, Any], flavour: Flavour = Flavour()) -> Iterator[dict[str, Any]]:
    """Every event of the stream that produces ``response``, in the documented order, numbered from 0
    (``responses_no_completed``: without the final response.completed / response.incomplete)."""
    events = _unnumbered_events(response)
    if flavour.has("responses_no_completed"):
        events = (event for event in events if event["type"] not in ("response.completed", "response.incomplete"))
    for number, event in enumerate(events):
        yield {**event, "sequence_number": number}


async def sse_frames(response: dict[str, Any], flavour: Flavour = Flavour()) -> AsyncIterator[str]:
    """The response body: one ``event:``/``data:`` frame per event (``responses_no_event_lines``:
    ``data:`` only), and no ``[DONE]`` after the last."""
    named = not flavour.has("responses_no_event_lines")
    for event in stream_events(response, flavour):
        payload = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        yield (f"event: {event['type']}\n" if named else "") + f"data: {payload}\n\n"


def _unnumbered_events(response: dict[str, Any]) -> Iterator[dict[str, Any]]:
    # The opening snapshots have no usage at all: the spec types usage as an object, never null.
    opening = {key: value for key, value in response.items() if key != "usage"}
    opening.update(status="in_progress", completed_at=None, incomplete_details=None, output=[])
    yield {"type": "response.created", "response": opening}
    yield {"type": "response.in_progress", "response": opening}
    for index, item in enumerate(response["output"]):
        if item["type"] == "function_call":
            yield from _function_call_events(index, item)
        else:
            yield from _message_events(index, item)
    final = "response.incomplete" if response["status"] == "incomplete" else "response.completed"
    yield {"type": final, "response": response}


def _message_events(index: int, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    opening = {**item, "status": "in_progress", "content": []}
    yield {"type": "response.output_item.added", "output_index": index, "item": opening}
    for content_index, part in enumerate(item["content"]):
        where = {"item_id": item["id"], "output_index": index, "content_index": content_index}
        yield {"type": "response.content_part.added", **where, "part": {**part, "text": ""}}
        for delta in _DELTA.findall(part["text"]):
            yield {"type": "response.output_text.delta", **where, "delta": delta, "logprobs": []}
        yield {"type": "response.output_text.done", **where, "text": part["text"], "logprobs": []}
        yield {"type": "response.content_part.done", **where, "part": part}
    yield {"type": "response.output_item.done", "output_index": index, "item": item}


def _function_call_events(index: int, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    opening = {**item, "status": "in_progress", "arguments": ""}
    yield {"type": "response.output_item.added", "output_index": index, "item": opening}
    where = {"item_id": item["id"], "output_index": index}
    arguments = item["arguments"]
    for start in range(0, len(arguments), ARGUMENT_FRAGMENT_LENGTH):
        yield {
            "type": "response.function_call_arguments.delta",
            **where,
            "delta": arguments[start : start + ARGUMENT_FRAGMENT_LENGTH],
        }
    yield {"type": "response.function_call_arguments.done", **where, "name": item["name"], "arguments": arguments}
    yield {"type": "response.output_item.done", "output_index": index, "item": item}
