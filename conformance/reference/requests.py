"""Turning an incoming chat completion request into a ChatRequest, or into the error OpenAI would return.

Messages and codes follow OpenAI's wording where the suite's probes look at them;
``param`` uses OpenAI's ``messages.[i].field`` path style.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

from ..png import decode_png
from .flavour import Flavour

MESSAGE_ROLES = ("system", "developer", "user", "assistant", "tool")
PNG_DATA_URL_PREFIX = "data:image/png;base64,"
MAX_N = 8

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_IMAGE_DETAILS = ("auto", "low", "high")
_TOOL_CHOICE_MODES = ("none", "auto", "required")

MISSING_KEY_MESSAGE = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)
INVALID_KEY_MESSAGE = "Incorrect API key provided."
MISSING_API_KEY_HEADER_MESSAGE = "Access denied due to missing API key. Provide your key in an api-key header."

_INSTRUCTION_ROLES = ("system", "developer")
# tool_choice modes a flavour may treat as "auto", and the deviation that does it.
_IGNORED_TOOL_CHOICES = {"none": "tool_choice_none_ignored", "required": "tool_choice_required_ignored"}


class ApiError(Exception):
    """An error response: HTTP status plus the fields of OpenAI's error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.param = param
        self.code = code

    def envelope(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.error_type, "param": self.param, "code": self.code}}


@dataclass(frozen=True)
class Message:
    role: str
    text: str
    """Text content; text parts joined by spaces; empty for null content."""
    image_urls: tuple[str, ...] = ()
    tool_call_ids: tuple[str, ...] = ()
    """Ids of the tool calls an assistant message made."""
    tool_call_id: str | None = None
    """The call a tool message answers."""


@dataclass(frozen=True)
class Tool:
    name: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class NamedTool:
    name: str


ToolChoice = Literal["none", "auto", "required"] | NamedTool


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: tuple[Message, ...]
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice = "none"
    parallel_tool_calls: bool = True
    n: int = 1
    token_limit: int | None = None
    """The lower of max_tokens and max_completion_tokens, if either was given."""
    stream: bool = False
    include_usage: bool = False


def authorization_error(header: str | None, api_key: str) -> ApiError | None:
    """The 401 for an Authorization header value, or None if it carries ``api_key`` as a Bearer token.

    The messages never quote a key: echoing it would leak secrets into logs and reports.
    """
    if header is None:
        return ApiError(401, MISSING_KEY_MESSAGE)
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), api_key.encode()):
        return ApiError(401, INVALID_KEY_MESSAGE, code="invalid_api_key")
    return None


def api_key_header_error(header: str | None, api_key: str) -> ApiError | None:
    """Like :func:`authorization_error`, for a key expected in an ``api-key:`` header (Azure style)."""
    if header is None:
        return ApiError(401, MISSING_API_KEY_HEADER_MESSAGE)
    if not hmac.compare_digest(header.strip().encode(), api_key.encode()):
        return ApiError(401, INVALID_KEY_MESSAGE, code="invalid_api_key")
    return None


def model_not_found(model: str) -> ApiError:
    return ApiError(
        404, f"The model `{model}` does not exist or you do not have access to it.", code="model_not_found"
    )


def png_from_data_url(url: str) -> bytes:
    """The PNG bytes inside a ``data:image/png;base64,`` URL; ValueError if it is not one."""
    if url.startswith(("http://", "https://")):
        raise ValueError(
            "image URLs cannot be fetched: this server has no network access; "
            f"send the image inline as a {PNG_DATA_URL_PREFIX}... URL"
        )
    if not url.startswith(PNG_DATA_URL_PREFIX):
        raise ValueError(f"expected a {PNG_DATA_URL_PREFIX}... URL")
    try:
        return base64.b64decode(url[len(PNG_DATA_URL_PREFIX) :], validate=True)
    except ValueError as exc:
        raise ValueError(f"the base64 payload does not decode ({exc})") from exc


