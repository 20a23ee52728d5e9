"""Columns grouped by the providers.yaml entry they come from: ``gw/gpt-4o`` and ``gw/o3`` are two
models of the gateway ``gw`` (``ProviderRun.group``), a provider with one model is a group of its own.

The reports show a group's name once, above (or before) its columns, and each column by its model
alone, so twenty columns of one gateway do not repeat its name twenty times. The full name stays
where a column must be told apart from every other: tooltips, the evidence, junit.xml, the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..results import ProviderRun


@dataclass(frozen=True)
class ColumnGroup:
    """Adjacent columns of one providers.yaml entry; ``name`` is None for a provider that is its own column."""

    name: str | None
    columns: list[ProviderRun]


def column_groups(providers: list[ProviderRun]) -> list[ColumnGroup]:
    """``providers`` in order, cut into runs of the same group. A column without a group is a run of its
    own; a group's columns are adjacent in a run (the runner keeps them so), and if a merge ever split
    them, each run still gets its own header rather than a header spanning columns it does not own."""
    groups: list[ColumnGroup] = []
    for p in providers:
        if p.group is not None and groups and groups[-1].name == p.group:
            groups[-1].columns.append(p)
        else:
            groups.append(ColumnGroup(p.group, [p]))
    return groups


def has_groups(providers: list[ProviderRun]) -> bool:
    return any(p.group is not None for p in providers)


def short_name(p: ProviderRun) -> str:
    """The column's name under its group's header: ``gpt-4o`` for ``gw/gpt-4o`` in group ``gw``; the
    full name for a column without a group (or one whose name does not start with its group's)."""
    prefix = f"{p.group}/"
    if p.group is not None and p.name.startswith(prefix) and len(p.name) > len(prefix):
        return p.name[len(prefix):]
    return p.name
