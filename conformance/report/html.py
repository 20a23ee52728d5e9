"""report.html: one self-contained page (inline CSS and JS, nothing fetched) with the matrix and its evidence.

The style and script are kept as files (``resources/report.css``, ``resources/report.js``) and
copied into each page, so the page still works on its own: mailed, archived or opened from a CI artifact.

Every provider-supplied string is hostile. Server-side text goes through ``html.escape(quote=True)``
after :func:`visible` has made control and bidi-override characters visible; the evidence travels in
a ``<script type="application/json">`` block, one gzipped base64 chunk per matrix row (:func:`pack_row`),
which the page's script decodes when a cell is opened and only ever inserts with ``textContent``. A
Content-Security-Policy pins the page's own style and script by hash, so even a rendering mistake
could not run or load anything else.

Size: a page of 300 columns must open about as fast per cell as one of 5 (bench/bench_size.py). So
the evidence is compressed, each cell is as few elements as it can be, and everything a column needs
from the run is counted once per page (:class:`Page`), not once per column.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import html
import importlib.resources
import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from ..matrix import matrix_providers, ordered_checks, skipped_providers, verdict_index
from ..results import CheckInfo, ProviderRun, RunResult, WorseCheck
from ..text import clip, excerpt, one_line, plural, visible
from ..verdict import STATUS_ORDER, Exchange, Status, Verdict
from .dates import when
from .evidence import curl_command, pretty_body
from .groups import ColumnGroup, column_groups, has_groups, short_name
from .latency import NO_STREAM, caveat, spread_ms, tokens_rate
from .overview import BREAKING, Index, SectionScore, Tallies, breakage, section_scores, sections_of

BODY_CAP = 20_000
"""Most characters of any one body (request, response, SSE lines, curl command) the page shows."""
TEXT_CAP = 4_000
"""Most characters of any other single evidence string (header value, URL, note, message)."""
NAME_CAP = 200
TITLE_CAP = 300

GLYPH: dict[Status, str] = {
    Status.PASS: "✓",
    Status.FAIL: "✗",
    Status.WARN: "!",
    Status.UNSUPPORTED: "⊘",
    Status.SKIP: "–",
    Status.ERROR: "?",
}

MEANING: dict[Status, str] = {
    Status.PASS: "Conformant.",
    Status.FAIL: "Accepted but non-conformant: a client written for OpenAI would break or be misled.",
    Status.WARN: "Works, with a tolerated deviation (a strict-spec-only violation, or model behaviour).",
    Status.UNSUPPORTED: "Cleanly refused with a well-formed 4xx error: the feature is absent, honestly.",
    Status.SKIP: "Not applicable, or a prerequisite check did not pass.",
    Status.ERROR: "Inconclusive: network failure, timeout, repeated 429/5xx, interrupted run.",
}

_RESERVED_IDS = frozenset(
    {"evidence", "panel", "panel-title", "panel-body", "panel-close", "filter", "section", "search", "matrix",
     "legend", "run", "skipped", "notes", "shown", "tip", "sources", "comparison", "overview", "ov", "breaks",
     "top", "jump"}
)
_RESERVED_PREFIXES = ("check-", "section-", "breaks-")
"""The page's own ids are these words and ``<prefix><name>``: a bare check id never takes one."""
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]{0,199}")
"""A name used verbatim in an id and its ``#`` link; any other name gets ``<prefix>-<index>``, which
no safe name can produce (safe names start with a letter or digit)."""


def anchor(prefix: str, name: str, index: int) -> str:
    """``section-tools``, ``check-tools.named``; ``section--3`` for a name unfit for an id or a URL."""
    return f"{prefix}-{name}" if _SAFE_ID.fullmatch(name) else f"{prefix}--{index}"


def bare_id(check_id: str) -> bool:
    """Whether ``report.html#<check id>`` may name the row's header cell directly."""
    return (
        bool(_SAFE_ID.fullmatch(check_id))
        and check_id not in _RESERVED_IDS
        and not check_id.startswith(_RESERVED_PREFIXES)
    )


def esc(text: object, limit: int | None = None) -> str:
    """Text for HTML element content or a quoted attribute value.

    ``=`` is written as ``&#61;`` as well, so planted markup such as ``onerror=`` does not even
    appear verbatim in the file (it renders the same).
    """
    text = str(text)
    if limit is not None:
        text = clip(text, limit)
    return html.escape(visible(text), quote=True).replace("=", "&#61;")