def parse_chat_request(body: bytes, models: Collection[str], flavour: Flavour = Flavour()) -> ChatRequest:
    """Validate a request body: JSON first, then field types and values, then the model, then images.

    ``flavour`` deviations that concern the request (rejected or ignored fields and
    messages, remapped tool choices) are applied here, so the model sees their effect.
    """
    payload = _json_object(body)
    model = _required(payload, "model")
    if not isinstance(model, str):
        raise _invalid_type("model", "a string", model)
    messages = _messages(payload)
    _optional_number(payload, "temperature", 0, 2)
    _optional_number(payload, "top_p", 0, 1)
    n = _optional_int(payload, "n", 1, MAX_N) or 1
    token_limit = _token_limit(payload, flavour)
    stream = _optional_bool(payload, "stream") or False
    include_usage = _stream_options(payload, stream)
    tools, tool_choice = _tools_and_choice(payload, flavour)
    parallel_tool_calls = _optional_bool(payload, "parallel_tool_calls")
    if model not in models and not flavour.has("unknown_model_200"):
        raise model_not_found(model)
    messages = _flavoured_messages(messages, flavour)
    _check_images(messages)
    return ChatRequest(
        model=model,
        messages=messages,
        tools=tools,
        tool_choice=tool_choice,
        parallel_tool_calls=parallel_tool_calls is not False or flavour.has("parallel_ignored"),
        n=n,
        token_limit=token_limit,
        stream=stream,
        include_usage=include_usage,
    )


def _token_limit(payload: dict[str, Any], flavour: Flavour) -> int | None:
    """The lower of max_tokens and max_completion_tokens, as far as the flavour honours them."""
    if flavour.has("max_completion_tokens_rejected") and payload.get("max_completion_tokens") is not None:
        raise ApiError(
            400, "Unrecognized request argument supplied: max_completion_tokens", param="max_completion_tokens"
        )
    max_tokens = _optional_int(payload, "max_tokens", 1)
    max_completion_tokens = _optional_int(payload, "max_completion_tokens", 1)
    if flavour.has("max_completion_tokens_ignored"):
        max_completion_tokens = None
    limits = [limit for limit in (max_tokens, max_completion_tokens) if limit is not None]
    return min(limits) if limits else None


def _tools_and_choice(payload: dict[str, Any], flavour: Flavour) -> tuple[tuple[Tool, ...], ToolChoice]:
    if flavour.has("tools_ignored"):
        # Not even validated: a provider without tool support never looks at these fields.
        return (), "none"
    tools = _tools(payload)
    tool_choice = _tool_choice(payload, tools)
    if isinstance(tool_choice, str) and flavour.has(_IGNORED_TOOL_CHOICES.get(tool_choice, "")):
        tool_choice = "auto"
    return tools, tool_choice


def _flavoured_messages(messages: tuple[Message, ...], flavour: Flavour) -> tuple[Message, ...]:
    """The messages as a provider with limited system-message or image support treats them."""
    kept: list[Message] = []
    for i, message in enumerate(messages):
        if message.role in _INSTRUCTION_ROLES:
            if flavour.has("system_rejected"):
                raise _invalid_value(
                    f"messages.[{i}].role",
                    f"Invalid value: '{message.role}'. This model does not support {message.role} messages.",
                )
            if flavour.has("system_ignored"):
                continue
        if message.image_urls:
            if flavour.has("image_rejected"):
                raise ApiError(400, "Image input is not supported by this model", param=f"messages.[{i}].content")
            if flavour.has("image_500"):
                raise ApiError(500, "Internal server error", error_type="server_error")
            if flavour.has("image_dropped"):
                message = replace(message, image_urls=())
        kept.append(message)
    return tuple(kept)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise ApiError(
            400,
            "We could not parse the JSON body of your request. The API expects a JSON object as the request body.",
        )
    return payload


def _messages(payload: dict[str, Any]) -> tuple[Message, ...]:
    raw = _required(payload, "messages")
    if not isinstance(raw, list):
        raise _invalid_type("messages", "an array", raw)
    if not raw:
        raise _invalid_value("messages", "Invalid 'messages': empty array. Expected an array with minimum length 1.")
    messages: list[Message] = []
    for i, item in enumerate(raw):
        earlier_call_ids = {call_id for message in messages for call_id in message.tool_call_ids}
        messages.append(_message(f"messages.[{i}]", item, earlier_call_ids))
    return tuple(messages)


