"""The reference provider's "model": deterministic replies the probes can predict.

Every rule exists so a probe can ask for something and know the right answer:
counting for length limits and stop sequences, canaries for system-prompt adherence
and history recall, "at random" for sampling and seeds, tool names in the prompt for
tool calling, solid-colour images for vision, schemas for structured outputs.
"""

from __future__ import annotations

import json
import random
import re
import secrets
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..png import colour_name, decode_png
from . import logprobs
from .flavour import Flavour
from .requests import ChatRequest, Message, NamedTool, Tool, png_from_data_url
from .structured import instance

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
_AT_RANDOM = re.compile(r"\bat random\b", re.IGNORECASE)
_CODE_WORD = re.compile(r"\bcode word\b", re.IGNORECASE)
# A token is a word with the whitespace before it, so tokens join back to the exact text.
_TOKEN = re.compile(r"\s*\S+|\s+$")
_MIN_KEYWORD_LENGTH = 4
_RESULT_ROLES = ("tool", "function")
ANIMALS: tuple[str, ...] = (
    "cat", "dog", "horse", "otter", "zebra", "falcon", "lizard", "dolphin",
    "badger", "heron", "lynx", "walrus", "gecko", "moose", "panda", "tapir",
)
"""The words "at random" picks from: the first at temperature 0, a seeded or a random one above."""
RECENT_PICKS = 8
"""An unseeded pick avoids the server's last this many, so a few requests in a row surely vary."""


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str
    """JSON text, as OpenAI sends it."""


@dataclass(frozen=True)
class Reply:
    """One choice's answer and the token counts for usage (``replies`` gives one per choice of ``n``)."""

    content: str | None
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    # Left out of ==: the tokens are the content split up, and the overrun is what it is not.
    tokens: tuple[str, ...] = field(default=(), compare=False)
    """The content token by token (they join to it); streamed one per chunk, one logprobs entry each."""
    overrun: str = field(default="", compare=False)
    """What a stop sequence cut off, to the end of the token that holds it: sent only under stop_in_stream_delta."""

    @property
    def pieces(self) -> tuple[str, ...]:
        """The content's tokens (made from the content when the Reply was built without them)."""
        return self.tokens or tokenize(self.content or "")


class Sampler:
    """One server's "at random" picks: the first word at temperature 0, else seeded by ``seed``
    (the same seed, the same word), else random among the words not picked in the last
    RECENT_PICKS unseeded picks. Plain randomness repeats itself now and then (three alike in
    1 of 256 tries), which would make the suite's checks, and its own tests, flaky."""

    def __init__(self) -> None:
        self._recent: deque[str] = deque(maxlen=RECENT_PICKS)

    def pick(self, request: ChatRequest) -> str:
        if request.temperature == 0:
            return ANIMALS[0]
        if request.seed is not None:
            # Not for security: a seed must reproduce its pick, which is what random.Random is for.
            return random.Random(request.seed).choice(ANIMALS)
        word = secrets.choice([animal for animal in ANIMALS if animal not in self._recent])
        self._recent.append(word)
        return word


def replies(request: ChatRequest, flavour: Flavour, sampler: Sampler | None = None) -> list[Reply]:
    """One reply per choice (``n``), each sampled on its own as a model does: alike at temperature 0."""
    sampler = sampler or Sampler()
    return [reply(request, flavour, sampler) for _ in range(request.n)]


def reply(request: ChatRequest, flavour: Flavour, sampler: Sampler | None = None) -> Reply:
    """The answer to a request; ``sampler`` is the server's (a fresh one, without memory, if none)."""
    prompt = prompt_tokens(request.messages)
    # Only a flavour (system_ignored) can leave no messages; answer as to an empty prompt.
    last = request.messages[-1] if request.messages else None
    prefix = HOSTILE_TEXT.split() if flavour.has("hostile_content") else []
    user_text = _last_user_text(request.messages)
    if last is not None and last.role in _RESULT_ROLES:
        words = [*prefix, "The", "tool", "returned:", *last.text.split()]
        return _text(_formatted(" ".join(words), request, user_text, flavour), request, prompt)
    calls = _tool_calls(request, user_text, flavour)
    if calls:
        tokens = sum(len(f"{call.name} {call.arguments}".split()) for call in calls)
        return Reply(None, calls, _tool_finish_reason(request, flavour), prompt, tokens)
    words = [*prefix, *_answer(request, user_text, sampler or Sampler())]
    return _text(_formatted(" ".join(words), request, user_text, flavour), request, prompt)


