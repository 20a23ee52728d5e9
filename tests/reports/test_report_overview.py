"""report.html's first screen and what follows the matrix: the scores per section (providers ×
sections, coloured by the worst verdict, linking to the section), "what will break for your
client", check titles with `code`, one date format, plurals, and the folded run details and legend.

The browser side (clicking, colours on screen, anchors below the sticky header) is in test_browser.py.
"""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

import pytest

from conformance.report import render_html, render_markdown
from conformance.report.dates import when
from conformance.report.html import anchor, bare_id, inline_code
from conformance.report.overview import IMPACTS, OTHER, breakage, impact_of, section_scores, worst_applicable
from conformance.results import CheckInfo, Comparison, ProviderRun, RunResult, WorseCheck
from conformance.verdict import Status, Verdict
from tests.reports.html import elements, evidence
from tests.reports.test_reports import make_result
from tests.support.find import search


class Cells(HTMLParser):
    """The overview's cells: (provider, section) → {"class", "worst", "href", "title", "text"}."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: dict[tuple[str, str], dict[str, str]] = {}
        self.heads: list[tuple[str, str]] = []
        """The overview's column heads: (section name, href)."""
        self._in_ov = False
        self._in_head = False
        self._provider = ""
        self._cell: dict[str, str] | None = None
        self._head_href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self._in_ov = a.get("id") == "ov"
        if not self._in_ov:
            return
        if tag == "thead":
            self._in_head = True
        elif tag == "tbody":
            self._in_head = False
        elif tag == "tr":
            self._provider = a.get("data-provider", "")
        elif tag == "td":
            self._cell = {"class": a.get("class", ""), "worst": a.get("data-worst", ""), "text": ""}
            self.cells[(self._provider, a.get("data-section", ""))] = self._cell
        elif tag == "a" and self._cell is not None:
            self._cell["href"], self._cell["title"] = a.get("href", ""), a.get("title", "")
        elif tag == "a" and self._in_head:
            self._head_href = a.get("href", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = None
        if tag == "table":
            self._in_ov = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data
        elif self._in_ov and self._in_head and self._head_href:
            self.heads.append((data, self._head_href))
            self._head_href = ""


def overview(doc: str) -> Cells:
    parser = Cells()
    parser.feed(doc)
    parser.close()
    return parser


def ids(doc: str) -> set[str]:
    return {a["id"] for _, a in elements(doc).tags if a.get("id")}


# --------------------------------------------------------------------------------- the overview


def test_worst_applicable_leaves_skip_out_unless_everything_is_skip() -> None:
    assert worst_applicable([]) is None
    assert worst_applicable([Status.PASS, Status.SKIP]) == Status.PASS
    assert worst_applicable([Status.SKIP, Status.SKIP]) == Status.SKIP
    assert worst_applicable([Status.UNSUPPORTED, Status.WARN, Status.PASS]) == Status.UNSUPPORTED
    assert worst_applicable([Status.ERROR, Status.UNSUPPORTED]) == Status.ERROR
    assert worst_applicable([Status.FAIL, Status.ERROR, Status.SKIP]) == Status.FAIL


def test_overview_has_each_providers_score_per_section_coloured_by_its_worst_verdict() -> None:
    doc = render_html(make_result())
    ov = overview(doc)
    # make_result: alpha chat pass+warn, tools fail+skip, streaming pass+pass;
    #              beta chat pass+pass, tools unsupported+error, streaming fail+skip.
    expected = {
        ("alpha", "chat"): ("warn", "! 1/2"),
        ("alpha", "tools"): ("fail", "✗ 0/1"),
        ("alpha", "streaming"): ("pass", "✓ 2/2"),
        ("beta", "chat"): ("pass", "✓ 2/2"),
        ("beta", "tools"): ("error", "? 0/2"),
        ("beta", "streaming"): ("fail", "✗ 0/1"),
    }
    assert set(ov.cells) == set(expected)  # the skipped provider (gamma) has no row
    for key, (worst, shown) in expected.items():
        cell = ov.cells[key]
        assert cell["worst"] == worst and cell["class"] == f"st-{worst}", key
        assert cell["text"].strip() == f"{shown} {worst}", key  # the word is there for screen readers
        assert cell["href"] == f"#section-{key[1]}", key
    assert ov.cells[("beta", "tools")]["title"] == "beta · tools: 0/2 passed (unsupported 1, error 1); worst verdict: error"
    # Every cell links to a section row of the matrix that exists.
    sections = {a["id"] for t, a in elements(doc).tags if t == "tr" and a.get("class") == "section"}
    assert {c["href"][1:] for c in ov.cells.values()} == sections == {"section-chat", "section-tools", "section-streaming"}
    assert ov.heads == [("chat", "#section-chat"), ("tools", "#section-tools"), ("streaming", "#section-streaming")]
    # The provider's name leads to what will break for it, beside its score.
    assert re.search(r'<a class="ov-name" href="#breaks-alpha"[^>]*>alpha</a> <span class="ov-total"[^>]*>3/5</span>', doc)


def test_overview_section_without_verdicts_and_all_skip() -> None:
    result = make_result()
    result.verdicts = [v for v in result.verdicts if not (v.provider == "alpha" and v.check_id.startswith("chat."))]
    for v in result.verdicts:
        if v.provider == "beta" and v.check_id.startswith("tools."):
            v.status = Status.SKIP
    ov = overview(render_html(result))
    assert ov.cells[("alpha", "chat")]["worst"] == "none" and ov.cells[("alpha", "chat")]["text"].strip() == "· none"
    assert ov.cells[("beta", "tools")]["worst"] == "skip" and ov.cells[("beta", "tools")]["text"].strip() == "– 0/0 skip"


def test_section_scores_count_worse_than_baseline_cells() -> None:
    result = make_result()
    result.comparison = Comparison("old.json", [WorseCheck("beta", "streaming.basic", "pass", "fail")])
    scores = {s.section: s for s in section_scores(result, "beta")}
    assert (scores["streaming"].worse, scores["tools"].worse) == (1, 0)
    assert scores["streaming"].counts == {Status.FAIL: 1, Status.SKIP: 1}
    ov = overview(render_html(result))
    assert ov.cells[("beta", "streaming")]["class"] == "st-fail worse" and "▼1" in ov.cells[("beta", "streaming")]["text"]
    assert ov.cells[("alpha", "streaming")]["class"] == "st-pass"


def test_the_first_screen_is_the_overview_then_the_matrix_and_the_run_table_and_legend_fold_away() -> None:
    doc = render_html(make_result())
    order = [doc.index(marker) for marker in (
        '<section id="overview"', '<table id="matrix"', '<section id="breaks"', '<details id="run">', '<details id="legend">')]
    assert order == sorted(order)
    run = search(r'<details id="run">(.*?)</details>', doc, re.S).group(1)
    assert run.startswith("<summary>Run details: 2 providers, 16 requests, 421 tokens</summary>")
    assert "<th scope=\"col\">Requests</th>" in run and "GAMMA_API_KEY" not in run  # the skipped one stays visible
    legend = search(r'<details id="legend">(.*?)</details>', doc, re.S).group(1)
    assert legend.startswith("<summary>") and '<dt class="st-fail">' in legend
    assert 'id="skipped"' in doc[: doc.index('<table id="matrix"')]
    # nothing is open by default: the first screen is the scores and the matrix
    assert not re.search(r"<details[^>]*\sopen", doc)


# ---------------------------------------------------------------------------- what will break


def test_impacts_cover_every_checklist_section_once() -> None:
    from conformance.matrix import SECTIONS

    listed = [s for impact in IMPACTS for s in impact.sections]
    assert sorted(listed) == sorted(SECTIONS) and len(listed) == len(set(listed))
    assert impact_of("streaming") is impact_of("tokens") and impact_of("streaming").label == "streaming and limits"
    assert impact_of("errors") is impact_of("auth") and impact_of("tools").label == "tool calling"
    assert impact_of("params") is impact_of("structured") and impact_of("sdk") is impact_of("responses")
    assert impact_of("telepathy") is OTHER


def test_breakage_groups_fail_and_unsupported_by_what_an_app_notices() -> None:
    result = make_result()
    result.checks.append(CheckInfo("telepathy.read", "telepathy", "Reads minds", "model"))
    result.verdicts.append(Verdict("telepathy.read", "beta", Status.FAIL, "no mind read"))
    groups = breakage(result, "beta")
    assert [(g.impact.label, [v.check_id for v in g.verdicts]) for g in groups] == [
        ("tool calling", ["tools.named"]),
        ("streaming and limits", ["streaming.basic"]),
        ("other checks", ["telepathy.read"]),
    ]
    # warn, skip and error are not listed (alpha's chat.stop warn, tools.parallel skip)
    assert [(g.impact.key, [v.check_id for v in g.verdicts]) for g in breakage(result, "alpha")] == [("tools", ["tools.named"])]


def test_breaks_section_lists_one_line_per_check_that_opens_its_evidence() -> None:
    doc = render_html(make_result())
    block = search(r'<section class="breaks" id="breaks-beta">(.*?)</section>', doc, re.S).group(1)
    assert '<p class="tally">1 failing check, 1 unsupported. 1 check could not be judged (error): see the matrix.</p>' in block
    assert re.findall(r"<h4>([^<]*) <span", block) == ["tool calling", "streaming and limits"]
    lines = re.findall(r"<li .*?</li>", block)
    assert len(lines) == 2
    cells = evidence(doc)["cells"]
    for line, (check_id, status) in zip(lines, [("tools.named", "unsupported"), ("streaming.basic", "fail")], strict=True):
        key = search(r'data-key="([^"]+)"', line).group(1)
        assert (cells[key]["check"], cells[key]["provider"], cells[key]["status"]) == (check_id, "beta", status)
        assert f'<a href="#check-{check_id}">{check_id}</a>' in line
        assert f'<span class="why">{status} summary for {check_id}</span>' in line
        assert f'class="ev st-{status}"' in line and 'class="cell' not in line  # not counted as a matrix cell
    alpha = search(r'<section class="breaks" id="breaks-alpha">(.*?)</section>', doc, re.S).group(1)
    assert '<p class="tally">1 failing check.</p>' in alpha


def test_breaks_for_a_provider_with_nothing_to_list_says_so_and_plurals_agree() -> None:
    result = make_result()
    for v in result.verdicts:
        if v.provider == "alpha":
            v.status = Status.PASS
        elif v.status == Status.UNSUPPORTED:
            v.status = Status.FAIL
    doc = render_html(result)
    alpha = search(r'<section class="breaks" id="breaks-alpha">(.*?)</section>', doc, re.S).group(1)
    assert "Nothing fails and nothing is unsupported" in alpha and "<li" not in alpha
    beta = search(r'<section class="breaks" id="breaks-beta">(.*?)</section>', doc, re.S).group(1)
    assert '<p class="tally">2 failing checks. 1 check could not be judged' in beta


def test_a_long_summary_is_one_line_cut_with_the_whole_in_its_title() -> None:
    result = make_result()
    v = next(v for v in result.verdicts if v.provider == "alpha" and v.status == Status.FAIL)
    v.summary = "first line\nsecond line " + "x" * 400
    doc = render_html(result)
    line = search(r'<section class="breaks" id="breaks-alpha">.*?(<li .*?</li>)', doc, re.S).group(1)
    why = search(r'<span class="why">([^<]*)</span>', line).group(1)
    assert why.startswith("first line second line x") and why.endswith("…") and len(why) == 180
    assert search(r'<li title="([^"]*)"', line).group(1).startswith("tools.named: first line second line xxx")


# ------------------------------------------------------------------------- titles, dates, plurals


@pytest.mark.parametrize(
    ("title", "html"),
    [
        ("The stream ends with `data: [DONE]`", "The stream ends with <code>data: [DONE]</code>"),
        ("`a` and `b`", "<code>a</code> and <code>b</code>"),
        ("`<script>alert(1)</script>` <b>bold</b>",
         "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code> &lt;b&gt;bold&lt;/b&gt;"),
        ("one ` unmatched", "one ` unmatched"),
        ("`x` then ` open", "<code>x</code> then ` open"),
        ("empty `` span", "empty `` span"),
        ("`onerror=x` \u202e", "<code>onerror&#61;x</code> \\u202e"),
        ("no code at all", "no code at all"),
    ],
)
def test_inline_code_renders_backtick_spans_as_escaped_code(title: str, html: str) -> None:
    assert inline_code(title) == html


def test_check_titles_render_backticks_as_code_in_the_matrix() -> None:
    result = make_result()
    result.checks[3] = CheckInfo("streaming.basic", "streaming", "The stream ends with `data: [DONE]` <i>now</i>", "protocol")
    doc = render_html(result)
    assert '<span class="ctitle">The stream ends with <code>data: [DONE]</code> &lt;i&gt;now&lt;/i&gt;</span>' in doc
    # The evidence keeps the title as text; the page script makes the same code spans with textContent.
    cell = next(c for c in evidence(doc)["cells"].values() if c["check"] == "streaming.basic")
    assert cell["title"] == "The stream ends with `data: [DONE]` <i>now</i>"


def test_one_date_format_everywhere() -> None:
    result = make_result()
    result.finished_at = "2024-05-01T14:01:30+02:00"  # an offset: shown in UTC like the rest
    doc = render_html(result)
    assert "started 2024-05-01 12:00 UTC · finished 2024-05-01 12:01 UTC" in doc
    assert re.findall(r'<span class="pdate"[^>]*>([^<]*)</span>', doc) == ["2024-05-01 12:00 UTC"] * 2
    assert "2024-05-01T" not in doc  # no raw ISO stamp anywhere, titles included
    md = render_markdown(result)
    assert "Run 2024-05-01 12:00 UTC ·" in md and "2024-05-01T" not in md
    assert when("2024-05-01T12:00:00Z") == when("2024-05-01T14:00:00+02:00") == "2024-05-01 12:00 UTC"
    assert when("2024-05-01T12:00:00") == "2024-05-01 12:00" and when("yesterday") == "yesterday"


def test_plurals_in_the_run_summary() -> None:
    result = RunResult(
        tool_version="0.1.0", started_at="2024-05-01T12:00:00Z", finished_at="2024-05-01T12:00:01Z", duration_s=1.0,
        providers=[ProviderRun("solo", "embedded:reference", {"chat": "m"}, requests=1, tokens=1)],
        checks=[CheckInfo("chat.basic", "chat", "Plain completion", "protocol")],
        verdicts=[Verdict("chat.basic", "solo", Status.FAIL, "broken")],
    )
    doc = render_html(result)
    assert "<summary>Run details: 1 provider, 1 request, 1 token</summary>" in doc
    assert '<p class="tally">1 failing check.</p>' in doc
    script = elements(doc).scripts[-1]
    assert 'plural(r.size_bytes, "byte")' in script and 'plural(rows.length, "check")' in script


# ------------------------------------------------------------------------------------ anchors


def test_anchors_use_names_fit_for_a_link_and_an_index_otherwise() -> None:
    assert anchor("section", "tools", 3) == "section-tools"
    assert anchor("breaks", "gateway/model-1.5", 0) == "breaks-gateway/model-1.5"  # a swept column's name
    assert anchor("section", "javascript:alert(1)", 3) == "section--3"
    assert anchor("breaks", "<b>", 0) == "breaks--0" and anchor("breaks", "", 1) == "breaks--1"
    assert bare_id("tools.named") and not bare_id("run") and not bare_id("section-x") and not bare_id("a b")


def test_hostile_section_and_check_names_get_index_anchors() -> None:
    result = make_result()
    bad_section = "javascript:alert(1)//<b>"
    result.checks = [dataclasses.replace(c, section=bad_section) if c.section == "tools" else c for c in result.checks]
    doc = render_html(result)
    found = ids(doc)
    assert "section--2" in found  # unknown sections come last: chat, streaming, then it and not any("javascript" in i for i in found)
    for _, attrs in elements(doc).tags:
        href = attrs.get("href")
        if href is not None:
            assert href.startswith("#") and "javascript" not in href.lower(), href
    parsed = overview(doc)
    assert parsed.cells[("alpha", bad_section)]["href"] == "#section--2"
