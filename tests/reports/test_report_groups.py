"""A gateway swept model by model, in the reports: its columns grouped under its name (report.html,
summary.md, the terminal), each named by its model, the full ``gateway/model`` kept wherever a
column must be told apart (tooltips, evidence, junit.xml, the lines below the terminal matrix).
And the latency figures of a run, in report.html's run details and in summary.md.

The grouped run is real (runs.GROUPED_PROVIDERS): the gateway's models come from its GET /models.
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET

import pytest

from conformance.report import render_html, render_junit, render_markdown, render_terminal_matrix
from conformance.report.groups import column_groups, short_name
from conformance.report.html import pack_row
from conformance.results import Latency, ProviderRun, RunResult
from conformance.text import visible
from conformance.verdict import Status
from tests.reports import runs as rs
from tests.reports.html import Cell, elements, evidence, table, unpack_row
from tests.reports.test_report_hostile import assert_inert_html
from tests.support.find import search
from tests.support.keys import assert_no_key_slice

MODELS = [f"reference-chat-{n:02d}" for n in range(1, rs.GATEWAY_MODELS + 1)]
SWEPT = [f"{rs.GATEWAY}/{m}" for m in MODELS]


@pytest.fixture(scope="module")
def doc(grouped_run: RunResult) -> str:
    return render_html(grouped_run)


def test_the_run_really_swept_the_gateway(grouped_run: RunResult) -> None:
    """Guards the other tests: the gateway became one column per listed model, between two providers."""
    assert [(p.name, p.group) for p in grouped_run.providers] == (
        [("reference", None)] + [(name, rs.GATEWAY) for name in SWEPT] + [("picky-proxy", None)]
    )
    assert [p.models["chat"] for p in grouped_run.providers[1:-1]] == MODELS
    # The gateway's streams end without [DONE]: its models have failures to list.
    assert all(any(v.provider == name and v.status == Status.FAIL for v in grouped_run.verdicts) for name in SWEPT)


# ------------------------------------------------------------------------------- groups.py


def test_column_groups_are_runs_of_adjacent_columns_of_one_entry() -> None:
    def col(name: str, group: str | None = None) -> ProviderRun:
        return ProviderRun(name, "https://x.example/v1", {}, group=group)

    columns = [col("a"), col("gw/x", "gw"), col("gw/y", "gw"), col("b"), col("c"), col("gw/z", "gw")]
    assert [(g.name, [p.name for p in g.columns]) for g in column_groups(columns)] == [
        (None, ["a"]), ("gw", ["gw/x", "gw/y"]), (None, ["b"]), (None, ["c"]), ("gw", ["gw/z"]),
    ]
    assert column_groups([]) == []
    # The model alone under its group's name; the full name wherever it is not "<group>/<model>".
    assert [short_name(p) for p in (col("gw/x", "gw"), col("gw/a/b", "gw"), col("gwx/y", "gw"), col("gw/", "gw"), col("a"))] == [
        "x", "a/b", "gwx/y", "gw/", "a",
    ]


# ------------------------------------------------------------------------------- report.html


def column_positions(head: list[list[Cell]]) -> dict[int, list[Cell]]:
    """Each grid column of the header → the header cells above it, top first, laid out as a browser
    lays out rowspan and colspan."""
    taken: set[tuple[int, int]] = set()
    above: dict[int, list[Cell]] = {}
    for r, row in enumerate(head):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            for dr in range(cell.span("rowspan")):
                for dc in range(cell.span("colspan")):
                    taken.add((r + dr, c + dc))
                    if dr == 0:
                        above.setdefault(c + dc, []).append(cell)
            c += cell.span("colspan")
    return above


def test_matrix_names_the_gateway_once_above_its_models(grouped_run: RunResult, doc: str) -> None:
    head = table(doc, "matrix").head
    assert len(head) == 2
    top, models = head
    assert top[0].text == "Check" and top[0].span("rowspan") == 2
    assert [(c.attrs.get("data-provider") or c.attrs.get("data-group"), c.span("rowspan"), c.span("colspan")) for c in top[1:]] == [
        ("reference", 2, 1), (rs.GATEWAY, 1, rs.GATEWAY_MODELS), ("picky-proxy", 2, 1),
    ]
    group = top[2]
    assert group.attrs["scope"] == "colgroup" and group.text.strip() == rs.GATEWAY
    # Each model's head: the model alone (no "gateway/" repeated), the full name in its tooltip.
    assert [c.attrs["data-provider"] for c in models] == SWEPT
    for cell, model, name in zip(models, MODELS, SWEPT, strict=True):
        assert cell.text.startswith(model) and rs.GATEWAY not in cell.text
        assert cell.titles[0] == name
        assert cell.text.count(model) == 1  # the chat model is the column's name: not shown twice


def test_each_header_stands_above_the_cells_of_its_column(grouped_run: RunResult, doc: str) -> None:
    """Laid out as a browser lays out rowspan and colspan, the header puts each column's name (and
    its group's, for a gateway's model) above the very cells whose evidence is that column's."""
    page = table(doc, "matrix")
    above = column_positions(page.head)
    cells = evidence(doc)["cells"]
    checked = 0
    for row in page.body:
        for c, cell in enumerate(row[1:], start=1):  # row[0]: the check (or a section's only cell)
            provider = cells[cell.keys[0]]["provider"]
            heads = above[c]
            assert heads[-1].attrs["data-provider"] == provider
            assert [h.attrs.get("data-group") for h in heads[:-1]] == ([rs.GATEWAY] if provider in SWEPT else [])
            checked += 1
    assert checked == len(grouped_run.verdicts)


