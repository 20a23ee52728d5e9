"""system.role: an instruction in the system message is followed (canary word)."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.registry import check
from conformance.verdict import Measures, Outcome

from .instruction import INSTRUCTION_REASONS, judge_instruction


@check(
    "system.role", "An instruction in the system message is followed (canary word)", measures=Measures.MODEL,
    reasons=INSTRUCTION_REASONS,
)
async def system_role(ctx: CheckContext) -> Outcome:
    return await judge_instruction(ctx, "system")
