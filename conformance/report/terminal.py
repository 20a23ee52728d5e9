"""A compact fixed-width matrix for the terminal."""

from __future__ import annotations

from ..matrix import matrix_providers, ordered_checks, score, skipped_providers, verdict_index
from ..results import RunResult
from ..text import excerpt, one_line
from ..verdict import Status, Verdict

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


def render_terminal_matrix(result: RunResult, *, color: bool) -> str:
    providers = matrix_providers(result)
    checks = ordered_checks(result)
    index = verdict_index(result)

    def paint(status: Status | None, text: str) -> str:
        if not color or status is None:
            return text
        return f"{_ANSI[status]}{text}{_RESET}"

    names = [_name(p.name, _MAX_COL) for p in providers]
    widths = [max(len(n), 5) for n in names]
    id_width = max([len("check")] + [len(_name(c.id, 48)) for c in checks])

    lines = ["  ".join([f"{'check':<{id_width}}"] + [f"{n:<{w}}" for n, w in zip(names, widths, strict=True)]).rstrip()]
    lines.append("  ".join(["-" * id_width] + ["-" * w for w in widths]))
    for check in checks:
        cells = [f"{_name(check.id, 48):<{id_width}}"]
        for p, w in zip(providers, widths, strict=True):
            v = index.get((p.name, check.id))
            word = WORD[v.status] if v else "-"
            cells.append(paint(v.status if v else None, f"{word:<{w}}"))
        lines.append("  ".join(cells).rstrip())
    lines.append("")

    name_width = max([len(n) for n in names] + [1])
    for p, n in zip(providers, names, strict=True):
        passed, applicable = score(result, p.name)
        counts = result.counts(p.name)
        detail = ", ".join(f"{counts[s]} {WORD[s]}" for s in Status if counts[s] and s != Status.PASS)
        lines.append(f"{n:<{name_width}}  {passed}/{applicable} passed" + (f" ({detail})" if detail else ""))
    for p in skipped_providers(result):
        lines.append(f"{_name(p.name, _MAX_COL)}  skipped: {_name(p.skipped_reason or '', _SUMMARY)}")

    problems = []
    order = {c.id: i for i, c in enumerate(checks)}
    column = {p.name: i for i, p in enumerate(providers)}
    for v in sorted(result.verdicts, key=lambda v: (column.get(v.provider, 0), order.get(v.check_id, 0))):
        if v.status in (Status.PASS, Status.SKIP):
            continue
        problems.append(
            f"{_name(v.provider, _MAX_COL):<{name_width}}  {_name(v.check_id, 48):<{id_width}}  "
            f"{paint(v.status, _problem_word(v))}: {_name(v.summary, _SUMMARY)}"
        )
    if problems:
        lines.append("")
        lines += problems
    if result.interrupted:
        lines += ["", paint(Status.WARN, "run interrupted: results are incomplete")]
    return "\n".join(lines) + "\n"