def test_scores_per_section_list_the_models_under_the_gateways_row(grouped_run: RunResult, doc: str) -> None:
    rows = table(doc, "ov").body
    width = len(table(doc, "ov").head[0])
    shown = [(row[0].text.split()[0], len(row)) for row in rows]
    assert shown == [("reference", width), (rs.GATEWAY, 1)] + [(m, width) for m in MODELS] + [("picky-proxy", width)]
    assert rows[1][0].span("colspan") == width and rows[1][0].attrs["scope"] == "rowgroup"
    assert rows[1][0].text == f"{rs.GATEWAY} {rs.GATEWAY_MODELS} models"
    # A model's row: the model by name, its full name in the link's tooltip.
    for row, name in zip(rows[2:-1], SWEPT, strict=True):
        assert row[0].titles[0].startswith(f"{name}: ")


def test_what_will_break_puts_the_models_cards_under_the_gateways_name(grouped_run: RunResult, doc: str) -> None:
    breaks = search(r'<section id="breaks">(.*)</section>\n<details id="run">', doc, re.S).group(1)
    # In column order: the reference's card, the gateway's heading with its models' cards, picky-proxy's card.
    order = re.findall(r'<section class="breaks-group" data-group="([^"]+)"|<section class="breaks" id="breaks-([^"]+)"', breaks)
    assert [g or f"card {c}" for g, c in order] == ["card reference", rs.GATEWAY, *(f"card {n}" for n in SWEPT), "card picky-proxy"]
    group = search(r'<section class="breaks-group" data-group="gateway">(.*?)</div></section>', breaks, re.S).group(1)
    assert group.startswith(f'<h3>{rs.GATEWAY} <span class="muted">{rs.GATEWAY_MODELS} models</span></h3>')
    for model, name in zip(MODELS, SWEPT, strict=True):
        card = search(rf'<section class="breaks" id="breaks-{re.escape(name)}">(.*?)</section>', group, re.S).group(1)
        # One heading level down under the gateway's h3, the model alone, the full name in the tooltip.
        assert card.startswith(f'<h4><span class="bname" title="{name}">{model}</span>')
        failing = [v.check_id for v in grouped_run.verdicts if v.provider == name and v.status == Status.FAIL]
        assert failing and all(f">{check}</a>" in card for check in failing)
    assert '<h3><span class="bname">reference</span>' in breaks  # a card of its own keeps its h3


def test_evidence_and_junit_name_every_column_in_full(grouped_run: RunResult, doc: str) -> None:
    names = {p.name for p in grouped_run.providers}
    assert {cell["provider"] for cell in evidence(doc)["cells"].values()} == names
    suites = [s.get("name") for s in ET.fromstring(render_junit(grouped_run).encode()).iter("testsuite")]
    assert suites == [p.name for p in grouped_run.providers]


def test_no_report_of_the_sweep_holds_the_key(grouped_run: RunResult, doc: str) -> None:
    """The sweep read the gateway's GET /models with the key, and every column sent it."""
    opened = json.dumps(evidence(doc), ensure_ascii=False)
    assert "Bearer [REDACTED]" in opened  # the evidence shows the header, redacted
    texts = {
        "report.html": doc, "its evidence": opened, "summary.md": render_markdown(grouped_run),
        "junit.xml": render_junit(grouped_run), "terminal": render_terminal_matrix(grouped_run, color=False),
    }
    for where, text in texts.items():
        assert_no_key_slice(text, rs.PLANTED_KEY, where)


