"""A compact fixed-width matrix for the terminal.

The matrix names its columns in at most 20 characters; with a model sweep (``gw/gpt-4o``, ...) that
would cut every column to the same ``gw/…``, so a sweep's columns are named by their model under a
line naming the group, and the lines below the matrix give each column its full name.
"""

from __future__ import annotations

from ..matrix import matrix_providers, ordered_checks, skipped_providers, verdict_index
from ..results import ProviderRun, RunResult
from ..text import excerpt, one_line
from ..verdict import Status, Verdict
from .groups import column_groups, has_groups, short_name
from .overview import Tallies

WORD: dict[Status, str] = {
    Status.PASS: "pass",
    Status.FAIL: "FAIL",
    Status.WARN: "warn",
    Status.UNSUPPORTED: "unsup",
    Status.SKIP: "skip",
    Status.ERROR: "ERROR",
}

_ANSI: dict[Status, str] = {
    Status.PASS: "\x1b[32m",
    Status.FAIL: "\x1b[1;31m",
    Status.WARN: "\x1b[33m",
    Status.UNSUPPORTED: "\x1b[36m",
    Status.SKIP: "\x1b[2m",
    Status.ERROR: "\x1b[1;35m",
}
_RESET = "\x1b[0m"
_MAX_COL = 20
_MAX_NAME = 60
"""A column's full name in the lines below the matrix, where it has the room."""
_MAX_CODE = 60
_SUMMARY = 160


def _name(text: str, width: int) -> str:
    # one_line() before cutting: ESC and every other control character become visible text, so a
    # provider cannot drive the terminal through its name or its summaries.
    return excerpt(one_line(text), width)


def _problem_word(v: Verdict) -> str:
    """The code (``fail/no_done``) a reader can search the other reports for; the status word
    alone for a verdict read from a results file without codes."""
    return _name(v.code, _MAX_CODE) if v.reason else WORD[v.status]


def _group_line(providers: list[ProviderRun], widths: list[int], id_width: int) -> str:
    """The line above the column names: each group's name over exactly its columns (``gw -------``),
    cut to fit them; blank over a provider that is its own column."""
    spans = []
    at = 0
    for group in column_groups(providers):
        width = sum(widths[at : at + len(group.columns)]) + 2 * (len(group.columns) - 1)
        at += len(group.columns)
        label = "" if group.name is None else _name(group.name, width)
        if label and len(label) + 1 < width:
            label += " " + "-" * (width - len(label) - 1)
        spans.append(f"{label:<{width}}")
    return "  ".join([" " * id_width] + spans).rstrip()


def render_terminal_matrix(result: RunResult, *, color: bool) -> str:
    providers = matrix_providers(result)
    checks = ordered_checks(result)
    index = verdict_index(result)

    def paint(status: Status | None, text: str) -> str:
        if not color or status is None:
            return text
        return f"{_ANSI[status]}{text}{_RESET}"

    heads = [_name(short_name(p), _MAX_COL) for p in providers]
    widths = [max(len(n), 5) for n in heads]
    id_width = max([len("check")] + [len(_name(c.id, 48)) for c in checks])

    lines = [_group_line(providers, widths, id_width)] if has_groups(providers) else []
    lines.append("  ".join([f"{'check':<{id_width}}"] + [f"{n:<{w}}" for n, w in zip(heads, widths, strict=True)]).rstrip())
    lines.append("  ".join(["-" * id_width] + ["-" * w for w in widths]))
    for check in checks:
        cells = [f"{_name(check.id, 48):<{id_width}}"]
        for p, w in zip(providers, widths, strict=True):
            v = index.get((p.name, check.id))
            word = WORD[v.status] if v else "-"
            cells.append(paint(v.status if v else None, f"{word:<{w}}"))
        lines.append("  ".join(cells).rstrip())
    lines.append("")

    names = [_name(p.name, _MAX_NAME) for p in providers]
    name_width = max([len(n) for n in names] + [1])
    tallies = Tallies(result)
    for p, n in zip(providers, names, strict=True):
        passed, applicable = tallies.score(p.name)
        counts = tallies.counts(p.name)
        detail = ", ".join(f"{counts[s]} {WORD[s]}" for s in Status if counts[s] and s != Status.PASS)
        lines.append(f"{n:<{name_width}}  {passed}/{applicable} passed" + (f" ({detail})" if detail else ""))
    for p in skipped_providers(result):
        lines.append(f"{_name(p.name, _MAX_NAME)}  skipped: {_name(p.skipped_reason or '', _SUMMARY)}")

    problems = []
    order = {c.id: i for i, c in enumerate(checks)}
    column = {p.name: i for i, p in enumerate(providers)}
    for v in sorted(result.verdicts, key=lambda v: (column.get(v.provider, 0), order.get(v.check_id, 0))):
        if v.status in (Status.PASS, Status.SKIP):
            continue
        problems.append(
            f"{_name(v.provider, _MAX_NAME):<{name_width}}  {_name(v.check_id, 48):<{id_width}}  "
            f"{paint(v.status, _problem_word(v))}: {_name(v.summary, _SUMMARY)}"
        )
    if problems:
        lines.append("")
        lines += problems
    if result.interrupted:
        lines += ["", paint(Status.WARN, "run interrupted: results are incomplete")]
    return "\n".join(lines) + "\n"
