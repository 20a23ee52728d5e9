"""tools.foreign_call_ids: a tool round trip whose call id was minted by another provider (OpenAI
style `call_` + 24 characters) is accepted. Gateways that fail over between providers replay such
histories; a provider that accepts only its own id format breaks them."""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

from conformance.context import CheckContext
from conformance.judge import conformant, content_of, require_completion
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome

from ..shared import WEATHER_TOOL
from .calls import TOOL_RESULT, used_temperature


def foreign_id() -> str:
    """An id in OpenAI's style, mixed case: not what most other providers mint themselves."""
    alphabet = string.ascii_letters + string.digits
    return "call_" + "".join(secrets.choice(alphabet) for _ in range(24))


@check(
    "tools.foreign_call_ids", "A tool round trip replaying a call id minted elsewhere (`call_` + 24 chars) is accepted and answered",
    # Only once a round trip with the provider's own id works can a refusal here be the id's fault
    # (llama-cpp-python refuses both alike, for the assistant message's `content: null`).
    depends_on=("tools.roundtrip",),
    reasons=("pass/accepted",),
)
async def tools_foreign_call_ids(ctx: CheckContext) -> Outcome:
    call_id = foreign_id()
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": 'What is the weather in "Paris"?'},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call_id, "type": "function", "function": {"name": "get_weather", "arguments": json.dumps({"city": "Paris"})}},
        ]},
        {"role": "tool", "tool_call_id": call_id, "content": json.dumps(TOOL_RESULT)},
    ]
    result = await ctx.post_chat("round trip with a foreign call id", ctx.chat_body(messages, tools=[WEATHER_TOOL]))
    completion = require_completion(ctx, result, f"a history with the foreign tool-call id {call_id!r}")
    reply = content_of(completion)
    if not used_temperature(reply):
        ctx.note(f"the reply does not quote the tool result (model behaviour, not judged): {excerpt(reply, 80)!r}")
    return conformant(ctx, "accepted", f"the history with call id {call_id!r} was accepted and answered")