def t(text: object, limit: int = TEXT_CAP) -> str:
    """A string for the evidence JSON: cut, control/bidi characters made visible."""
    return visible(clip(str(text), limit))


def script_json(data: Any) -> str:
    """JSON that cannot end or confuse the ``<script>`` element it sits in.

    ``< > &`` U+2028 U+2029 (and ``=``, so planted ``onerror=`` is not even verbatim) only ever occur
    inside JSON strings, where their ``\\uXXXX`` escapes mean the same thing.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
        .replace("=", "\\u003d")
    )


def host_of(base_url: str) -> str:
    """The host (and port, if any) of a base URL; ``embedded`` for the in-process reference server."""
    if base_url.startswith("embedded:"):
        return "embedded"
    try:
        parts = urllib.parse.urlsplit(base_url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "?"
    if not host:
        return "—"
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


@dataclass(frozen=True)
class Page:
    """A run and what the parts of its page look up, made once per page rather than once per column
    (at hundreds of columns, once per column is what made rendering slow)."""

    result: RunResult
    checks: list[CheckInfo]
    """``matrix.ordered_checks``: the rows."""
    index: Index
    tallies: Tallies

    @classmethod
    def of(cls, result: RunResult) -> Page:
        return cls(result, ordered_checks(result), verdict_index(result), Tallies(result))


def provider_started(result: RunResult, provider: str) -> str:
    """When the run that made this provider's column started (its own run, in a merged result)."""
    source = result.source_of(provider)
    return source.started_at if source else result.started_at


def chat_model(p: ProviderRun) -> str:
    if "chat" in p.models:
        return p.models["chat"]
    return next(iter(p.models.values()), "—")


def _headers(headers: dict[str, str]) -> list[list[str]]:
    return [[t(k, NAME_CAP), t(v)] for k, v in list(headers.items())[:200]]


def _exchange(e: Exchange) -> dict[str, Any]:
    body = pretty_body(e.request.body)
    out: dict[str, Any] = {
        "label": t(e.label, NAME_CAP),
        "request": {
            "method": t(e.request.method, NAME_CAP),
            "url": t(e.request.url),
            "headers": _headers(e.request.headers),
            "body": None if body is None else t(body, BODY_CAP),
        },
        "response": None,
        "error": None if e.error is None else t(e.error, BODY_CAP),
        "elapsed_ms": round(float(e.elapsed_ms), 1),
        "curl": t(curl_command(e.request), BODY_CAP),
    }
    r = e.response
    if r is not None:
        notes: list[str] = []
        response: dict[str, Any] = {
            "status": r.status,
            "headers": _headers(r.headers),
            "size_bytes": r.size_bytes,
            "truncated": bool(r.truncated),
            "notes": notes,
            "body": None,
            "sse": None,
        }
        if r.sse_lines:
            response["sse"] = t("\n".join(r.sse_lines), BODY_CAP)
            response["sse_count"] = len(r.sse_lines)
            shown = plural(len(r.sse_lines), "line")
        else:
            response["body"] = t(r.body, BODY_CAP)
            shown = plural(min(len(r.body), BODY_CAP), "character")
        if r.truncated:
            notes.append(f"truncated: {r.size_bytes} bytes were received; the evidence keeps the first {shown}")
        out["response"] = response
    return out


def _code(v: Verdict) -> str:
    """``fail/no_done``, or "" for a verdict read from a results file without codes: the page then
    shows the status alone rather than a code that only repeats it."""
    return one_line(v.code, NAME_CAP) if v.reason else ""


def _evidence(v: Verdict, check: CheckInfo) -> dict[str, Any]:
    return {
        "check": t(v.check_id, NAME_CAP),
        "title": t(check.title, NAME_CAP),
        "measures": t(check.measures, NAME_CAP),
        "provider": t(v.provider, NAME_CAP),
        "status": v.status.value,
        "code": _code(v),
        "glyph": GLYPH[v.status],
        "summary": t(v.summary, BODY_CAP),
        "notes": [t(n) for n in v.notes],
        "issues": [
            {
                "schema": t(i.schema, NAME_CAP),
                "level": t(i.level, NAME_CAP),
                "path": t(i.path),
                "message": t(i.message),
                "where": t(i.where, NAME_CAP),
            }
            for i in v.schema_issues
        ],
        "duration_ms": round(float(v.duration_ms), 1),
        "exchanges": [_exchange(e) for e in v.exchanges],
    }


