"""params.n: `n: 2` gives two choices with indexes 0 and 1, streamed and not."""

from __future__ import annotations

from typing import Any

from conformance.client import StreamResult
from conformance.context import CheckContext
from conformance.judge import require_completion, stream_usable
from conformance.registry import check
from conformance.verdict import Outcome, failed, passed

from .sampling import sampling_body, two_at_zero


def streamed_indexes(result: StreamResult) -> tuple[set[int], set[int]]:
    """(choice indexes that sent content, choice indexes that sent a finish_reason)."""
    spoke: set[int] = set()
    finished: set[int] = set()
    for chunk in result.chunks:
        choices = chunk.json.get("choices") if isinstance(chunk.json, dict) else None
        for choice in choices if isinstance(choices, list) else []:
            if not isinstance(choice, dict) or not isinstance(choice.get("index"), int):
                continue
            delta: Any = choice.get("delta")
            if isinstance(delta, dict) and (delta.get("content") or delta.get("tool_calls")):
                spoke.add(choice["index"])
            if choice.get("finish_reason") is not None:
                finished.add(choice["index"])
    return spoke, finished


@check(
    "params.n", "`n: 2` gives two choices with indexes 0 and 1, and a stream carries deltas for both",
    reasons=("pass/two_choices", "fail/ignored", "fail/bad_indexes", "fail/ignored_in_stream"),
)
async def params_n(ctx: CheckContext) -> Outcome:
    completion = require_completion(ctx, await ctx.shared(two_at_zero), "n=2")
    choices = completion["choices"]
    indexes = [c.get("index") for c in choices if isinstance(c, dict)]
    if len(choices) == 1:
        return failed("ignored", "n=2 was ignored: the completion has 1 choice")
    if sorted(i for i in indexes if isinstance(i, int)) != [0, 1] or len(indexes) != 2:
        return failed("bad_indexes", f"n=2 gave {len(choices)} choices with indexes {indexes}, expected [0, 1]")
    stream = await ctx.stream_chat("n=2 (streamed)", sampling_body(ctx, 0, n=2))
    if not stream_usable(ctx, stream, "n=2 (streamed)"):
        return passed("two_choices", "two choices with indexes 0 and 1 (the streamed request was not judged)")
    spoke, finished = streamed_indexes(stream)
    if spoke != {0, 1} or finished != {0, 1}:
        return failed(
            "ignored_in_stream",
            f"streamed, n=2 gave content for choice index(es) {sorted(spoke)} and a finish_reason for {sorted(finished)}, expected [0, 1] for both",
        )
    return passed("two_choices", "two choices with indexes 0 and 1, and a stream with deltas and a finish_reason for each")
