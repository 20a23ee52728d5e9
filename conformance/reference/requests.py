"""Turning an incoming chat completion request into a ChatRequest, or into the error OpenAI would return.

Messages and codes follow OpenAI's wording where the suite's probes look at them;
``param`` uses OpenAI's ``messages.[i].field`` path style.
"""

from __future__ import annotations

import base64
import hmac
import json
import math
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

from ..png import decode_png
from .flavour import Flavour
from .structured import StrictSchemaError, check_strict

MESSAGE_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
PNG_DATA_URL_PREFIX = "data:image/png;base64,"
MAX_N = 8
MAX_STOP = 4
MAX_TOP_LOGPROBS = 20
MAX_FUNCTIONS = 128
MAX_LOGIT_BIAS = 100
MAX_PENALTY = 2
DEFAULT_TEMPERATURE = 1.0
"""OpenAI's default: a request without ``temperature`` samples."""
SEED_RANGE = (-(2**63), 2**63 - 1)
SERVICE_TIERS = ("auto", "default", "flex", "scale", "priority", "fast")
MAX_METADATA_PAIRS = 16
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 512

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_IMAGE_DETAILS = ("auto", "low", "high")
_TOOL_CHOICE_MODES = ("none", "auto", "required")
_FUNCTION_CALL_MODES = ("none", "auto")
_RESPONSE_FORMATS = ("text", "json_object", "json_schema")
_OWN_CALL_ID = re.compile(r"^call_[0-9a-f]{24}$")
"""The tool-call ids this server makes (model._call); foreign_call_ids_rejected refuses any other."""
_RESULT_ROLES = ("tool", "function")
# Fields a flavour refuses as unknown, as servers with a closed request schema do, and the deviation that does it.
_UNRECOGNIZED_FIELDS = {
    "newer_fields_rejected": ("metadata", "store", "service_tier"),
    "sampling_fields_rejected": ("logit_bias", "frequency_penalty", "presence_penalty"),
    "legacy_functions_rejected": ("functions", "function_call"),
}

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
    strict: bool = False


@dataclass(frozen=True)
class ResponseFormat:
    """A JSON ``response_format`` (``text`` is no format at all: None)."""

    type: Literal["json_object", "json_schema"]
    name: str = ""
    schema: dict[str, Any] | None = None
    """The json_schema's schema; None for json_object (or a json_schema without one)."""


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
    stop: tuple[str, ...] = ()
    logprobs: bool = False
    top_logprobs: int = 0
    temperature: float = DEFAULT_TEMPERATURE
    seed: int | None = None
    response_format: ResponseFormat | None = None
    legacy_functions: bool = False
    """``tools`` came as the deprecated ``functions`` (``tool_choice`` as ``function_call``): the reply is a ``function_call``."""


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
    _refuse_unrecognized(payload, flavour)
    model = _required(payload, "model")
    if not isinstance(model, str):
        raise _invalid_type("model", "a string", model)
    messages = _messages(payload, first_part_only=flavour.has("content_parts_first_only"))
    temperature = _temperature(payload, flavour)
    _optional_number(payload, "top_p", 0, 1)
    _check_optional_fields(payload)
    n = _optional_int(payload, "n", 1, MAX_N) or 1
    token_limit = _token_limit(payload, flavour)
    stream = _optional_bool(payload, "stream") or False
    include_usage = _stream_options(payload, stream)
    stop = _stop(payload)
    logprobs, top_logprobs = _logprobs(payload)
    seed = _optional_int(payload, "seed", *SEED_RANGE)
    response_format = _response_format(payload, flavour)
    tools, tool_choice, legacy = _tools_and_choice(payload, flavour)
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
        # The legacy API has no parallel calls: one function_call per reply.
        parallel_tool_calls=not legacy and (parallel_tool_calls is not False or flavour.has("parallel_ignored")),
        n=1 if flavour.has("n_ignored") else n,
        token_limit=token_limit,
        stream=stream,
        include_usage=include_usage,
        stop=() if flavour.has("stop_ignored") else stop,
        logprobs=logprobs and not flavour.has("logprobs_ignored"),
        top_logprobs=top_logprobs,
        temperature=temperature,
        seed=None if flavour.has("seed_ignored") else seed,
        response_format=None if flavour.has("json_mode_ignored") else response_format,
        legacy_functions=legacy,
    )


