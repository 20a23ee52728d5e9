"""system.developer_role: a `developer` message (the newer name for system) is accepted and followed."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.registry import check
from conformance.verdict import Measures, Outcome

from .instruction import INSTRUCTION_REASONS, judge_instruction


@check(
    "system.developer_role", "A `developer` message (the newer name for system) is accepted and followed (canary word)",
    measures=Measures.MODEL, reasons=INSTRUCTION_REASONS,
)
async def system_developer_role(ctx: CheckContext) -> Outcome:
    return await judge_instruction(ctx, "developer")