def pack_row(cells: dict[str, Any]) -> str:
    """One matrix row's evidence (provider index → cell) as the page carries it: JSON, gzipped, base64
    without padding. The page script decodes a row when one of its cells is opened.

    Why: the evidence is nine tenths of the page, and a browser parses it all before showing anything.
    A row holds one check's cells for every provider, which repeat each other (the same requests, much
    the same answers), so a row compresses many times over, more so the more columns there are, and
    the page stays quick to open at hundreds of columns.

    Lone surrogates (undecodable bytes in evidence) are written as ``\\udXXX``, which inside a JSON
    string (the only place they can be) is their exact escape; ``mtime=0`` keeps the page reproducible.
    """
    text = json.dumps(cells, ensure_ascii=False, separators=(",", ":"))
    data = gzip.compress(text.encode("utf-8", errors="backslashreplace"), compresslevel=6, mtime=0)
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@functools.cache
def asset(name: str) -> str:
    """The text of ``resources/<name>`` (report.css, report.js), inlined into the page exactly as
    read: the Content-Security-Policy pins these very characters by hash."""
    return (importlib.resources.files("conformance.report") / "resources" / name).read_text(encoding="utf-8")


def _cell(v: Verdict | None, key: str, worse: WorseCheck | None = None) -> str:
    """One matrix cell; ``worse`` marks it as a regression against the run's comparison baseline
    (a mark in words as well as an outline, so it reads in greyscale too).

    The glyph is plain text, not an element of its own: at hundreds of columns every element a cell
    has is tens of thousands more for the browser to style and lay out before the page opens."""
    mark = f'<span class="worse-mark">▼ was {esc(worse.before, NAME_CAP)}</span>' if worse else ""
    worse_class = " worse" if worse else ""
    if v is None:
        return f'<td class="{worse_class.strip()}"><span class="st-none" title="no verdict">· none</span>{mark}</td>'
    glyph, word = GLYPH[v.status], v.status.value
    regression = f"worse than the baseline (was {worse.before}): " if worse else ""
    code = f"{_code(v)}: " if v.reason else ""
    return (
        f'<td class="st-{word}{worse_class}"><button type="button" class="cell st-{word}" data-key="{esc(key)}" '
        f'title="{esc(regression + code + one_line(v.summary, TITLE_CAP))}">{glyph} {word}{mark}</button></td>'
    )


def inline_code(text: str, limit: int = NAME_CAP) -> str:
    """Check-title text as HTML: the Markdown backtick spans become ``<code>``, everything escaped.

    Only backticks are read, never HTML or other Markdown: `` `<b>` `` shows ``<b>`` in code, and an
    unmatched last backtick stays a backtick.
    """
    parts = clip(text, limit).split("`")
    if len(parts) % 2 == 0:  # an odd number of backticks: the last one opens nothing
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(esc(part))
        else:
            out.append(f"<code>{esc(part)}</code>" if part else "``")
    return "".join(out)


def _comparison_note(result: RunResult) -> str:
    if result.comparison is None:
        return ""
    count = len(result.comparison.worse)
    return (
        f'<section id="comparison"><h2>Compared with a baseline</h2><p>Baseline: '
        f"{esc(result.comparison.baseline, TEXT_CAP)}. {plural(count, 'cell')} "
        "worse than the baseline, outlined and marked ▼ (the filter can show only their rows).</p></section>\n"
    )


def _counts_text(score: SectionScore) -> str:
    """``pass 3, fail 1`` in verdict order (verdict words, not nouns: no plural to get wrong)."""
    return ", ".join(f"{s.value} {score.counts[s]}" for s in STATUS_ORDER if score.counts.get(s))