def _message(where: str, raw: Any, earlier_call_ids: set[str]) -> Message:
    if not isinstance(raw, dict):
        raise _invalid_type(where, "an object", raw)
    role = _required(raw, "role", where)
    if not isinstance(role, str):
        raise _invalid_type(f"{where}.role", "a string", role)
    if role not in MESSAGE_ROLES:
        supported = ", ".join(f"'{r}'" for r in MESSAGE_ROLES)
        raise _invalid_value(f"{where}.role", f"Invalid value: '{role}'. Supported values are: {supported}.")
    if role == "assistant":
        return _assistant_message(where, raw)
    if role == "tool":
        call_id = _required_string(raw, "tool_call_id", where)
        if call_id not in earlier_call_ids:
            raise _invalid_value(
                f"{where}.tool_call_id",
                f"Invalid parameter: the tool message's tool_call_id '{call_id}' does not answer "
                "any tool call of a preceding assistant message.",
            )
        text, _ = _content(where, _required(raw, "content", where), allow_images=False)
        return Message(role, text, tool_call_id=call_id)
    text, image_urls = _content(where, _required(raw, "content", where), allow_images=True)
    return Message(role, text, image_urls=image_urls)


def _assistant_message(where: str, raw: dict[str, Any]) -> Message:
    content = raw.get("content")
    text, _ = ("", ()) if content is None else _content(where, content, allow_images=False)
    calls = raw.get("tool_calls")
    if calls is None:
        return Message("assistant", text)
    if not isinstance(calls, list):
        raise _invalid_type(f"{where}.tool_calls", "an array", calls)
    ids: list[str] = []
    for j, call in enumerate(calls):
        at = f"{where}.tool_calls.[{j}]"
        if not isinstance(call, dict):
            raise _invalid_type(at, "an object", call)
        ids.append(_required_string(call, "id", at))
        if _required(call, "type", at) != "function":
            raise _invalid_value(f"{at}.type", "Invalid value: only 'function' tool calls are supported.")
        function = _required(call, "function", at)
        if not isinstance(function, dict):
            raise _invalid_type(f"{at}.function", "an object", function)
        _required_string(function, "name", f"{at}.function")
        _required_string(function, "arguments", f"{at}.function")
    return Message("assistant", text, tool_call_ids=tuple(ids))


def _content(where: str, content: Any, *, allow_images: bool) -> tuple[str, tuple[str, ...]]:
    """Text and image URLs of a message's content (a string or a list of parts)."""
    if isinstance(content, str):
        return content, ()
    if not isinstance(content, list):
        raise _invalid_type(f"{where}.content", "a string or an array of content parts", content)
    if not content:
        raise _invalid_value(
            f"{where}.content", f"Invalid '{where}.content': empty array. Expected an array with minimum length 1."
        )
    texts: list[str] = []
    image_urls: list[str] = []
    for j, part in enumerate(content):
        at = f"{where}.content.[{j}]"
        if not isinstance(part, dict):
            raise _invalid_type(at, "an object", part)
        kind = _required(part, "type", at)
        if kind == "text":
            texts.append(_required_string(part, "text", at))
        elif kind == "image_url" and allow_images:
            image_urls.append(_image_url(at, part))
        else:
            supported = "'text', 'image_url'" if allow_images else "'text'"
            raise _invalid_value(f"{at}.type", f"Invalid value: {kind!r}. Supported values are: {supported}.")
    return " ".join(texts), tuple(image_urls)


def _image_url(at: str, part: dict[str, Any]) -> str:
    image = _required(part, "image_url", at)
    if not isinstance(image, dict):
        raise _invalid_type(f"{at}.image_url", "an object", image)
    url = _required_string(image, "url", f"{at}.image_url")
    detail = image.get("detail")
    if detail is not None and detail not in _IMAGE_DETAILS:
        raise _invalid_value(
            f"{at}.image_url.detail", f"Invalid value: {detail!r}. Supported values are: 'auto', 'low', 'high'."
        )
    return url


def _check_images(messages: tuple[Message, ...]) -> None:
    for message in messages:
        for url in message.image_urls:
            try:
                decode_png(png_from_data_url(url))
            except ValueError as exc:
                raise ApiError(400, f"Invalid image: {exc}.", param="messages", code="invalid_image") from exc


