"""Tools: every tool_choice form, valid arguments, the `tool` message round trip, parallel
calls and streamed tool-call deltas."""

from __future__ import annotations

import json
import re

from conformance.checks import check
from conformance.client import HTTPResult
from conformance.probe import Outcome, Probe, content_of, excerpt, failed, first_choice, message_of, passed, warned
from conformance.verdict import Measures

from .common import (
    NAMED_WEATHER,
    TOOL_SCHEMAS,
    WEATHER_PROMPT,
    WEATHER_TOOL,
    ToolCall,
    argument_problem,
    named_tool_call,
    summarise_stream,
    tool_calls_of,
)

TOOL_RESULT = {"city": "Paris", "temperature_c": 17, "conditions": "light rain"}


def used_temperature(reply: str) -> bool:
    """The reply quotes the tool result's temperature as a number of its own ("17°C", "**17 C**"),
    not as digits inside another number ("2017", "170"), which a model that ignored it may say."""
    return re.search(rf"(?<![\d.]){TOOL_RESULT['temperature_c']}(?!\.?\d)", reply) is not None


def judge_calls(p: Probe, result: HTTPResult, what: str, *, finish_reasons: tuple[str, ...]) -> tuple[Outcome | None, list[ToolCall]]:
    """Common to every response that should carry tool calls: refusal, schema, arguments, finish_reason.
    Returns (outcome if already decided, the calls)."""
    if refused := p.refusal(result, what):
        return refused, []
    if problem := p.completion_problem(result, what):
        return problem, []
    calls = tool_calls_of(result.json)
    for call in calls:
        if bad := argument_problem(call):
            return failed(f"{what}: {bad}"), calls
    finish = first_choice(result.json).get("finish_reason")
    if not calls and finish == "tool_calls":
        # Clients branch on finish_reason: they take the tool path and find nothing to run.
        text = excerpt(content_of(result.json), 80)
        return failed(f"{what}: finish_reason is 'tool_calls' but the reply has no tool calls (text: {text!r})"), calls
    if calls:
        if finish not in finish_reasons:
            expected = " or ".join(repr(f) for f in finish_reasons)
            return failed(f"{what}: the reply calls {calls[0].name!r} but finish_reason is {finish!r}, expected {expected}"), calls
    return None, calls


@check("tools.auto", "With tool_choice auto and a prompt that needs it, the model calls the tool", measures=Measures.MODEL)
async def tools_auto(p: Probe):
    body = p.chat_body(WEATHER_PROMPT, tools=[WEATHER_TOOL], tool_choice="auto")
    result = await p.post_chat("tool_choice auto", body)
    decided, calls = judge_calls(p, result, "tool_choice auto", finish_reasons=("tool_calls",))
    if decided:
        return decided
    if not calls:
        return warned(f"the model answered in text instead of calling get_weather: {excerpt(content_of(result.json), 80)!r}")
    return p.conformant(f"called {calls[0].name} with valid arguments {calls[0].arguments}; finish_reason 'tool_calls'")


@check("tools.none", "With tool_choice none the reply is text with no tool_calls")
async def tools_none(p: Probe):
    body = p.chat_body(WEATHER_PROMPT, tools=[WEATHER_TOOL], tool_choice="none")
    result = await p.post_chat("tool_choice none", body)
    if refused := p.refusal(result, 'tool_choice "none"'):
        return refused
    if problem := p.completion_problem(result, 'tool_choice "none"'):
        return problem
    calls = tool_calls_of(result.json)
    if calls:
        return failed(f'tool_choice "none" was ignored: the reply calls {calls[0].name!r}')
    finish = first_choice(result.json).get("finish_reason")
    if finish == "tool_calls":
        return failed('tool_choice "none": no tool calls, but finish_reason is "tool_calls"')
    if not content_of(result.json):
        return failed('tool_choice "none": the reply has neither tool calls nor text content')
    return p.conformant(f"text reply, no tool_calls, finish_reason {finish!r}")


@check("tools.required", "With tool_choice required a tool is called even when the prompt does not need one")
async def tools_required(p: Probe):
    body = p.chat_body("Say hello.", tools=[WEATHER_TOOL], tool_choice="required")
    result = await p.post_chat("tool_choice required", body)
    decided, calls = judge_calls(p, result, 'tool_choice "required"', finish_reasons=("tool_calls",))
    if decided:
        return decided
    if not calls:
        return failed(f'tool_choice "required" was not enforced: text reply {excerpt(content_of(result.json), 80)!r}')
    return p.conformant(f"forced call of {calls[0].name} with valid arguments; finish_reason 'tool_calls'")