def _overview_row(page: Page, p: ProviderRun, pi: int, section_ids: dict[str, str]) -> str:
    """One provider's row of the scores per section; ``pi`` is its column's index (its anchors')."""
    passed, applicable = page.tallies.score(p.name)
    name = esc(p.name, NAME_CAP)
    in_group = ' class="in-group"' if p.group is not None else ""
    cells = [
        f'<tr data-provider="{name}"{in_group}><th scope="row">'
        f'<a class="ov-name" href="#{esc(anchor("breaks", p.name, pi))}" title="{name}: what will break for your client">'
        f"{esc(short_name(p), NAME_CAP)}</a> "
        f'<span class="ov-total" title="passed / applicable (not skip)">{passed}/{applicable}</span></th>'
    ]
    for sc in section_scores(page.result, p.name, checks=page.checks, index=page.index):
        worse = f' <span class="worse-mark">▼{sc.worse}</span>' if sc.worse else ""
        worse_class = " worse" if sc.worse else ""
        where = f"{one_line(p.name, NAME_CAP)} · {one_line(sc.section, NAME_CAP)}"
        if sc.worst is None:
            cells.append(
                f'<td class="ov-none{worse_class}" data-section="{esc(sc.section)}" data-worst="none">'
                f'<a class="ov-cell" href="#{esc(section_ids[sc.section])}" title="{esc(where + ": no verdict")}">'
                f"· none{worse}</a></td>"
            )
            continue
        word = sc.worst.value
        worse_note = f"; {plural(sc.worse, 'cell')} worse than the baseline" if sc.worse else ""
        title = f"{where}: {sc.passed}/{sc.applicable} passed ({_counts_text(sc)}); worst verdict: {word}{worse_note}"
        cells.append(
            f'<td class="st-{word}{worse_class}" data-section="{esc(sc.section)}" data-worst="{word}">'
            f'<a class="ov-cell st-{word}" href="#{esc(section_ids[sc.section])}" title="{esc(title)}">'
            f'{GLYPH[sc.worst]} {sc.passed}/{sc.applicable}'
            f'<span class="sr"> {word}</span>{worse}</a></td>'
        )
    cells.append("</tr>")
    return "".join(cells)


def _overview_group_row(group: ColumnGroup, width: int) -> str:
    """The header row above a group's rows in the scores per section: the providers.yaml entry's name."""
    name = esc(group.name, NAME_CAP)
    return (
        f'<tr class="ov-group" data-group="{name}"><th scope="rowgroup" colspan="{width}">{name} '
        f'<span class="muted">{plural(len(group.columns), "model")}</span></th></tr>'
    )


def _overview(page: Page, providers: list[ProviderRun], section_ids: dict[str, str]) -> str:
    """Providers (rows) × sections (columns, ``section_ids``: name → the id of its row in the matrix):
    passed / applicable per section, each cell coloured by its worst applicable verdict and linking
    to its section of the matrix. The models of a group follow a row with the group's name."""
    sections = list(section_ids)
    head = ['<tr><th scope="col" class="corner">Provider <span class="muted">score</span></th>']
    head += [
        f'<th scope="col"><a href="#{esc(section_ids[name])}">{esc(name, NAME_CAP)}</a></th>' for name in sections
    ]
    head.append("</tr>")
    rows = []
    pi = 0
    for group in column_groups(providers):
        if group.name is not None:
            rows.append(_overview_group_row(group, len(sections) + 1))
        for p in group.columns:
            rows.append(_overview_row(page, p, pi, section_ids))
            pi += 1
    return (
        '<section id="overview" aria-labelledby="overview-title"><h2 id="overview-title">Scores per section</h2>'
        '<p class="muted hint">Passed / applicable (skip is not applicable), coloured by the worst verdict. '
        "Select a cell to go to its section, a provider for what will break for your client.</p>"
        f'<div class="ov-wrap"><table id="ov"><thead>{"".join(head)}</thead><tbody>{"".join(rows)}</tbody></table></div>'
        "</section>\n"
    )