def test_a_run_without_a_sweep_keeps_one_header_row(demo_run: RunResult) -> None:
    doc = render_html(demo_run)
    head = table(doc, "matrix").head
    assert len(head) == 1 and [c.attrs.get("data-provider") for c in head[0][1:]] == [p.name for p in demo_run.providers]
    classes = {c for _, attrs in elements(doc).tags for c in attrs.get("class", "").split()}
    assert "cell" in classes and not classes & {"pgroup", "pmodels", "ov-group", "in-group", "breaks-group"}
    assert "(1 model" not in render_markdown(demo_run)


# ------------------------------------------------------------------------------- summary.md, terminal


def test_summary_md_names_the_gateway_with_each_model(grouped_run: RunResult) -> None:
    md = render_markdown(grouped_run).splitlines()
    header = next(line for line in md if line.startswith("| Check"))
    # A Markdown table has no header spanning columns: each head says "gateway / model".
    assert header == "| Check | reference | " + " | ".join(f"{rs.GATEWAY} / {m}" for m in MODELS) + " | picky-proxy |"
    scores = md[md.index("## Scores") + 4 : md.index("## Scores") + 4 + 2 + rs.GATEWAY_MODELS + 1]
    assert scores[0].startswith("- **reference**: ")
    assert scores[1] == f"- **{rs.GATEWAY}** ({rs.GATEWAY_MODELS} models)"
    for line, model in zip(scores[2:-1], MODELS, strict=True):
        assert re.fullmatch(rf"  - \*\*{model}\*\*: \d+/\d+ \(.*fail.*\)", line), line
    assert scores[-1].startswith("- **picky-proxy**: ")


def test_terminal_names_the_gateway_over_exactly_its_columns(grouped_run: RunResult) -> None:
    lines = render_terminal_matrix(grouped_run, color=False).splitlines()
    groups, names = lines[0], lines[1]
    assert names.split() == ["check", "reference", *MODELS, "picky-proxy"]
    first, last = names.index(MODELS[0]), names.index(MODELS[-1]) + len(MODELS[-1])
    assert groups[:first].strip() == "" and groups.index(rs.GATEWAY) == first
    assert groups.rstrip().endswith("-") and len(groups.rstrip()) == last  # the dashes end where the last model's column does
    # Below the matrix, each column by its full name.
    for name in SWEPT:
        assert any(re.match(rf"{re.escape(name)}\s+\d+/\d+ passed", line) for line in lines)
        assert any(re.match(rf"{re.escape(name)}\s+streaming\.\S+\s+fail/", line) for line in lines)


def test_hostile_group_and_model_names_stay_text(hostile_content_run: RunResult) -> None:
    result = rs.grouped_hostile(hostile_content_run)
    doc = render_html(result)
    assert_inert_html(doc)
    group = search(r'<th scope="colgroup"[^>]*>(.*?)</th>', doc).group(1)
    assert "&lt;script&gt;window.__pwned&#61;1" in group and "\\u202egnp.exe" in group
    heads = table(doc, "matrix").head[1]
    assert [c.titles[0] for c in heads] == [visible(p.name) for p in result.providers]
    assert heads[0].text.startswith('<img src=x onerror="window.__pwned=3">')  # the model alone, as text
    md = render_markdown(result)
    assert "<script>" not in md and "<img" not in md and rs.RLO not in md and "\\u202egnp.exe" in md
    term = render_terminal_matrix(result, color=False)
    assert rs.RLO not in term and "\x1b" not in term
    assert all(len(line) < 400 for line in term.splitlines())


def test_a_row_of_evidence_packs_to_base64_that_decodes_to_it() -> None:
    """What the page script decodes (tests/reports/html.py decodes it the same way): every character
    kept, lone surrogates as their JSON escape, no ``=`` padding (the evidence block never holds one)."""
    row = {"0": {"body": "\u2028line\u2029 <script> &amp; é 🙂 \x00"}, "3": {"body": "x" * 5000, "n": [1, 2.5, None]}}
    packed = pack_row(row)
    assert re.fullmatch(r"[A-Za-z0-9+/]+", packed)
    assert unpack_row(packed) == row
    assert len(packed) < 400  # 5000 repeated characters compress
    assert unpack_row(pack_row({"0": {"body": "\udc80 tail"}})) == {"0": {"body": "\udc80 tail"}}


# ------------------------------------------------------------------------------- latency


