"""Provider responses are hostile input: a real run against hostile providers must give inert reports.

Two hostile providers over real loopback HTTP (see runs.py): the reference provider's
``hostile_content`` flavour, and a crafted provider that plants <script>, </textarea>, event handlers,
javascript: URLs, bidi overrides, an echoed key and 5 MB bodies in bodies, headers and streams.
The browser side of the same report is in test_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from conformance.report import render_html, write_reports
from conformance.results import RunResult
from conformance.verdict import Status
from tests.reports import runs as rs
from tests.reports.html import elements, evidence, evidence_text
from tests.support.find import attr, child, search
from tests.support.keys import assert_no_key_slice

MAX_REPORT_BYTES = 2 * 1024 * 1024
"""The provider sent several 5 MB bodies; no report may carry them whole."""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, hostile_content_run: RunResult) -> dict[str, str]:
    out = tmp_path_factory.mktemp("hostile")
    paths = write_reports(hostile_content_run, out)
    return {kind: path.read_text(encoding="utf-8") for kind, path in paths.items()}


def test_the_run_really_met_the_hostile_content(hostile_content_run: RunResult) -> None:
    """Guards the other tests: they prove nothing if the payloads never reached the evidence."""
    result = hostile_content_run
    server = [v for v in result.verdicts if v.provider == "hostile-server"]
    flavour = [v for v in result.verdicts if v.provider == "hostile-flavour"]
    assert len(server) == len(flavour) == len(result.checks)
    bodies = [e.response.body + "\n".join(e.response.sse_lines or []) for v in server for e in v.exchanges if e.response]
    assert any("window.__pwned=1" in b for b in bodies)
    assert any(e.response and e.response.truncated and e.response.size_bytes >= 2_000_000 for v in server for e in v.exchanges)
    assert any(e.response and "<script>" in e.response.headers.get("x-evil", "") for v in server for e in v.exchanges)
    # The echoed key came back redacted, not verbatim.
    assert any(e.response and "[REDACTED]" in e.response.headers.get("x-echo-auth", "") for v in server for e in v.exchanges)
    assert any("<script>alert(1)</script>" in (e.response.body if e.response else "") for v in flavour for e in v.exchanges)


def assert_inert_html(doc: str) -> None:
    """No element, attribute, script or link in ``doc`` that the page's own template does not make."""
    assert len(doc.encode("utf-8")) < MAX_REPORT_BYTES
    parsed = elements(doc)
    planted = sorted({tag for tag, _ in parsed.tags} - rs.ALLOWED_TAGS)
    assert not planted, f"elements that only the provider could have put there: {planted}"
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert scripts == [{"type": "application/json", "id": "evidence"}, {}]  # ours, and no src
    assert len(re.findall(r"<script", doc, re.I)) == 2 and len(re.findall(r"</script", doc, re.I)) == 2
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert name not in ("src", "srcdoc", "srcset", "action", "formaction"), (tag, name)
            if name in ("href", "content", "xlink:href", "data", "poster", "background"):
                assert "javascript:" not in value.lower(), (tag, name, value)
            if name == "href":
                assert value.startswith("#"), value
            if tag == "meta" and name == "http-equiv":
                assert value == "Content-Security-Policy"
    ids = [a["id"] for _, a in parsed.tags if "id" in a]
    assert len(ids) == len(set(ids)), "an id the page uses twice"
    # The evidence travels as JSON strings, where <, >, & and = never appear raw.
    assert not set("<>&=") & set(evidence_text(doc))
    # Direction overrides and other invisible controls are shown as \\uXXXX, never raw: in the page,
    # and in the evidence as the page decodes it (which the page inserts as text, as it is).
    opened = json.dumps(evidence(doc), ensure_ascii=False)
    for ch in (rs.RLO, "\u2066", "\u2069", "\u200f"):
        assert ch not in doc, repr(ch)
        assert ch not in opened, repr(ch)
    # U+2028 and U+2029 would end a line inside an inline <script> for older parsers: never raw in the
    # page. Decoded, they are the provider's text like any other (inserted with textContent, where they
    # only break a line), just as JSON.parse gave them back when the evidence was not compressed.
    for ch in ("\u2028", "\u2029"):
        assert ch not in doc, repr(ch)


def test_html_has_no_markup_from_the_provider(reports: dict[str, str]) -> None:
    doc = reports["html"]
    assert_inert_html(doc)
    # The payloads are there, as text: escaped in attributes and element content ...
    assert "&lt;script&gt;window.__pwned&#61;1" in doc
    # ... and as JSON strings in the evidence, once decoded as the page decodes it.
    text = json.dumps(evidence(doc), ensure_ascii=False)
    assert "window.__pwned=1" in text and "</textarea>" in text and "onerror" in text
    assert "\\u202e" in text  # the RLO made visible, not raw
    assert "\u2028line\u2029para" in text  # the separators kept as the provider sent them (see assert_inert_html)


# ------------------------------------------------- the scores per section, what will break, badges

@pytest.fixture(scope="module")
def renamed(hostile_content_run: RunResult) -> RunResult:
    return rs.renamed(hostile_content_run)