def _breaks_card(page: Page, p: ProviderRun, pi: int, keys: dict[tuple[str, str], str], level: int) -> str:
    """One provider's card of "what will break": its failing and unsupported checks grouped by what an
    app would notice, one line each. ``level`` is its heading's (3, or 4 under a group's heading)."""
    counts = page.tallies.counts(p.name)
    groups = breakage(page.result, p.name, checks=page.checks, index=page.index)
    passed, applicable = page.tallies.score(p.name)
    name_title = f' title="{esc(p.name, NAME_CAP)}"' if p.group is not None else ""
    parts = [
        f'<section class="breaks" id="{esc(anchor("breaks", p.name, pi))}">'
        f'<h{level}><span class="bname"{name_title}>{esc(short_name(p), NAME_CAP)}</span> '
        f'<span class="ov-total" title="passed / applicable (not skip)">{passed}/{applicable}</span></h{level}>'
    ]
    if not groups:
        parts.append('<p class="ok">Nothing fails and nothing is unsupported: a client written for OpenAI should work.')
    else:
        tally = [plural(counts[Status.FAIL], "failing check")] if counts[Status.FAIL] else []
        if counts[Status.UNSUPPORTED]:
            tally.append(f"{counts[Status.UNSUPPORTED]} unsupported")
        parts.append(f'<p class="tally">{", ".join(tally)}.')
    if counts[Status.ERROR]:
        parts.append(f' {plural(counts[Status.ERROR], "check")} could not be judged (error): see the matrix.')
    parts.append("</p>")
    for group in groups:
        parts.append(
            f'<h{level + 1}>{esc(group.impact.label)} <span class="muted">({len(group.verdicts)})</span></h{level + 1}>'
            f'<p class="notices muted">{esc(group.impact.notices)}</p><ul>'
        )
        for v in group.verdicts:
            word = v.status.value
            code = f"{_code(v)}: " if v.reason else ""
            parts.append(
                f'<li title="{esc(v.check_id + ": " + one_line(v.summary, TITLE_CAP))}">'
                f'<button type="button" class="ev st-{word}" data-key="{esc(keys[(v.provider, v.check_id)])}" '
                f'title="{esc("evidence: " + code + one_line(v.summary, TITLE_CAP))}">'
                f'<span class="glyph" aria-hidden="true">{GLYPH[v.status]}</span> {word}</button> '
                f'<a href="#{esc(keys[("#", v.check_id)])}">{esc(v.check_id, NAME_CAP)}</a> '
                f'<span class="why">{esc(excerpt(v.summary, 180))}</span></li>'
            )
        parts.append("</ul>")
    parts.append("</section>")
    return "".join(parts)


def _breaks(page: Page, providers: list[ProviderRun], keys: dict[tuple[str, str], str]) -> str:
    """A card per provider (see :func:`_breaks_card`); the cards of a group's models sit under a
    heading with the group's name, the other cards in a grid between them."""
    blocks: list[str] = []
    loose: list[str] = []  # the cards of providers without a group, since the last group
    pi = 0
    for group in column_groups(providers):
        if group.name is None:
            loose += [_breaks_card(page, p, pi + n, keys, 3) for n, p in enumerate(group.columns)]
        else:
            if loose:
                blocks.append(f'<div class="breaks-grid">{"".join(loose)}</div>')
                loose = []
            cards = "".join(_breaks_card(page, p, pi + n, keys, 4) for n, p in enumerate(group.columns))
            name = esc(group.name, NAME_CAP)
            blocks.append(
                f'<section class="breaks-group" data-group="{name}"><h3>{name} '
                f'<span class="muted">{plural(len(group.columns), "model")}</span></h3>'
                f'<div class="breaks-grid">{cards}</div></section>'
            )
        pi += len(group.columns)
    if loose or not blocks:
        blocks.append(f'<div class="breaks-grid">{"".join(loose)}</div>')
    statuses = " or ".join(s.value for s in BREAKING)
    return (
        '<section id="breaks"><h2>What will break for your client</h2>'
        f'<p class="muted hint">Per provider, the checks with a {statuses} verdict, grouped by what an app would '
        "notice. Select a verdict for its evidence, a check for its row in the matrix.</p>"
        f'{"".join(blocks)}</section>\n'
    )


def _column_head(page: Page, p: ProviderRun, *, rowspan: int = 1) -> str:
    """One provider's header cell: its name (the model alone under a group's header; the full name in
    the tooltip), host, chat model, run date and score."""
    passed, applicable = page.tallies.score(p.name)
    started = esc(when(provider_started(page.result, p.name)), NAME_CAP)
    shown = short_name(p)
    model = chat_model(p)
    # A swept column is named after its model: showing the model again would only repeat it.
    model_span = (
        f'<span class="pmodel" title="chat model: {esc(model, NAME_CAP)}">{esc(model, NAME_CAP)}</span>'
        if model != shown else ""
    )
    span = f' rowspan="{rowspan}"' if rowspan > 1 else ""
    return (
        f'<th scope="col"{span} data-provider="{esc(p.name, NAME_CAP)}">'
        f'<span class="pname" title="{esc(p.name, NAME_CAP)}">{esc(shown, NAME_CAP)}</span>'
        f'<span class="phost" title="host of the base URL">{esc(host_of(p.base_url), NAME_CAP)}</span>'
        f"{model_span}"
        f'<span class="pdate" title="run started">{started}</span>'
        f'<span class="pscore" title="passed / applicable (not skip)">{passed}/{applicable}</span></th>'
    )