@check("tools.named", "A named tool_choice calls exactly that function with schema-valid JSON arguments")
async def tools_named(p: Probe):
    result = await p.shared("tools.named", named_tool_call)
    # OpenAI itself answers a named tool_choice with finish_reason "stop": both are conformant.
    decided, calls = judge_calls(p, result, "named tool_choice", finish_reasons=("tool_calls", "stop"))
    if decided:
        return decided
    if not calls:
        return failed(f"the named tool_choice get_weather was not called: text reply {excerpt(content_of(result.json), 80)!r}")
    wrong = [c.name for c in calls if c.name != "get_weather"]
    if wrong:
        return failed(f"the named tool_choice get_weather was ignored: the reply calls {wrong[0]!r}")
    finish = first_choice(result.json).get("finish_reason")
    return p.conformant(f"called get_weather with arguments {calls[0].arguments}; finish_reason {finish!r}")


@check("tools.roundtrip", "A `tool` message answering the call's id leads to a reply that uses the result",
       depends_on=("tools.named",))
async def tools_roundtrip(p: Probe):
    named = await p.shared("tools.named", named_tool_call)
    assistant = {k: v for k, v in message_of(named.json).items() if k in ("role", "content", "tool_calls")}
    call = tool_calls_of(named.json)[0]
    messages = [
        {"role": "user", "content": 'Look up "Paris".'},
        assistant,
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps(TOOL_RESULT)},
    ]
    result = await p.post_chat("tool result round trip", p.chat_body(messages, tools=[WEATHER_TOOL]))
    if refused := p.refusal(result, "a `tool` message with the call's id"):
        return refused
    if problem := p.completion_problem(result, "tool result round trip"):
        return problem
    reply = content_of(result.json)
    if used_temperature(reply):
        return p.conformant(f"the tool result was accepted and used: {excerpt(reply, 80)!r}")
    if tool_calls_of(result.json):
        return warned("the tool result was accepted, but the model called a tool again instead of answering")
    return warned(f"the tool result was accepted, but the reply does not use it (no {TOOL_RESULT['temperature_c']}): {excerpt(reply, 80)!r}")


@check("tools.parallel", "Two calls when asked for two cities; parallel_tool_calls false is honoured", measures=Measures.MODEL)
async def tools_parallel(p: Probe):
    prompt = 'What is the weather in "Paris" and in "Tokyo"? Call get_weather once for each city.'
    body = p.chat_body(prompt, tools=[WEATHER_TOOL], tool_choice="required", parallel_tool_calls=True)
    result = await p.post_chat("parallel tool calls", body)
    decided, calls = judge_calls(p, result, "parallel_tool_calls true", finish_reasons=("tool_calls",))
    if decided:
        return decided
    if len(calls) < 2:
        return warned(f"the model made {len(calls)} tool call(s) where two were asked for")
    ids = [c.id for c in calls]
    if len(set(map(str, ids))) != len(ids) or not all(isinstance(i, str) and i for i in ids):
        return failed(f"parallel tool calls need distinct string ids, got {ids}")
    single = await p.post_chat("parallel_tool_calls false", {**body, "parallel_tool_calls": False})
    decided, single_calls = judge_calls(p, single, "parallel_tool_calls false", finish_reasons=("tool_calls",))
    if decided:
        return decided
    if len(single_calls) > 1:
        return failed(f"parallel_tool_calls false was ignored: {len(single_calls)} calls in one reply")
    return p.conformant(f"{len(calls)} calls with distinct ids; parallel_tool_calls false gave {len(single_calls)}")


@check("tools.streaming", "Streamed tool-call deltas carry `index` and their fragments join into valid JSON")
async def tools_streaming(p: Probe):
    body = p.chat_body('Look up "Paris".', tools=[WEATHER_TOOL], tool_choice=NAMED_WEATHER)
    result = await p.stream_chat("streamed named tool call", body)
    if refused := p.stream_refusal(result, "a streamed tool call"):
        return refused
    broken = [c for c in result.chunks if c.error]
    if broken:
        return failed(f"chunk {broken[0].number}: {broken[0].error}")
    summary = summarise_stream(result)
    if summary.problems:
        return failed(summary.problems[0])
    if summary.finish_reason is None and (cut := p.cut_by_timeout(result, "a streamed tool call")):
        return cut
    if result.error:
        return failed(f"the stream broke off: {result.error}")
    if not summary.tool_calls:
        return failed(f"no tool-call deltas in the stream for a named tool_choice (content: {excerpt(summary.content, 80)!r})")
    for index, streamed in sorted(summary.tool_calls.items()):
        if not isinstance(streamed.id, str) or not streamed.id:
            return failed(f"streamed tool call index {index} never carries an id")
        call = ToolCall(streamed.id, streamed.name, streamed.arguments)
        if streamed.name not in TOOL_SCHEMAS:
            return failed(f"streamed tool call index {index} names {streamed.name!r}, expected get_weather")
        if bad := argument_problem(call):
            return failed(f"streamed tool call index {index}: joined fragments: {bad}")
    if summary.finish_reason not in ("tool_calls", "stop"):
        return failed(f"the stream's finish_reason is {summary.finish_reason!r}, expected 'tool_calls'")
    first = summary.tool_calls[min(summary.tool_calls)]
    return passed(f"{len(summary.tool_calls)} streamed call(s); fragments join into {first.arguments}")