def _refuse_unrecognized(payload: dict[str, Any], flavour: Flavour) -> None:
    """The 400 a closed request schema gives the first field (in body order) it does not know."""
    refused = {field for name, fields in _UNRECOGNIZED_FIELDS.items() if flavour.has(name) for field in fields}
    field = next((key for key, value in payload.items() if key in refused and value is not None), None)
    if field is not None:
        raise ApiError(400, f"Unrecognized request argument supplied: {field}", param=field)


def _temperature(payload: dict[str, Any], flavour: Flavour) -> float:
    """The sampling temperature (OpenAI's default 1 when absent); 0 for temperature_unchecked, which ignores it."""
    if flavour.has("temperature_unchecked"):
        _optional_number(payload, "temperature", -math.inf, math.inf)
        return 0.0
    value = _optional_number(payload, "temperature", 0, 2)
    return DEFAULT_TEMPERATURE if value is None else value


def _check_optional_fields(payload: dict[str, Any]) -> None:
    """Fields the model has no use for, validated as OpenAI does so a malformed one is still refused."""
    _optional_number(payload, "frequency_penalty", -MAX_PENALTY, MAX_PENALTY)
    _optional_number(payload, "presence_penalty", -MAX_PENALTY, MAX_PENALTY)
    _logit_bias(payload)
    _optional_bool(payload, "store")
    _metadata(payload)
    tier = payload.get("service_tier")
    if tier is not None and tier not in SERVICE_TIERS:
        supported = ", ".join(f"'{t}'" for t in SERVICE_TIERS)
        raise _invalid_value("service_tier", f"Invalid value: {tier!r}. Supported values are: {supported}.")
    for key in ("user", "safety_identifier", "prompt_cache_key"):
        value = payload.get(key)
        if value is not None and not isinstance(value, str):
            raise _invalid_type(key, "a string", value)


def _logit_bias(payload: dict[str, Any]) -> None:
    raw = payload.get("logit_bias")
    if raw is None:
        return
    if not isinstance(raw, dict):
        raise _invalid_type("logit_bias", "an object", raw)
    for token in raw:
        if not token.isdigit():
            raise _invalid_value("logit_bias", f"Invalid key in 'logit_bias': {token}. Keys are token ids.")
        _optional_number(raw, token, -MAX_LOGIT_BIAS, MAX_LOGIT_BIAS, where="logit_bias")


def _metadata(payload: dict[str, Any]) -> dict[str, str]:
    """Up to 16 string pairs (keys up to 64 characters, values up to 512), on both endpoints."""
    raw = payload.get("metadata")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _invalid_type("metadata", "an object", raw)
    if len(raw) > MAX_METADATA_PAIRS:
        raise _invalid_value(
            "metadata",
            f"Invalid 'metadata': too many properties. Expected an object with at most {MAX_METADATA_PAIRS} "
            f"properties, but got {len(raw)} instead.",
        )
    for key, value in raw.items():
        if len(key) > MAX_METADATA_KEY:
            raise _invalid_value("metadata", f"Invalid 'metadata': keys are at most {MAX_METADATA_KEY} characters.")
        if not isinstance(value, str):
            raise _invalid_type(f"metadata.{key}", "a string", value)
        if len(value) > MAX_METADATA_VALUE:
            raise _invalid_value(
                f"metadata.{key}", f"Invalid 'metadata.{key}': values are at most {MAX_METADATA_VALUE} characters."
            )
    return dict(raw)


def _stop(payload: dict[str, Any]) -> tuple[str, ...]:
    """Up to four stop sequences: null, one string or an array of 1 to 4 strings."""
    raw = payload.get("stop")
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if not isinstance(raw, list):
        raise _invalid_type("stop", "a string or an array of strings", raw)
    if not raw:
        raise _invalid_value("stop", "Invalid 'stop': empty array. Expected an array with minimum length 1.")
    if len(raw) > MAX_STOP:
        raise _invalid_value(
            "stop",
            f"Invalid 'stop': array too long. Expected an array with maximum length {MAX_STOP}, "
            f"but got an array with length {len(raw)} instead.",
        )
    for i, item in enumerate(raw):
        if not isinstance(item, str):
            raise _invalid_type(f"stop.[{i}]", "a string", item)
    return tuple(raw)