def with_latency(result: RunResult) -> RunResult:
    """``result`` with known figures: the reference over loopback, the gateway's first model over the
    network without usage, picky-proxy with no stream completed, and a provider that did not run."""
    result = copy.deepcopy(result)
    by_name = {p.name: p for p in result.providers}
    by_name["reference"].latency = Latency("loopback", 7, (12.0, 40.0), (85.4, 1234.0), (250.0, 2500.0), (61.2, 90.0))
    by_name[SWEPT[0]].latency = Latency("network", 3, (5.0, 6.0), (7.0, 8.0), (9.0, 999.6), None)
    by_name["picky-proxy"].latency = None
    result.providers.append(ProviderRun("later", "https://later.example/v1", {"chat": "m"}, skipped_reason="LATER_KEY is unset"))
    return result


def run_details(doc: str) -> tuple[str, list[list[str]]]:
    """The run details' note on latency, and its table as rows of cell texts (the header first)."""
    run = search(r'<details id="run">(.*?)</details>', doc, re.S).group(1)
    note = search(r'<p class="muted lat-note">(.*?)</p>', run).group(1)
    parsed = table(run, None)
    return note, [[c.text for c in row] for row in parsed.head + parsed.body]


def test_run_details_show_each_columns_latency_and_what_it_is(grouped_run: RunResult) -> None:
    result = with_latency(grouped_run)
    note, rows = run_details(render_html(result))
    assert rows[0][-6:] == ["First byte", "First token", "Whole stream", "Tokens/s", "Streams", "Measured over"]
    by_name = {row[0]: row for row in rows[1:]}
    assert list(by_name) == [p.name for p in result.providers]  # every column by its full name
    assert by_name["reference"][-6:] == ["12 ms (max 40 ms)", "85 ms (max 1.2 s)", "250 ms (max 2.5 s)", "61 (max 90)", "7", "loopback"]
    assert by_name[SWEPT[0]][-6:] == ["5 ms (max 6 ms)", "7 ms (max 8 ms)", "9 ms (max 1.0 s)", "—", "3", "network"]
    assert by_name["picky-proxy"][-1] == "— (no stream completed)"
    assert by_name["later"][-1] == "— (not run)"
    # Where and how they were measured, and what they are not.
    assert note.startswith("Latency measured at run time over loopback and network, from the streams the checks sent anyway")
    assert note.endswith("not a benchmark of the model.")


def test_run_details_of_a_run_without_figures_say_why(grouped_run: RunResult) -> None:
    result = copy.deepcopy(grouped_run)
    for p in result.providers:
        p.latency = None
    note, rows = run_details(render_html(result))
    assert note == "Latency: no stream completed in this run, so there are no figures."
    assert all(row[-1] == "— (no stream completed)" for row in rows[1:])
    assert "## Latency" not in render_markdown(result)


def test_the_real_runs_figures_reach_the_run_details(grouped_run: RunResult) -> None:
    """The figures the runner measured, formatted: every column of the embedded run streamed, over loopback."""
    _, rows = run_details(render_html(grouped_run))
    for p, row in zip(grouped_run.providers, rows[1:], strict=True):
        assert p.latency is not None and row[-1] == "loopback" and row[-2] == str(p.latency.streams)
        assert re.fullmatch(r"\d+(\.\d)? m?s \(max \d+(\.\d)? m?s\)", row[-5]), row


def test_summary_md_lists_the_latency_grouped_as_the_scores(grouped_run: RunResult) -> None:
    md = render_markdown(with_latency(grouped_run)).splitlines()
    at = md.index("## Latency")
    assert md[at + 2].startswith("Latency measured at run time over loopback and network") and "not a benchmark" in md[at + 2]
    items = md[at + 4 : at + 4 + 2 + rs.GATEWAY_MODELS + 1]
    assert items[0] == (
        "- **reference**: first byte 12 ms (max 40 ms), first token 85 ms (max 1.2 s), "
        "whole stream 250 ms (max 2.5 s), 61 (max 90) tokens/s; median over 7 streams, over loopback"
    )
    assert items[1] == f"- **{rs.GATEWAY}** ({rs.GATEWAY_MODELS} models)"
    assert items[2] == (
        f"  - **{MODELS[0]}**: first byte 5 ms (max 6 ms), first token 7 ms (max 8 ms), "
        "whole stream 9 ms (max 1.0 s); median over 3 streams, over network"
    )
    assert all(line.startswith(f"  - **{m}**: first byte ") for line, m in zip(items[3:-1], MODELS[1:], strict=True))
    assert items[-1] == "- **picky-proxy**: — (no stream completed)"
    section = md[at : md.index("## Skipped providers")]
    assert not any("later" in line for line in section)  # a provider that did not run has no figures to give