def tokenize(text: str) -> tuple[str, ...]:
    """The tokens of a reply: each word with the whitespace before it (" 2"), so they join back to ``text``."""
    return tuple(_TOKEN.findall(text))


def choice_logprobs(request: ChatRequest, tokens: tuple[str, ...] | None) -> dict[str, Any] | None:
    """A choice's ``logprobs``: null unless asked for; ``content`` lists these tokens (none for tool calls)."""
    if not request.logprobs:
        return None
    return logprobs.choice_logprobs(logprobs.entries(tokens or (), request.top_logprobs))


def prompt_tokens(messages: tuple[Message, ...]) -> int:
    words = sum(len(m.text.split()) + IMAGE_PROMPT_TOKENS * len(m.image_urls) for m in messages)
    return max(words, 1)


def completion_body(
    request: ChatRequest, results: Sequence[Reply], *, completion_id: str, created: int, flavour: Flavour
) -> dict[str, Any]:
    """The non-streamed response body: one choice per reply."""
    body: dict[str, Any] = {
        **response_head("chat.completion", request, completion_id=completion_id, created=created, flavour=flavour),
        "choices": [
            {
                "index": index,
                "message": _message_object(request, result, flavour),
                "logprobs": choice_logprobs(request, result.pieces),
                "finish_reason": result.finish_reason,
                **choice_extras(flavour),
            }
            for index, result in enumerate(results)
        ],
    }
    if not flavour.has("usage_missing"):
        body["usage"] = usage_object(results, flavour)
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


def _message_object(request: ChatRequest, result: Reply, flavour: Flavour) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": result.content, "refusal": None, "annotations": []}
    if result.tool_calls and request.legacy_functions:
        # The legacy API makes one call, without an id.
        call = result.tool_calls[0]
        message["function_call"] = {"name": call.name, "arguments": call.arguments}
    elif result.tool_calls:
        message["tool_calls"] = [tool_call_object(call, flavour) for call in result.tool_calls]
    if flavour.has("extra_fields"):
        message["reasoning_content"] = REASONING_TEXT
    return message


def tool_call_object(call: ToolCall, flavour: Flavour = Flavour()) -> dict[str, Any]:
    arguments: Any = json.loads(call.arguments) if flavour.has("tool_args_object") else call.arguments
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": arguments}}