def _group_head(group: ColumnGroup) -> str:
    """The cell above a group's columns, spanning exactly them."""
    name = esc(group.name, NAME_CAP)
    models = plural(len(group.columns), "model")
    return (
        f'<th scope="colgroup" colspan="{len(group.columns)}" class="pgroup" data-group="{name}">'
        f'<span class="gname" title="{name}: {models} of one providers.yaml entry">{name}</span></th>'
    )


def _matrix_head(page: Page, providers: list[ProviderRun]) -> str:
    """The matrix's header rows. With a model sweep in the run, two rows: the groups above, each
    spanning its columns, then the models; a provider that is its own column spans both rows."""
    if not has_groups(providers):
        cells = "".join(_column_head(page, p) for p in providers)
        return f'<tr><th scope="col" class="corner">Check</th>{cells}</tr>'
    top = ['<tr class="pgroups"><th scope="col" class="corner" rowspan="2">Check</th>']
    below = ['<tr class="pmodels">']
    for group in column_groups(providers):
        if group.name is None:
            top += [_column_head(page, p, rowspan=2) for p in group.columns]
        else:
            top.append(_group_head(group))
            below += [_column_head(page, p) for p in group.columns]
    return "".join(top) + "</tr>" + "".join(below) + "</tr>"


LATENCY_COLUMNS = 6
"""First byte, first token, whole stream, tokens/s, streams, measured over."""


def _latency_cells(p: ProviderRun) -> str:
    """The run table's latency cells of one provider: medians with their max, or one "—" cell saying why."""
    lat = p.latency
    if lat is None:
        why = "not run" if p.skipped_reason else NO_STREAM
        return f'<td colspan="{LATENCY_COLUMNS}" class="muted lat-none" title="{esc(why)}">— ({esc(why)})</td>'
    return (
        f'<td class="num lat" title="time to the response headers: median (max)">{esc(spread_ms(lat.first_byte_ms))}</td>'
        f'<td class="num lat" title="time to the first piece of content: median (max)">{esc(spread_ms(lat.first_token_ms))}</td>'
        f'<td class="num lat" title="time to the end of the stream: median (max)">{esc(spread_ms(lat.total_ms))}</td>'
        f'<td class="num lat" title="output tokens a second after the first, median (max), from the streams that reported usage">'
        f"{esc(tokens_rate(lat))}</td>"
        f'<td class="num">{int(lat.streams)}</td><td>{esc(lat.measured, NAME_CAP)}</td>'
    )


def _run_table(page: Page) -> str:
    """Per provider (every column under its full name): host, run date, models, cost, score and the
    latency its streams saw, with what those figures are and are not."""
    result = page.result
    rows = []
    for p in result.providers:
        passed, applicable = page.tallies.score(p.name)
        models = ", ".join(f"{k}={v}" for k, v in p.models.items())
        rows.append(
            f"<tr><td>{esc(p.name, NAME_CAP)}</td><td>{esc(host_of(p.base_url), NAME_CAP)}</td>"
            f"<td>{esc(when(provider_started(result, p.name)), NAME_CAP)}</td>"
            f"<td>{esc(models, 1000)}</td><td class=\"num\">{int(p.requests)}</td>"
            f"<td class=\"num\">{int(p.tokens)}</td>"
            f"<td class=\"num\">{'skipped' if p.skipped_reason else f'{passed}/{applicable}'}</td>"
            f"{_latency_cells(p)}</tr>"
        )
    measured = [p for p in result.providers if p.latency is not None]
    note = caveat(measured) if measured else f"Latency: {NO_STREAM} in this run, so there are no figures."
    return (
        f'<p class="muted lat-note">{esc(note)}</p>'
        '<table class="plain"><thead><tr><th scope="col">Provider</th>'
        '<th scope="col">Host</th><th scope="col">Run started</th><th scope="col">Models</th><th scope="col">Requests</th>'
        '<th scope="col">Tokens</th><th scope="col">Score</th>'
        '<th scope="col">First byte</th><th scope="col">First token</th><th scope="col">Whole stream</th><th scope="col">Tokens/s</th>'
        '<th scope="col">Streams</th><th scope="col">Measured over</th></tr></thead><tbody>'
        f'{"".join(rows)}</tbody></table>\n'
    )