def _logprobs(payload: dict[str, Any]) -> tuple[bool, int]:
    """Whether log probabilities were asked for, and how many alternatives per token."""
    logprobs = _optional_bool(payload, "logprobs") or False
    top = _optional_int(payload, "top_logprobs", 0, MAX_TOP_LOGPROBS)
    if top is not None and not logprobs:
        # The spec: "`logprobs` must be set to `true` if this parameter is used."
        raise _invalid_value(
            "top_logprobs", "Invalid value for 'top_logprobs': 'logprobs' must be set to true if 'top_logprobs' is used."
        )
    return logprobs, top or 0


def _response_format(payload: dict[str, Any], flavour: Flavour) -> ResponseFormat | None:
    raw = payload.get("response_format")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _invalid_type("response_format", "an object", raw)
    kind = _required(raw, "type", "response_format")
    if kind not in _RESPONSE_FORMATS:
        raise _invalid_value(
            "response_format.type",
            f"Invalid value: {kind!r}. Supported values are: 'text', 'json_object' and 'json_schema'.",
        )
    if kind == "text":
        return None
    if kind == "json_object":
        return ResponseFormat("json_object")
    if flavour.has("json_schema_rejected"):
        raise ApiError(
            400, "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
            param="response_format",
        )
    return _json_schema_format(raw)


def _json_schema_format(raw: dict[str, Any]) -> ResponseFormat:
    where = "response_format.json_schema"
    spec = _required(raw, "json_schema", "response_format")
    if not isinstance(spec, dict):
        raise _invalid_type(where, "an object", spec)
    name = _required_string(spec, "name", where)
    _check_name(f"{where}.name", name)
    description = spec.get("description")
    if description is not None and not isinstance(description, str):
        raise _invalid_type(f"{where}.description", "a string", description)
    schema = spec.get("schema")
    if schema is not None and not isinstance(schema, dict):
        raise _invalid_type(f"{where}.schema", "an object", schema)
    if _optional_bool(spec, "strict", where) and schema is not None:
        try:
            check_strict(schema)
        except StrictSchemaError as exc:
            raise ApiError(400, f"Invalid schema for response_format '{name}': {exc}", param="response_format") from exc
    return ResponseFormat("json_schema", name=name, schema=schema)


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


def _tools_and_choice(payload: dict[str, Any], flavour: Flavour) -> tuple[tuple[Tool, ...], ToolChoice, bool]:
    """The tools, the choice among them, and whether they came as the legacy ``functions``."""
    if flavour.has("tools_ignored"):
        # Not even validated: a provider without tool support never looks at these fields.
        return (), "none", False
    if payload.get("functions") is not None:
        if payload.get("tools") is not None:
            raise _invalid_value(
                "functions", "Invalid value for 'functions': 'functions' and 'tools' cannot be used together; use 'tools'."
            )
        functions = _functions(payload)
        return functions, _function_call(payload, functions), True
    tools = _tools(payload, flavour)
    tool_choice = _tool_choice(payload, tools)
    if isinstance(tool_choice, str) and flavour.has(_IGNORED_TOOL_CHOICES.get(tool_choice, "")):
        tool_choice = "auto"
    if payload.get("function_call") is not None:
        raise _invalid_value(
            "function_call", "Invalid value for 'function_call': 'function_call' is only allowed when 'functions' are specified."
        )
    return tools, tool_choice, False