def usage_object(results: Sequence[Reply], flavour: Flavour = Flavour()) -> dict[str, Any]:
    """Usage of a request: its prompt once, the completion tokens of every choice."""
    prompt = results[0].prompt_tokens
    completion = sum(r.completion_tokens for r in results)
    total = prompt + completion + (1 if flavour.has("usage_wrong") else 0)
    return {
        "prompt_tokens": prompt,
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


def _text(text: str, request: ChatRequest, prompt: int) -> Reply:
    """A text reply: cut at the token limit, then before the first stop sequence in what is left.

    That is the order a model meets them in: a stop sequence beyond the limit is never generated.
    """
    tokens = tokenize(text)
    finish = "stop"
    limit = request.token_limit
    if limit is not None and len(tokens) > limit:
        tokens, finish = tokens[:limit], "length"
    overrun = ""
    cut = _stop_cut(tokens, request.stop)
    if cut is not None:
        (tokens, overrun), finish = cut, "stop"
    return Reply("".join(tokens), (), finish, prompt, len(tokens), tokens, overrun)


def _stop_cut(tokens: tuple[str, ...], stops: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
    """The tokens before the earliest stop sequence (trailing whitespace dropped) and the overrun; None if none occurs.

    The overrun runs from the cut to the end of the token where the stop sequence ends: the
    delta a server that checks stop sequences too late has already sent.
    """
    text = "".join(tokens)
    found = [(text.find(stop), stop) for stop in stops if stop and stop in text]
    if not found:
        return None
    start, stop = min(found)
    kept = text[:start].rstrip()
    end, token_end = start + len(stop), 0
    for token in tokens:
        token_end += len(token)
        if token_end >= end:
            break
    return tokenize(kept), text[len(kept) : token_end]


def _formatted(answer: str, request: ChatRequest, user_text: str, flavour: Flavour) -> str:
    """The answer in the requested response_format: as is, {"answer": ...}, or an instance of the json_schema."""
    shape = request.response_format
    if shape is None:
        return answer
    if shape.schema is not None:
        values = _QUOTED.findall(user_text)
        data = instance(shape.schema, values[0] if values else None)
    else:
        data = {"answer": answer}
    text = json.dumps(data, ensure_ascii=False)
    return f"```json\n{text}\n```" if flavour.has("json_fenced") else text


def _last_user(messages: tuple[Message, ...]) -> Message | None:
    return next((m for m in reversed(messages) if m.role == "user"), None)


def _last_user_text(messages: tuple[Message, ...]) -> str:
    user = _last_user(messages)
    return user.text if user else ""


def _answer(request: ChatRequest, user_text: str, sampler: Sampler) -> list[str]:
    """The words of a text reply (before any length limit)."""
    messages = request.messages
    prefix = _canary(messages)
    user = _last_user(messages)
    if user and user.image_urls:
        return [*prefix, "The", "image", "is", f"{_dominant_colour(user.image_urls[0])}."]
    recalled = _recalled_canary(messages) if _CODE_WORD.search(user_text) else None
    if recalled is not None:
        return [*prefix, recalled]
    if _AT_RANDOM.search(user_text):
        return [*prefix, sampler.pick(request)]
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


def _recalled_canary(messages: tuple[Message, ...]) -> str | None:
    """The latest canary said in the conversation before the last user message (by the user or the assistant)."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=0)
    for message in reversed(messages[:last_user]):
        if message.role in ("user", "assistant"):
            found = _CANARY.findall(message.text)
            if found:
                return str(found[-1])
    return None


def _dominant_colour(url: str) -> str:
    # The request was validated, so the image is known to decode.
    rows = decode_png(png_from_data_url(url))
    pixel, _ = Counter(pixel for row in rows for pixel in row).most_common(1)[0]
    return colour_name(pixel)


def _tool_calls(request: ChatRequest, user_text: str, flavour: Flavour) -> tuple[ToolCall, ...]:
    choice = request.tool_choice
    if not request.tools or choice == "none":
        return ()
    values = _QUOTED.findall(user_text)
    if isinstance(choice, NamedTool):
        tool = next(t for t in request.tools if t.name == choice.name)
        return (_call(tool, values[0] if values else None, flavour),)
    relevant = request.tools[0] if flavour.has("always_first_tool") else _most_relevant(request.tools, user_text)
    if relevant is None and choice == "auto":
        return ()
    tool = relevant or request.tools[0]
    if request.parallel_tool_calls and len(values) >= 2:
        return tuple(_call(tool, value, flavour) for value in values[:MAX_PARALLEL_CALLS])
    return (_call(tool, values[0] if values else None, flavour),)


def _tool_finish_reason(request: ChatRequest, flavour: Flavour) -> str:
    if request.legacy_functions:
        return "function_call"
    if flavour.has("finish_stop_with_tools"):
        return "stop"
    if isinstance(request.tool_choice, NamedTool) and flavour.has("named_finish_stop"):
        return "stop"
    return "tool_calls"


def _most_relevant(tools: tuple[Tool, ...], user_text: str) -> Tool | None:
    """The tool whose name shares most words (of four letters or more) with the prompt; the earliest on a tie."""
    text = user_text.lower()
    scores = [
        sum(len(part) >= _MIN_KEYWORD_LENGTH and part.lower() in text for part in tool.name.split("_")) for tool in tools
    ]
    best = max(scores, default=0)
    return tools[scores.index(best)] if best else None


def _call(tool: Tool, value: str | None, flavour: Flavour) -> ToolCall:
    # strict_ignored: a strict tool's arguments fill only the top level, as a server that does not constrain them.
    shallow = tool.strict and flavour.has("strict_ignored")
    arguments = instance(tool.parameters, value, shallow=shallow) if tool.parameters else {}
    if not isinstance(arguments, dict):
        arguments = {}
    return ToolCall(id=f"call_{secrets.token_hex(12)}", name=tool.name, arguments=json.dumps(arguments))