def _stream_options(payload: dict[str, Any], stream: bool) -> bool:
    """Whether usage was requested in the stream."""
    options = payload.get("stream_options")
    if options is None:
        return False
    if not isinstance(options, dict):
        raise _invalid_type("stream_options", "an object", options)
    if not stream:
        raise _invalid_value("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
    return _optional_bool(options, "include_usage", "stream_options") or False


def _tools(payload: dict[str, Any]) -> tuple[Tool, ...]:
    raw = payload.get("tools")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _invalid_type("tools", "an array", raw)
    if not raw:
        raise _invalid_value("tools", "Invalid 'tools': empty array. Expected an array with minimum length 1.")
    return tuple(_tool(f"tools.[{i}]", item) for i, item in enumerate(raw))


def _tool(at: str, raw: Any) -> Tool:
    if not isinstance(raw, dict):
        raise _invalid_type(at, "an object", raw)
    if _required(raw, "type", at) != "function":
        raise _invalid_value(f"{at}.type", "Invalid value: only 'function' tools are supported.")
    function = _required(raw, "function", at)
    if not isinstance(function, dict):
        raise _invalid_type(f"{at}.function", "an object", function)
    name = _required_string(function, "name", f"{at}.function")
    if not _TOOL_NAME.fullmatch(name):
        raise _invalid_value(
            f"{at}.function.name",
            f"Invalid '{at}.function.name': string does not match pattern. "
            f"Expected a string that matches the pattern '{_TOOL_NAME.pattern}'.",
        )
    description = function.get("description")
    if description is not None and not isinstance(description, str):
        raise _invalid_type(f"{at}.function.description", "a string", description)
    parameters = function.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise _invalid_type(f"{at}.function.parameters", "an object", parameters)
    return Tool(name, parameters or {})


def _tool_choice(payload: dict[str, Any], tools: tuple[Tool, ...]) -> ToolChoice:
    raw = payload.get("tool_choice")
    if raw is None:
        return "auto" if tools else "none"
    if not tools:
        raise _invalid_value(
            "tool_choice", "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified."
        )
    if isinstance(raw, str):
        if raw not in _TOOL_CHOICE_MODES:
            raise _invalid_value(
                "tool_choice", f"Invalid value: {raw!r}. Supported values are: 'none', 'auto', 'required'."
            )
        return cast(ToolChoice, raw)
    if not isinstance(raw, dict):
        raise _invalid_type("tool_choice", "a string or an object", raw)
    if raw.get("type") != "function":
        raise _invalid_value("tool_choice.type", "Invalid value: only 'function' is supported.")
    function = _required(raw, "function", "tool_choice")
    if not isinstance(function, dict):
        raise _invalid_type("tool_choice.function", "an object", function)
    name = _required_string(function, "name", "tool_choice.function")
    if name not in {tool.name for tool in tools}:
        raise _invalid_value(
            "tool_choice",
            f"Invalid value for 'tool_choice': no function named '{name}' is specified in the 'tools' parameter.",
        )
    return NamedTool(name)


# Field helpers. Optional fields treat an explicit null as absent, as OpenAI does.


def _required(obj: dict[str, Any], key: str, where: str | None = None) -> Any:
    param = f"{where}.{key}" if where else key
    if obj.get(key) is None:
        raise ApiError(400, f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter")
    return obj[key]


def _required_string(obj: dict[str, Any], key: str, where: str) -> str:
    value = _required(obj, key, where)
    if not isinstance(value, str):
        raise _invalid_type(f"{where}.{key}", "a string", value)
    return value


def _optional_bool(obj: dict[str, Any], key: str, where: str | None = None) -> bool | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, bool):
        raise _invalid_type(f"{where}.{key}" if where else key, "a boolean", value)
    return value


def _optional_number(obj: dict[str, Any], key: str, low: float, high: float) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    # bool is an int subclass in Python, but `true` is not a number in JSON.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _invalid_type(key, "a decimal", value)
    if not low <= value <= high:
        raise _invalid_value(
            key, f"Invalid '{key}': expected a value between {low} and {high}, but got {value} instead."
        )
    return value


def _optional_int(obj: dict[str, Any], key: str, low: int, high: int | None = None) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid_type(key, "an integer", value)
    if value < low or (high is not None and value > high):
        bound = f"at least {low}" if high is None else f"between {low} and {high}"
        raise _invalid_value(key, f"Invalid '{key}': expected a value {bound}, but got {value} instead.")
    return value


def _invalid_type(param: str, expected: str, value: Any) -> ApiError:
    return ApiError(
        400,
        f"Invalid type for '{param}': expected {expected}, but got {_json_kind(value)} instead.",
        param=param,
        code="invalid_type",
    )


def _invalid_value(param: str, message: str) -> ApiError:
    return ApiError(400, message, param=param, code="invalid_value")


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