def render_html(result: RunResult) -> str:
    page = Page.of(result)
    providers = matrix_providers(result)
    checks, index = page.checks, page.index
    sections = sections_of(checks)
    section_ids = {name: anchor("section", name, i) for i, name in enumerate(sections)}

    worse = {(w.provider, w.check_id): w for w in result.comparison.worse} if result.comparison else {}
    packed_rows: list[str] = []  # per check, its cells' evidence, compressed (see pack_row)
    keys: dict[tuple[str, str], str] = {}  # (provider, check id) → its cell's evidence key; ("#", check id) → its row's id
    rows: list[str] = []
    section = None
    ncols = len(providers) + 1
    for ci, check in enumerate(checks):
        if check.section != section:
            section = check.section
            rows.append(
                f'<tr class="section" id="{esc(section_ids[section])}" data-section="{esc(section)}">'
                f'<th colspan="{ncols}" scope="rowgroup">{esc(section, NAME_CAP)}</th></tr>'
            )
        verdicts = [index.get((p.name, check.id)) for p in providers]
        statuses = {v.status if v else None for v in verdicts}
        fail = any(v is not None and v.status in (Status.FAIL, Status.ERROR) for v in verdicts)
        diff = len(statuses) > 1
        row_worse = any((p.name, check.id) in worse for p in providers)
        present = " ".join(sorted({v.status.value if v else "none" for v in verdicts}))
        # The search box matches these as well as the check id: typing no_done finds its rows.
        codes = " ".join(sorted({_code(v) for v in verdicts if v is not None and v.reason}))
        codes_attr = f' data-codes="{esc(codes)}"' if codes else ""
        row_id = anchor("check", check.id, ci)
        keys[("#", check.id)] = row_id
        head_id = f' id="{esc(check.id)}"' if bare_id(check.id) else ""
        measures = (
            f'<span class="measures" title="measures what the model chose to say">{esc(check.measures)}</span>'
            if check.measures == "model" else ""
        )
        row = [
            f'<tr class="check" id="{esc(row_id)}" data-check="{esc(check.id)}" '
            f'data-section="{esc(check.section)}" data-fail="{int(fail)}" data-diff="{int(diff)}" '
            f'data-statuses="{present}" data-worse="{int(row_worse)}"{codes_attr}>',
            f'<th scope="row" class="rowhead"{head_id}><a href="#{esc(row_id)}">{esc(check.id, NAME_CAP)}</a>'
            f'{measures}'
            + (f'<span class="ctitle">{inline_code(check.title)}</span>' if check.title else "")
            + "</th>",
        ]
        row_evidence: dict[str, Any] = {}
        for pi, v in enumerate(verdicts):
            key = f"{pi}:{ci}"
            if v is not None:
                row_evidence[str(pi)] = _evidence(v, check)
                keys[(providers[pi].name, check.id)] = key
            row.append(_cell(v, key, worse.get((providers[pi].name, check.id))))
        row.append("</tr>")
        rows.append("".join(row))
        packed_rows.append(pack_row(row_evidence))

    head = _matrix_head(page, providers)

    legend = "".join(
        f'<dt class="st-{s.value}"><span class="glyph" aria-hidden="true">{GLYPH[s]}</span> {s.value}</dt>'
        f"<dd>{esc(MEANING[s])}</dd>"
        for s in STATUS_ORDER
    )

    sources_html = ""
    if result.sources:
        items = "".join(
            f"<tr><td>{esc(src.file, TEXT_CAP)}</td><td>{esc(src.tool_version, NAME_CAP)}</td>"
            f"<td>{esc(when(src.started_at), NAME_CAP)}</td><td class=\"num\">{float(src.duration_s):.1f} s</td>"
            f"<td>{esc(', '.join(src.providers), TEXT_CAP)}</td>"
            f"<td>{'yes' if src.interrupted else 'no'}</td></tr>"
            for src in result.sources
        )
        sources_html = (
            f'<section id="sources"><h3>Merged from {plural(len(result.sources), "run")}</h3>'
            '<table class="plain"><thead><tr>'
            '<th scope="col">Results file</th><th scope="col">Tool version</th><th scope="col">Started</th>'
            '<th scope="col">Duration</th><th scope="col">Providers</th><th scope="col">Interrupted</th>'
            f"</tr></thead><tbody>{items}</tbody></table></section>\n"
        )

    section_options = "".join(f'<option value="{esc(name)}">{esc(name, NAME_CAP)}</option>' for name in sections)

    skipped = skipped_providers(result)
    skipped_html = ""
    if skipped:
        items = "".join(
            f"<li><strong>{esc(p.name, NAME_CAP)}</strong>: {esc(one_line(p.skipped_reason or ''), TEXT_CAP)}</li>"
            for p in skipped
        )
        skipped_html = f'<section id="skipped"><h2>Skipped providers</h2><ul>{items}</ul></section>\n'

    notes_html = ""
    if result.notes:
        items = "".join(f"<li>{esc(n, TEXT_CAP)}</li>" for n in result.notes)
        notes_html = f'<details id="notes"><summary>Notes ({len(result.notes)})</summary><ul>{items}</ul></details>\n'

    interrupted = (
        '<p class="warnbox"><strong>! Interrupted run:</strong> some checks did not complete.</p>'
        if result.interrupted else ""
    )

    evidence = script_json({"encoding": "gzip+base64", "rows": packed_rows})
    css, js = asset("report.css"), asset("report.js")
    csp = (
        f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(js)}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    version = esc(result.tool_version, NAME_CAP)
    merged = f" · merged from {plural(len(result.sources), 'run')}" if result.sources else ""
    ran = [p for p in result.providers if not p.skipped_reason]
    spent = (
        f"{plural(len(ran), 'provider')}, {plural(sum(int(p.requests) for p in ran), 'request')}, "
        f"{plural(sum(int(p.tokens) for p in ran), 'token')}"
    )
    return "".join(
        [
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">\n',
            '<meta name="referrer" content="no-referrer">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            f"<title>OpenAI compatibility matrix — conformance {version}</title>\n",
            f"<style>{css}</style>\n</head>\n<body>\n",
            "<header>\n<h1>OpenAI compatibility matrix</h1>\n",
            f'<p class="meta">conformance {version} · started {esc(when(result.started_at), NAME_CAP)} · '
            f"finished {esc(when(result.finished_at), NAME_CAP)} · duration {result.duration_s:.1f} s{merged} · "
            '<a href="#matrix">matrix</a> · <a href="#breaks">what will break</a> · <a href="#run">run details</a> · '
            '<a href="#legend">legend</a></p>\n',
            interrupted,
            "</header>\n<main>\n",
            _overview(page, providers, section_ids),
            _comparison_note(result),
            skipped_html,
            '<div class="controls" role="search">'
            '<label>Show <select id="filter"><option value="all">all checks</option>'
            '<option value="failures">only failures (fail + error)</option>'
            '<option value="diff">only differences between providers</option>'
            + ('<option value="worse">only checks worse than the baseline</option>' if worse else "")
            + '<option value="notpass">anything but pass</option>'
            '<option value="warn">with a warn</option><option value="unsupported">with an unsupported</option>'
            '<option value="skip">with a skip</option></select></label>'
            f'<label>Section <select id="section"><option value="">all sections</option>{section_options}</select></label>'
            '<label>Check id or reason <input id="search" type="search" placeholder="e.g. tools. or no_done" '
            'autocomplete="off"></label>'
            '<span id="shown" class="muted" aria-live="polite"></span></div>\n',
            '<table id="matrix"><thead>',
            head,
            "</thead><tbody>\n",
            "\n".join(rows),
            "\n</tbody></table>\n",
            _breaks(page, providers, keys),
            f'<details id="run"><summary>Run details: {spent}</summary>',
            _run_table(page),
            sources_html,
            "</details>\n",
            notes_html,
            f'<details id="legend"><summary>Legend: what each verdict means</summary><dl class="legend">{legend}</dl>'
            '<p class="muted">Score = passed / applicable, where applicable = every verdict that is not skip. '
            "Select a cell (click, or Tab and Enter) to see its evidence.</p></details>\n",
            "</main>\n",
            '<dialog id="panel" aria-labelledby="panel-title"><div class="panel-head">'
            '<h2 id="panel-title">Evidence</h2><button type="button" id="panel-close">Close</button></div>'
            '<div id="panel-body"></div></dialog>\n'
            '<div id="tip" role="tooltip" hidden></div>\n',
            f'<script type="application/json" id="evidence">{evidence}</script>\n',
            f"<script>{js}</script>\n",
            "</body>\n</html>\n",
        ]
    )