def _flavoured_messages(messages: tuple[Message, ...], flavour: Flavour) -> tuple[Message, ...]:
    """The messages as a provider with limited system-message, image, id or history support treats them."""
    kept: list[Message] = []
    for i, message in enumerate(messages):
        if flavour.has("foreign_call_ids_rejected"):
            _refuse_foreign_ids(i, message)
        if message.role == "developer" and flavour.has("developer_rejected"):
            raise _invalid_value(
                f"messages.[{i}].role",
                "Invalid value: 'developer'. Supported values are: 'system', 'user', 'assistant' and 'tool'.",
            )
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
    return _latest_turn(tuple(kept)) if flavour.has("history_dropped") else tuple(kept)


def _refuse_foreign_ids(i: int, message: Message) -> None:
    """Mistral-like: a tool-call id in the history that this server could not have made is refused."""
    located = [(f"messages.[{i}].tool_calls.[{j}].id", call_id) for j, call_id in enumerate(message.tool_call_ids)]
    if message.tool_call_id is not None:
        located.append((f"messages.[{i}].tool_call_id", message.tool_call_id))
    for param, call_id in located:
        if not _OWN_CALL_ID.fullmatch(call_id):
            raise _invalid_value(
                param, f"Tool call id was {call_id} but must be 'call_' followed by 24 lowercase hexadecimal characters."
            )


