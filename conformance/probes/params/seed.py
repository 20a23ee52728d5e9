"""params.seed (model): the same seed and prompt at temperature 1 give the same reply twice."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import content_of, require_completion
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Measures, Outcome, passed, warned

from .sampling import sampling_body

SEED = 421


@check(
    "params.seed", "The same `seed` at temperature 1 gives the same reply twice (best effort: never a failure)",
    measures=Measures.MODEL, reasons=("pass/reproducible", "warn/not_reproducible"),
)
async def params_seed(ctx: CheckContext) -> Outcome:
    body = sampling_body(ctx, 1, seed=SEED)
    replies = []
    for attempt in (1, 2):
        result = await ctx.post_chat(f"seed {SEED}, temperature 1 ({attempt} of 2)", body)
        replies.append(content_of(require_completion(ctx, result, f"seed {SEED}")).strip())
    if replies[0] == replies[1]:
        return passed("reproducible", f"seed {SEED} gave the same reply twice: {excerpt(replies[0], 60)!r}")
    # OpenAI calls seed best effort (system_fingerprint changes break it): a difference is information, not a fault.
    return warned("not_reproducible", f"seed {SEED} is not reproducible: {excerpt(replies[0], 60)!r} then {excerpt(replies[1], 60)!r}")