def test_new_parts_show_hostile_names_and_titles_as_text(renamed: RunResult) -> None:
    doc = render_html(renamed)
    assert_inert_html(doc)
    overview = search(r'<section id="overview".*?</section>', doc, re.S).group(0)
    breaks = search(r'<section id="breaks".*?</div></section>', doc, re.S).group(0)
    for part in (overview, breaks):
        assert "&lt;script&gt;window.__pwned&#61;1" in part and "\\u202egnp.exe" in part
        assert "<img" not in part and "<a href=\"javascript" not in part
    # Every fail and unsupported verdict has its line (the hostile server fails many checks).
    listed = len(re.findall(r'<button type="button" class="ev ', breaks))
    assert listed == sum(v.status in (Status.FAIL, Status.UNSUPPORTED) for v in renamed.verdicts) > 5
    # The odd section gets an index anchor, so no link carries its text.
    assert re.search(r'<tr class="section" id="section--\d+" data-section="&lt;a href&#61;', doc)
    # Code spans hold escaped text; the unmatched backtick stays a backtick.
    title = search(r'<span class="ctitle">(.*?)</span>', doc).group(1)
    assert title.startswith("<code>&lt;script&gt;window.__pwned&#61;1")
    assert title.count("<code>") == 1 and "then &lt;img src&#61;x onerror&#61;" in title
    assert title.endswith(" `&lt;/script&gt;&lt;script&gt;window.__pwned&#61;2&lt;/script&gt;")


def test_badges_of_hostile_providers_are_inert_svg_with_safe_file_names(renamed: RunResult, tmp_path: Path) -> None:
    from conformance.report.badge import write_badges
    from tests.reports.test_badge import assert_self_contained, texts

    written = write_badges(renamed, tmp_path / "badges")
    assert len(written) == 2
    for path, badge in written:
        assert path.parent == tmp_path / "badges" and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.svg", path.name), path
        svg = path.read_text(encoding="utf-8")
        assert_self_contained(svg)
        assert rs.RLO not in svg and "<script" not in svg and "<img" not in svg and "<a " not in svg
        assert_no_key_slice(svg, rs.PLANTED_KEY, path.name)
        label = texts(svg)[0]
        assert label.endswith("…") or label == badge.provider  # cut to fit, never rewritten otherwise
    assert texts(written[0][0].read_text(encoding="utf-8"))[0].startswith("flavour <script>window.__pwned=1")


def test_html_cuts_the_5mb_bodies_and_says_so(reports: dict[str, str]) -> None:
    cells = evidence(reports["html"])["cells"]
    tools = next(c for c in cells.values() if c["provider"] == "hostile-server" and c["check"] == "tools.named")
    response = tools["exchanges"][0]["response"]
    assert response["truncated"] is True and response["size_bytes"] >= 2_000_000
    assert any(note.startswith(f"truncated: {response['size_bytes']} bytes were received") for note in response["notes"])
    assert len(response["body"]) <= 20_000
    stream = next(c for c in cells.values() if c["provider"] == "hostile-server" and c["check"] == "tools.streaming")
    exchange = stream["exchanges"][0]
    assert exchange["error"] == "stream exceeded 2000000 bytes; stopped reading"
    assert exchange["response"]["truncated"] and exchange["response"]["notes"][0].endswith("the first 4 lines")
    assert len(exchange["response"]["sse"]) < 5_000  # the unfinished 5 MB line is not in the evidence


def test_html_csp_allows_only_the_page_own_style_and_script(reports: dict[str, str]) -> None:
    """Even if some markup slipped through, the policy would refuse to run or load it."""
    doc = reports["html"]
    parsed = elements(doc)
    csp = next(a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "img-src 'none'" in csp and "base-uri 'none'" in csp
    script = parsed.scripts[-1]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp


def test_no_report_contains_the_key(reports: dict[str, str]) -> None:
    for kind, text in reports.items():
        assert_no_key_slice(text, rs.PLANTED_KEY, kind)
    # report.html carries its evidence compressed: what a reader opens must be free of the key too.
    opened = json.dumps(evidence(reports["html"]), ensure_ascii=False)
    assert_no_key_slice(opened, rs.PLANTED_KEY, "report.html's evidence")
    assert "[REDACTED]" in opened and "[REDACTED]" in reports["json"]


def test_other_reports_stay_well_formed_and_inert(reports: dict[str, str], results_validator: jsonschema.Draft202012Validator) -> None:
    data = json.loads(reports["json"])
    results_validator.validate(data)
    assert len(reports["json"].encode("utf-8")) < MAX_REPORT_BYTES

    root = ET.fromstring(reports["junit"].encode("utf-8"))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"hostile-flavour", "hostile-server"}
    failure = child(suites["hostile-server"], "testcase[@name='errors.format']/failure")
    assert "window.__pwned=1" in attr(failure, "message")  # as text, escaped by XML
    assert len(reports["junit"].encode("utf-8")) < MAX_REPORT_BYTES

    md = reports["markdown"]
    for raw in ("<script", "<img", "<svg", "<iframe", "</textarea", rs.RLO):
        assert raw not in md, raw
    table = [line for line in md.splitlines() if line.startswith("| ")]
    pipes = {len(re.findall(r"(?<!\\)\|", line)) for line in table}
    assert pipes == {4}  # check + two providers: nothing a provider said split or added a cell


def test_the_saved_results_re_render_to_the_same_inert_html(reports: dict[str, str], tmp_path: Path) -> None:
    """``conformance report`` re-renders from results.json: the hostile text must stay inert that way too."""
    from conformance.cli import main

    saved = tmp_path / "results.json"
    saved.write_text(reports["json"], encoding="utf-8")
    assert main(["report", str(saved), "--out", str(tmp_path / "again"), "--no-color"]) == 0
    again = (tmp_path / "again" / "report.html").read_text(encoding="utf-8")
    assert again == reports["html"]