def _latest_turn(messages: tuple[Message, ...]) -> tuple[Message, ...]:
    """What a server that drops history keeps: instructions, the last user message and the tool exchange after it
    (tool results, and the assistant message whose calls they answer)."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last_user is None:
        return messages

    def kept(i: int, message: Message) -> bool:
        if message.role in _INSTRUCTION_ROLES or i == last_user:
            return True
        if i < last_user:
            return False
        answered = i + 1 < len(messages) and messages[i + 1].role in _RESULT_ROLES
        return message.role in _RESULT_ROLES or (message.role == "assistant" and answered)

    return tuple(message for i, message in enumerate(messages) if kept(i, message))


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


def _messages(payload: dict[str, Any], *, first_part_only: bool = False) -> tuple[Message, ...]:
    raw = _required(payload, "messages")
    if not isinstance(raw, list):
        raise _invalid_type("messages", "an array", raw)
    if not raw:
        raise _invalid_value("messages", "Invalid 'messages': empty array. Expected an array with minimum length 1.")
    messages: list[Message] = []
    for i, item in enumerate(raw):
        earlier_call_ids = {call_id for message in messages for call_id in message.tool_call_ids}
        messages.append(_message(f"messages.[{i}]", item, earlier_call_ids, first_part_only))
    return tuple(messages)


def _message(where: str, raw: Any, earlier_call_ids: set[str], first_part_only: bool) -> Message:
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
    if role == "function":
        # The deprecated result of a legacy function_call: no id, the function's name instead.
        _required_string(raw, "name", where)
        content = raw.get("content")
        return Message(role, "" if content is None else _content(where, content, allow_images=False)[0])
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
    text, image_urls = _content(where, _required(raw, "content", where), allow_images=True, first_part_only=first_part_only)
    return Message(role, text, image_urls=image_urls)


def _assistant_message(where: str, raw: dict[str, Any]) -> Message:
    content = raw.get("content")
    text, _ = ("", ()) if content is None else _content(where, content, allow_images=False)
    function_call = raw.get("function_call")
    if function_call is not None:
        if not isinstance(function_call, dict):
            raise _invalid_type(f"{where}.function_call", "an object", function_call)
        _required_string(function_call, "name", f"{where}.function_call")
        _required_string(function_call, "arguments", f"{where}.function_call")
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


def _content(where: str, content: Any, *, allow_images: bool, first_part_only: bool = False) -> tuple[str, tuple[str, ...]]:
    """Text and image URLs of a message's content (a string or a list of parts).

    ``first_part_only`` reads only the first text part (content_parts_first_only), after validating them all.
    """
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
    return " ".join(texts[:1] if first_part_only else texts), tuple(image_urls)


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


def _tools(payload: dict[str, Any], flavour: Flavour) -> tuple[Tool, ...]:
    raw = payload.get("tools")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _invalid_type("tools", "an array", raw)
    if not raw:
        raise _invalid_value("tools", "Invalid 'tools': empty array. Expected an array with minimum length 1.")
    return tuple(_tool(f"tools.[{i}]", item, flavour) for i, item in enumerate(raw))


def _tool(at: str, raw: Any, flavour: Flavour) -> Tool:
    if not isinstance(raw, dict):
        raise _invalid_type(at, "an object", raw)
    if _required(raw, "type", at) != "function":
        raise _invalid_value(f"{at}.type", "Invalid value: only 'function' tools are supported.")
    function = _required(raw, "function", at)
    if not isinstance(function, dict):
        raise _invalid_type(f"{at}.function", "an object", function)
    tool = _function(f"{at}.function", function)
    if not _optional_bool(function, "strict", f"{at}.function"):
        return tool
    if flavour.has("strict_tools_rejected"):
        raise ApiError(
            400, f"Invalid '{at}.function.strict': strict mode does not support 'additionalProperties'.",
            param=f"{at}.function.strict",
        )
    if tool.parameters and not flavour.has("strict_ignored"):
        try:
            check_strict(tool.parameters)
        except StrictSchemaError as exc:
            raise ApiError(
                400, f"Invalid schema for function '{tool.name}': {exc}",
                param=f"{at}.function.parameters", code="invalid_function_parameters",
            ) from exc
    return replace(tool, strict=True)


def _function(at: str, function: dict[str, Any]) -> Tool:
    """A function's name, description and parameters: a tool's ``function`` or a legacy ``functions`` item."""
    name = _required_string(function, "name", at)
    _check_name(f"{at}.name", name)
    description = function.get("description")
    if description is not None and not isinstance(description, str):
        raise _invalid_type(f"{at}.description", "a string", description)
    parameters = function.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise _invalid_type(f"{at}.parameters", "an object", parameters)
    return Tool(name, parameters or {})


def _check_name(param: str, name: str) -> None:
    if not _TOOL_NAME.fullmatch(name):
        raise _invalid_value(
            param,
            f"Invalid '{param}': string does not match pattern. Expected a string that matches the pattern '{_TOOL_NAME.pattern}'.",
        )


def _functions(payload: dict[str, Any]) -> tuple[Tool, ...]:
    """The deprecated ``functions``: 1 to 128 function definitions."""
    raw = payload["functions"]
    if not isinstance(raw, list):
        raise _invalid_type("functions", "an array", raw)
    if not raw:
        raise _invalid_value("functions", "Invalid 'functions': empty array. Expected an array with minimum length 1.")
    if len(raw) > MAX_FUNCTIONS:
        raise _invalid_value(
            "functions",
            f"Invalid 'functions': array too long. Expected an array with maximum length {MAX_FUNCTIONS}, "
            f"but got an array with length {len(raw)} instead.",
        )
    functions: list[Tool] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _invalid_type(f"functions.[{i}]", "an object", item)
        functions.append(_function(f"functions.[{i}]", item))
    return tuple(functions)


def _function_call(payload: dict[str, Any], functions: tuple[Tool, ...]) -> ToolChoice:
    """The deprecated ``function_call``: "none", "auto" (the default) or {"name": ...}."""
    raw = payload.get("function_call")
    if raw is None:
        return "auto"
    if isinstance(raw, str):
        if raw not in _FUNCTION_CALL_MODES:
            raise _invalid_value("function_call", f"Invalid value: {raw!r}. Supported values are: 'none' and 'auto'.")
        return cast(ToolChoice, raw)
    if not isinstance(raw, dict):
        raise _invalid_type("function_call", "a string or an object", raw)
    name = _required_string(raw, "name", "function_call")
    if name not in {function.name for function in functions}:
        raise _invalid_value(
            "function_call",
            f"Invalid value for 'function_call': no function named '{name}' is specified in the 'functions' parameter.",
        )
    return NamedTool(name)


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


def _optional_number(obj: dict[str, Any], key: str, low: float, high: float, where: str | None = None) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    param = f"{where}.{key}" if where else key
    # bool is an int subclass in Python, but `true` is not a number in JSON.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _invalid_type(param, "a decimal", value)
    if not low <= value <= high:
        raise _invalid_value(
            param, f"Invalid '{param}': expected a value between {low} and {high}, but got {value} instead."
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
