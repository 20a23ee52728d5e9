"""The reporters: results.json schema and round trip, Markdown, JUnit, HTML (including hostile input), terminal."""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from conformance.report import (
    load_results,
    render_html,
    render_json,
    render_junit,
    render_markdown,
    render_terminal_matrix,
    write_reports,
)
from conformance.report.evidence import curl_command
from conformance.report.html import script_json
from conformance.results import CheckInfo, ProviderRun, RunResult
from conformance.verdict import Exchange, RequestRecord, ResponseRecord, SchemaIssue, Status, Verdict
from tests.reports.html import elements, evidence
from tests.support.find import attr, child, search, text
from tests.support.paths import REPO_ROOT

CHECKS = [
    CheckInfo("tools.named", "tools", "Forced named tool call", "protocol"),
    CheckInfo("chat.basic", "chat", "Plain completion", "protocol"),
    CheckInfo("chat.stop", "chat", "Stop sequences honoured", "model"),
    CheckInfo("streaming.basic", "streaming", "SSE stream framing", "protocol"),
    CheckInfo("streaming.usage", "streaming", "Usage in the final chunk", "protocol"),
    CheckInfo("tools.parallel", "tools", "Parallel tool calls", "protocol"),
]
# Expected section order in reports: chat, tools, streaming.
ORDERED_IDS = ["chat.basic", "chat.stop", "tools.named", "tools.parallel", "streaming.basic", "streaming.usage"]

STATUSES = {
    # check id: (alpha, beta)
    "chat.basic": (Status.PASS, Status.PASS),
    "chat.stop": (Status.WARN, Status.PASS),
    "tools.named": (Status.FAIL, Status.UNSUPPORTED),
    "tools.parallel": (Status.SKIP, Status.ERROR),
    "streaming.basic": (Status.PASS, Status.FAIL),
    "streaming.usage": (Status.PASS, Status.SKIP),
}


def _exchange(url: str, *, stream: bool = False, status: int = 200) -> Exchange:
    request = RequestRecord(
        method="POST",
        url=url,
        headers={"Authorization": "Bearer sk-…redacted", "Content-Type": "application/json"},
        body={"model": "m", "messages": [{"role": "user", "content": "it's \"hi\""}], "stream": stream},
    )
    if stream:
        response = ResponseRecord(
            status=status,
            headers={"content-type": "text/event-stream"},
            body="",
            size_bytes=120,
            sse_lines=['data: {"choices":[{"delta":{"content":"hi"}}]}', "", "data: [DONE]"],
        )
    else:
        response = ResponseRecord(
            status=status,
            headers={"content-type": "application/json"},
            body=json.dumps({"id": "x", "object": "chat.completion", "choices": []}),
            size_bytes=64,
        )
    return Exchange(label="request", request=request, response=response, elapsed_ms=12.5)


def make_result() -> RunResult:
    providers = [
        ProviderRun("alpha", "https://api.alpha.example:8443/v1", {"chat": "alpha-chat", "vision": "alpha-v"},
                    requests=9, tokens=321),
        ProviderRun("beta", "embedded:reference", {"chat": "beta-chat"}, requests=7, tokens=100),
        ProviderRun("gamma", "https://gamma.example/v1", {"chat": "g"}, skipped_reason="GAMMA_API_KEY is unset"),
    ]
    verdicts = []
    for check_id, pair in STATUSES.items():
        for provider, status in zip(("alpha", "beta"), pair, strict=True):
            base = next(p.base_url for p in providers if p.name == provider)
            exchanges = [] if status == Status.SKIP else [_exchange(base + "/chat/completions", stream=check_id.startswith("streaming"))]
            v = Verdict(check_id, provider, status, f"{status.value} summary for {check_id}", exchanges=exchanges, duration_ms=250.0)
            if status == Status.FAIL:
                v.schema_issues.append(
                    SchemaIssue("chat_completion", "compat", "$.choices[0].message.tool_calls", "None is not of type 'array'",
                                "response")
                )
                v.notes.append("client would crash")
            if status == Status.ERROR:
                v.exchanges[0].response = None
                v.exchanges[0].error = "ReadTimeout after 30 s"
            verdicts.append(v)
    return RunResult(
        tool_version="0.1.0",
        started_at="2024-05-01T12:00:00Z",
        finished_at="2024-05-01T12:01:30Z",
        duration_s=90.25,
        providers=providers,
        checks=list(CHECKS),
        verdicts=verdicts,
        notes=["a run note"],
    )


# ----------------------------------------------------------------------------------------- JSON


def test_json_validates_and_round_trips(tmp_path: Path, results_validator: jsonschema.Draft202012Validator) -> None:
    result = make_result()
    data = json.loads(render_json(result))
    jsonschema.Draft202012Validator.check_schema(results_validator.schema)
    results_validator.validate(data)
    assert RunResult.from_dict(data).to_dict() == result.to_dict()
    path = tmp_path / "results.json"
    path.write_text(render_json(result), encoding="utf-8")
    assert load_results(path).to_dict() == result.to_dict()


def test_load_results_names_file_and_path(tmp_path: Path) -> None:
    data = make_result().to_dict()
    bad = copy.deepcopy(data)
    bad["results"][3]["status"] = "maybe"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.json.*\$\.results\[3\]\.status"):
        load_results(path)

    missing = copy.deepcopy(data)
    del missing["providers"][0]["tokens"]
    path.write_text(json.dumps(missing), encoding="utf-8")
    with pytest.raises(ValueError, match=r"\$\.providers\[0\]"):
        load_results(path)

    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.json"):
        load_results(path)


def test_schema_allows_nulls_and_rejects_wrong_version(results_validator: jsonschema.Draft202012Validator) -> None:
    validator = results_validator
    data = make_result().to_dict()
    assert data["providers"][2]["skipped_reason"] is not None and data["providers"][0]["skipped_reason"] is None
    assert any(e["response"] is None for r in data["results"] for e in r["exchanges"])
    validator.validate(data)
    data["schema_version"] = 3
    assert not validator.is_valid(data)


def test_version_1_files_without_reason_codes_are_still_read(tmp_path: Path, results_validator: jsonschema.Draft202012Validator) -> None:
    data = make_result().to_dict()
    assert data["schema_version"] == 2 and all("reason" in r for r in data["results"])
    data["schema_version"] = 1
    for verdict in data["results"]:
        del verdict["reason"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = load_results(path)
    assert [v.reason for v in loaded.verdicts] == [""] * len(loaded.verdicts)
    assert [v.code for v in loaded.verdicts] == [v.status.value for v in loaded.verdicts]
    rewritten = json.loads(render_json(loaded))
    assert rewritten["schema_version"] == 2
    results_validator.validate(rewritten)
    # a version 2 file must carry the codes
    del rewritten["results"][0]["reason"]
    assert not results_validator.is_valid(rewritten)


def test_write_reports(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "out"
    paths = write_reports(make_result(), out)
    assert set(paths) == {"json", "html", "junit", "markdown"}
    assert {p.name for p in paths.values()} == {"results.json", "report.html", "junit.xml", "summary.md"}
    assert sorted(p.name for p in out.iterdir()) == ["junit.xml", "report.html", "results.json", "summary.md"]
    assert load_results(paths["json"]).to_dict() == make_result().to_dict()
    ET.parse(paths["junit"])


# ------------------------------------------------------------------------------------- Markdown


def test_markdown_cells_and_scores() -> None:
    md = render_markdown(make_result())
    lines = md.splitlines()
    assert lines[0].startswith("# ")
    assert "2024-05-01 12:00 UTC" in md and "90.2 s" in md and "0.1.0" in md
    assert "| Check | alpha | beta |" in md
    table = [line for line in lines if line.startswith("| `")]
    assert [search(r"^\| `([^`]+)`", row).group(1) for row in table] == ORDERED_IDS
    assert "| `chat.stop` | ⚠️ warn | ✅ pass |" in md
    assert "| `tools.named` | ❌ fail | 🚫 unsupported |" in md
    assert "| `tools.parallel` | ⏭️ skip | 💥 error |" in md
    # alpha: pass x3, warn, fail, skip -> 3/5; beta: pass x2, unsupported, error, fail, skip -> 2/5
    assert re.search(r"\*\*alpha\*\*: 3/5", md)
    assert re.search(r"\*\*beta\*\*: 2/5", md)
    assert "## Skipped providers" in md and "GAMMA\\_API\\_KEY is unset" in md
    assert "gamma |" not in md  # skipped providers are not matrix columns


# ---------------------------------------------------------------------------------------- JUnit


def _suites(xml_text: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml_text.encode("utf-8"))
    assert root.tag == "testsuites"
    return {attr(s, "name"): s for s in root.findall("testsuite")}


def test_junit_counts_and_elements() -> None:
    suites = _suites(render_junit(make_result()))
    assert list(suites) == ["alpha", "beta", "gamma"]
    a, b, g = suites["alpha"], suites["beta"], suites["gamma"]
    assert (a.get("tests"), a.get("failures"), a.get("errors"), a.get("skipped")) == ("6", "1", "0", "1")
    assert (b.get("tests"), b.get("failures"), b.get("errors"), b.get("skipped")) == ("6", "1", "1", "2")
    assert a.get("time") == "1.500"
    cases = {c.get("name"): c for c in b.findall("testcase")}
    assert all(c.get("classname") == "conformance.beta" for c in cases.values())
    assert [c.get("name") for c in b.findall("testcase")] == ORDERED_IDS
    fail = child(cases["streaming.basic"], "failure")
    assert fail.get("message") == "fail summary for streaming.basic"
    assert "$.choices[0].message.tool_calls" in text(fail) and "POST embedded:reference/chat/completions" in text(fail)
    assert "-> 200" in text(fail)
    assert cases["tools.parallel"].find("error") is not None
    assert attr(child(cases["tools.named"], "skipped"), "message").startswith("unsupported: ")
    assert attr(child(cases["streaming.usage"], "skipped"), "message") == "skip summary for streaming.usage"
    assert len(list(cases["chat.basic"])) == 0
    warn = {c.get("name"): c for c in a.findall("testcase")}["chat.stop"]
    assert text(child(warn, "system-out")).startswith("warn: warn summary")
    assert warn.find("failure") is None and warn.find("skipped") is None
    (only,) = g.findall("testcase")
    assert only.get("name") == "provider" and attr(child(only, "skipped"), "message") == "GAMMA_API_KEY is unset"
    assert (g.get("tests"), g.get("skipped")) == ("1", "1")


# ----------------------------------------------------------------------------------------- HTML


def test_html_structure() -> None:
    doc = render_html(make_result())
    parsed = elements(doc)
    ids = [a.get("id") for _, a in parsed.tags if a.get("id")]
    assert len(ids) == len(set(ids))
    for check_id in ORDERED_IDS:
        assert f'id="check-{check_id}"' in doc and f'id="{check_id}"' in doc
    rows = [a["data-check"] for t, a in parsed.tags if t == "tr" and "check" in (a.get("class") or "").split()]
    assert rows == ORDERED_IDS
    sections = [a["data-section"] for t, a in parsed.tags if t == "tr" and a.get("class") == "section"]
    assert sections == ["chat", "tools", "streaming"]
    assert doc.count('class="pname"') == 2 and ">alpha<" in doc and ">beta<" in doc
    assert "api.alpha.example:8443" in doc and ">embedded<" in doc and "alpha-chat" in doc
    assert ">3/5<" in doc and ">2/5<" in doc
    for word, glyph in [("pass", "✓"), ("fail", "✗"), ("warn", "!"), ("unsupported", "⊘"), ("skip", "–"), ("error", "?")]:
        assert f'<dt class="st-{word}"><span class="glyph" aria-hidden="true">{glyph}</span> {word}</dt>' in doc
    assert "Skipped providers" in doc and "GAMMA_API_KEY is unset" in doc
    buttons = [a for t, a in parsed.tags if t == "button" and "cell" in (a.get("class") or "")]
    assert len(buttons) == 12 and all(a.get("title") for a in buttons)
    assert {"all", "failures", "diff"} <= {a.get("value") for t, a in parsed.tags if t == "option"}
    # self-contained: nothing external in src/href, no link/img/iframe
    for tag, attrs in parsed.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed", "base")
        for name in ("src", "href", "action", "srcset", "poster"):
            value = attrs.get(name) or ""
            assert not re.match(r"\s*(https?:|//|javascript:)", value, re.I), (tag, name, value)
    assert [t for t, _ in parsed.tags].count("script") == 2
    # evidence: pretty request body, SSE lines, curl with $API_KEY and the redacted key absent
    cells = evidence(doc)["cells"]
    assert len(cells) == 12
    sse_cell = next(c for c in cells.values() if c["check"] == "streaming.basic" and c["provider"] == "alpha")
    assert "data: [DONE]" in sse_cell["exchanges"][0]["response"]["sse"]
    ex = sse_cell["exchanges"][0]
    assert '\n  "model": "m"' in ex["request"]["body"]
    assert ex["curl"].startswith("curl -sS -X POST 'https://api.alpha.example:8443/v1/chat/completions'")
    assert '-H "Authorization: Bearer $API_KEY"' in ex["curl"] and "redacted" not in ex["curl"]
    fail_cell = next(c for c in cells.values() if c["check"] == "tools.named" and c["provider"] == "alpha")
    assert fail_cell["issues"][0]["path"] == "$.choices[0].message.tool_calls"
    assert fail_cell["notes"] == ["client would crash"]
    err_cell = next(c for c in cells.values() if c["status"] == "error")
    assert err_cell["exchanges"][0]["response"] is None and "ReadTimeout" in err_cell["exchanges"][0]["error"]
    # filters: tools.named differs (fail vs unsupported) and has a failure; chat.basic neither
    row = {a["data-check"]: a for t, a in parsed.tags if t == "tr" and a.get("data-check")}
    assert (row["tools.named"]["data-fail"], row["tools.named"]["data-diff"]) == ("1", "1")
    assert (row["chat.basic"]["data-fail"], row["chat.basic"]["data-diff"]) == ("0", "0")
    assert (row["chat.stop"]["data-fail"], row["chat.stop"]["data-diff"]) == ("0", "1")


def test_curl_quoting() -> None:
    cmd = curl_command(RequestRecord("POST", "https://h/x?a='b'", {"authorization": "Bearer zz", "X-T": "it's"},
                                     {"s": "it's"}))
    assert "'https://h/x?a='\\''b'\\'''" in cmd
    assert "-H 'X-T: it'\\''s'" in cmd
    assert '-H "Authorization: Bearer $API_KEY"' in cmd and "zz" not in cmd
    assert "--data-raw '{\"s\": \"it'\\''s\"}'" in cmd


def test_script_json_is_inert() -> None:
    value = {"a": "</script><!-- & \u2028\u2029 > onerror=x", "k<": ["\u202e"]}
    text = script_json(value)
    for ch in "<>&=\u2028\u2029":
        assert ch not in text
    assert json.loads(text) == value


# ------------------------------------------------------------------------------------- hostile

HOSTILE = (
    "<script>alert(1)</script> </script><script>alert(2)</script> </textarea> "
    "<img src=x onerror=alert(3)> javascript:alert(4) \u202eevil\u202c \u2066x\u2069 \x1b[31m \x00 | pipe\nnewline"
)
BIG = "A" * (5 * 1024 * 1024)


def make_hostile() -> RunResult:
    result = make_result()
    bad_name = "alpha" + HOSTILE
    result.providers[0].name = bad_name
    result.providers[0].base_url = "javascript:alert(5)//" + HOSTILE
    result.providers[0].models["chat"] = HOSTILE
    result.providers[2].skipped_reason = HOSTILE
    result.notes.append(HOSTILE)
    for v in result.verdicts:
        if v.provider == "alpha":
            v.provider = bad_name
        v.summary = HOSTILE + " " + v.summary
        v.notes.append(HOSTILE)
        for e in v.exchanges:
            e.label = HOSTILE
            e.request.headers["X-Evil"] = HOSTILE
            e.request.url += "?q=" + HOSTILE
            if e.response is not None:
                e.response.headers["x-evil"] = HOSTILE
                e.response.body = HOSTILE + BIG
                if e.response.sse_lines is not None:
                    e.response.sse_lines.append("data: " + HOSTILE + BIG)
        for i in v.schema_issues:
            i.message = HOSTILE
    result.verdicts[0].exchanges[0].request.body = HOSTILE + BIG
    return result


@pytest.fixture(scope="module")
def hostile() -> RunResult:
    return make_hostile()


def test_hostile_html_is_inert(hostile: RunResult) -> None:
    doc = render_html(hostile)
    assert len(doc.encode("utf-8")) < 2 * 1024 * 1024
    # exactly our two script elements: the JSON evidence block and the page script
    assert len(re.findall(r"<script", doc, re.I)) == 2
    assert len(re.findall(r"</script", doc, re.I)) == 2
    assert doc.count('<script type="application/json" id="evidence">') == 1
    parsed = elements(doc)
    tags = [t for t, _ in parsed.tags]
    assert tags.count("script") == 2 and "img" not in tags and "textarea" not in tags
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)  # no event handler attribute anywhere
            if name in ("src", "href", "action", "formaction"):
                assert not re.match(r"\s*(javascript:|https?:|//)", value or "", re.I)
    assert not re.search(r"<[a-z][^<>]*\sonerror\s*=", doc, re.I)
    assert "onerror=" not in doc  # not even verbatim: "=" is written &#61; / \u003d in dynamic text
    assert "\u202e" not in doc and "\u2066" not in doc and "\u2069" not in doc and "\x1b" not in doc and "\x00" not in doc
    assert "\\u202e" in doc  # shown, visibly escaped
    # the planted markup survives as text, not as markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    cells = evidence(doc)["cells"]
    first = next(c for c in cells.values() if c["check"] == "chat.basic" and c["provider"].startswith("alpha"))
    body = first["exchanges"][0]["response"]["body"]
    assert body.startswith("<script>alert(1)</script>") and "(truncated " in body and len(body) < 21_000
    assert "(truncated " in first["exchanges"][0]["request"]["body"]
    stream = next(c for c in cells.values() if c["check"] == "streaming.basic" and c["provider"].startswith("alpha"))
    assert "(truncated " in stream["exchanges"][0]["response"]["sse"]
    # the JS never uses innerHTML / outerHTML / document.write / eval
    script = parsed.scripts[-1]
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script


def test_hostile_junit_and_markdown_stay_well_formed(hostile: RunResult) -> None:
    xml_text = render_junit(hostile)
    assert len(xml_text) < 2 * 1024 * 1024
    suites = _suites(xml_text)
    assert len(suites) == 3
    bad = next(s for name, s in suites.items() if name.startswith("alpha"))
    assert bad.get("tests") == "6" and bad.get("failures") == "1"
    fail = next(c for c in bad.findall("testcase") if c.find("failure") is not None)
    assert "<script>alert(1)</script>" in attr(child(fail, "failure"), "message")  # as text, escaped in the XML
    assert "\x00" not in xml_text and "\x1b" not in xml_text

    md = render_markdown(hostile)
    assert len(md) < 200_000
    header = next(line for line in md.splitlines() if line.startswith("| Check"))
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(ORDERED_IDS)
    unescaped_pipes = lambda line: len(re.findall(r"(?<!\\)\|", line))  # noqa: E731
    assert all(unescaped_pipes(line) == unescaped_pipes(header) == 4 for line in table)
    assert "<script>" not in md and "<img" not in md and "\u202e" not in md and "\x1b" not in md
    assert "\\u202e" in md

    term = render_terminal_matrix(hostile, color=False)
    assert "\x1b" not in term and "\u202e" not in term
    assert all(len(line) < 400 for line in term.splitlines())


# ------------------------------------------------------------------------------------- terminal


def test_terminal_matrix() -> None:
    plain = render_terminal_matrix(make_result(), color=False)
    lines = plain.splitlines()
    assert lines[0].split() == ["check", "alpha", "beta"]
    row = next(line for line in lines if line.startswith("tools.named"))
    assert row.split() == ["tools.named", "FAIL", "unsup"]
    assert next(line for line in lines if line.startswith("tools.parallel")).split() == ["tools.parallel", "skip", "ERROR"]
    assert any(line.startswith("alpha") and "3/5 passed" in line for line in lines)
    assert any(line.startswith("beta") and "2/5 passed" in line for line in lines)
    assert any(line.startswith("gamma") and "skipped" in line for line in lines)
    problems = [line for line in lines if ": " in line and "summary for" in line]
    assert len(problems) == 5  # alpha: warn, fail; beta: unsupported, error, fail
    assert any(re.match(r"beta\s+tools\.parallel\s+ERROR: error summary", line) for line in problems)
    assert "\x1b" not in plain
    coloured = render_terminal_matrix(make_result(), color=True)
    assert "\x1b[" in coloured
    long = make_result()
    long.verdicts[2].summary = "x" * 1000
    assert all(len(line) < 260 for line in render_terminal_matrix(long, color=False).splitlines())


def test_html_marks_cells_worse_than_the_baseline() -> None:
    from conformance.results import Comparison, WorseCheck

    plain = render_html(make_result())
    assert 'value="worse"' not in plain and 'class="worse-mark"' not in plain and 'id="comparison"' not in plain

    result = make_result()
    result.comparison = Comparison("base/results.json", [WorseCheck("alpha", "tools.named", "pass", "fail")])
    page = render_html(result)
    assert page.count('class="worse-mark"') == 2 and "▼ was pass" in page  # the cell, and its section's overview cell
    assert re.search(r'<td class="st-fail worse" data-section="tools" data-worst="fail">'
                     r'<a class="ov-cell st-fail" href="#section-tools" title="alpha · tools: [^"]*; 1 cell worse than the baseline">'
                     r'.*?<span class="worse-mark">▼1</span></a></td>', page)
    assert 'value="worse"' in page and "base/results.json" in page
    named_row = search(r'<tr class="check" id="check-tools\.named"[^>]*>', page).group(0)
    basic_row = search(r'<tr class="check" id="check-chat\.basic"[^>]*>', page).group(0)
    assert 'data-worse="1"' in named_row and 'data-worse="0"' in basic_row
    assert re.search(r'<td class="st-fail worse"><button[^>]*title="worse than the baseline \(was pass\): ', page)
    assert "1 cell worse than the baseline" in page

    result.comparison.worse.append(WorseCheck("beta", "streaming.basic", "pass", "fail"))
    assert "2 cells worse than the baseline" in render_html(result)


# --------------------------------------------------------------------------------- reason codes

REASONS = {
    # (provider, check id): reason; make_result's other verdicts get "ok"
    ("alpha", "chat.stop"): "stop_ignored",
    ("alpha", "tools.named"): "tool_calls_invalid",
    ("alpha", "tools.parallel"): "prerequisite_failed",
    ("beta", "tools.named"): "clean_4xx",
    ("beta", "tools.parallel"): "timeout",
    ("beta", "streaming.basic"): "no_done",
    ("beta", "streaming.usage"): "prerequisite_failed",
}


def make_coded() -> RunResult:
    """make_result() as a run with reason codes makes it (make_result() itself reads like a version-1 file)."""
    result = make_result()
    for v in result.verdicts:
        v.reason = REASONS.get((v.provider, v.check_id), "ok")
    return result


def _verdict(result: RunResult, provider: str, check_id: str) -> Verdict:
    return next(v for v in result.verdicts if v.provider == provider and v.check_id == check_id)


def _cell_titles(doc: str) -> dict[tuple[str, int], str]:
    """(check id, column) -> the title of that cell's button; columns count providers from 0."""
    titles: dict[tuple[str, int], str] = {}
    row, column = "", 0
    for tag, attrs in elements(doc).tags:
        if tag == "tr":
            row, column = attrs.get("data-check") or "", 0
        elif tag == "td":
            column += 1
        elif tag == "button" and "cell" in (attrs.get("class") or "").split():
            titles[(row, column - 1)] = attrs["title"] or ""
    return titles


def test_junit_types_and_texts_carry_the_reason_code() -> None:
    suites = _suites(render_junit(make_coded()))
    alpha = {c.get("name"): c for c in suites["alpha"].findall("testcase")}
    beta = {c.get("name"): c for c in suites["beta"].findall("testcase")}
    failure = child(beta["streaming.basic"], "failure")
    assert failure.get("type") == "fail/no_done" and failure.get("message") == "fail summary for streaming.basic"
    assert text(failure).splitlines()[0] == "fail/no_done: fail summary for streaming.basic"
    error = child(beta["tools.parallel"], "error")
    assert error.get("type") == "error/timeout"
    assert text(error).splitlines()[0] == "error/timeout: error summary for tools.parallel"
    assert attr(child(beta["tools.named"], "skipped"), "message") == "unsupported/clean_4xx: unsupported summary for tools.named"
    assert attr(child(beta["streaming.usage"], "skipped"), "message") == "skip summary for streaming.usage"
    assert text(child(alpha["chat.stop"], "system-out")).startswith("warn/stop_ignored: warn summary for chat.stop\n")

    # Without codes (a results file of schema version 1): the bare status, and no stray slash.
    suites = _suites(render_junit(make_result()))
    beta = {c.get("name"): c for c in suites["beta"].findall("testcase")}
    assert attr(child(beta["streaming.basic"], "failure"), "type") == "fail"
    assert text(child(beta["streaming.basic"], "failure")).startswith("fail: fail summary for streaming.basic\n")
    assert attr(child(beta["tools.parallel"], "error"), "type") == "error"
    assert attr(child(beta["tools.named"], "skipped"), "message") == "unsupported: unsupported summary for tools.named"


def test_junit_keeps_a_hostile_reason_well_formed() -> None:
    result = make_coded()
    _verdict(result, "beta", "streaming.basic").reason = "no\x00_done\n\x1b[31m" + "r" * 5000
    failure = child(_suites(render_junit(result))["beta"], "testcase[@name='streaming.basic']/failure")
    kind = attr(failure, "type")
    assert kind.startswith("fail/no_done [31mrrr") and kind.endswith(" chars)") and len(kind) < 1100


def test_terminal_problem_lines_show_the_reason_code() -> None:
    plain = render_terminal_matrix(make_coded(), color=False)
    lines = plain.splitlines()
    problems = [line for line in lines if "summary for" in line]
    assert len(problems) == 5
    assert any(re.fullmatch(r"beta\s+streaming\.basic\s+fail/no_done: fail summary for streaming\.basic", p) for p in problems)
    assert any(re.fullmatch(r"beta\s+tools\.parallel\s+error/timeout: error summary for tools\.parallel", p) for p in problems)
    assert any(re.fullmatch(r"beta\s+tools\.named\s+unsupported/clean_4xx: unsupported summary for tools\.named", p)
               for p in problems)
    assert any(re.fullmatch(r"alpha\s+chat\.stop\s+warn/stop_ignored: warn summary for chat\.stop", p) for p in problems)
    # The matrix cells keep their short words.
    assert next(line for line in lines if line.startswith("tools.named")).split() == ["tools.named", "FAIL", "unsup"]
    # Coloured by status, as the status word was.
    coloured = render_terminal_matrix(make_coded(), color=True)
    assert "\x1b[1;31mfail/no_done\x1b[0m: fail summary" in coloured
    assert "\x1b[1;35merror/timeout\x1b[0m: error summary" in coloured
    assert "\x1b[36munsupported/clean_4xx\x1b[0m: unsupported summary" in coloured


def test_terminal_keeps_a_hostile_reason_inert() -> None:
    result = make_coded()
    _verdict(result, "beta", "streaming.basic").reason = "\x1b[2J\u202eno\ndone" + "r" * 500
    plain = render_terminal_matrix(result, color=False)
    assert "\x1b" not in plain and "\u202e" not in plain
    line = next(line for line in plain.splitlines() if "fail summary for streaming.basic" in line)
    assert "fail/\\u001b[2J\\u202eno done" in line and "…: fail summary" in line and len(line) < 260


def test_html_shows_the_reason_code() -> None:
    result = make_coded()
    doc = render_html(result)
    cells = evidence(doc)["cells"]
    by_cell = {(c["provider"], c["check"]): c for c in cells.values()}
    assert by_cell[("beta", "streaming.basic")]["code"] == "fail/no_done"
    assert by_cell[("beta", "tools.named")]["code"] == "unsupported/clean_4xx"
    assert by_cell[("alpha", "chat.basic")]["code"] == "pass/ok"
    # The tooltip leads with the code.
    titles = _cell_titles(doc)
    assert titles[("streaming.basic", 1)] == "fail/no_done: fail summary for streaming.basic"
    assert titles[("tools.parallel", 1)] == "error/timeout: error summary for tools.parallel"
    # Each row lists its cells' codes for the search box, and the box says it takes them.
    rows = {a["data-check"]: a for t, a in elements(doc).tags if t == "tr" and a.get("data-check")}
    assert rows["streaming.basic"]["data-codes"] == "fail/no_done pass/ok"
    assert rows["tools.parallel"]["data-codes"] == "error/timeout skip/prerequisite_failed"
    assert "Check id or reason <input id=\"search\"" in doc
    # The page script shows the code beside the badge and searches the codes.
    script = elements(doc).scripts[-1]
    assert 'el("code", ev.code, "reason")' in script and 'getAttribute("data-codes")' in script


def test_html_without_codes_shows_no_stray_slash() -> None:
    doc = render_html(make_result())
    assert {c["code"] for c in evidence(doc)["cells"].values()} == {""}
    assert not [a for t, a in elements(doc).tags if "data-codes" in a]
    titles = _cell_titles(doc)
    assert titles[("streaming.basic", 1)] == "fail summary for streaming.basic"
    assert all("/" not in title for title in titles.values())


def test_html_keeps_a_hostile_reason_inert() -> None:
    result = make_coded()
    _verdict(result, "beta", "streaming.basic").reason = '<script>alert(1)</script>" onerror=x \u202e'
    doc = render_html(result)
    assert "<script>alert" not in doc and "onerror=" not in doc and "\u202e" not in doc
    cells = evidence(doc)["cells"].values()
    code = next(c["code"] for c in cells if c["check"] == "streaming.basic" and c["provider"] == "beta")
    assert code == 'fail/<script>alert(1)</script>" onerror=x \\u202e'
    row = next(a for t, a in elements(doc).tags if t == "tr" and a.get("data-check") == "streaming.basic")
    assert row["data-codes"].startswith('fail/<script>alert(1)</script>" onerror=x \\u202e')


# ------------------------------------------------------------------------------- page assets


def _resource(name: str) -> str:
    # Straight from the source tree, not through the renderer's loader: the test compares the two.
    return (REPO_ROOT / "conformance" / "report" / "resources" / name).read_text(encoding="utf-8")


def test_report_html_inlines_the_css_and_js_files_and_fetches_nothing() -> None:
    import base64
    import hashlib

    css, js = _resource("report.css"), _resource("report.js")
    assert "#matrix" in css and "function openPanel" in js  # the real files, not stubs
    # Inlined, they must not be able to end their own element.
    assert "</style" not in css.lower() and "</script" not in js.lower()
    # Shipped as package data, where the renderer looks for them.
    packaged = importlib.resources.files("conformance.report") / "resources"
    assert packaged.joinpath("report.css").read_text(encoding="utf-8") == css
    assert packaged.joinpath("report.js").read_text(encoding="utf-8") == js

    doc = render_html(make_result())
    assert doc.count(f"<style>{css}</style>") == 1 and doc.count(f"<script>{js}</script>") == 1
    parsed = elements(doc)
    assert "link" not in [t for t, _ in parsed.tags]
    assert not re.search(r"\ssrc\s*=", doc, re.I) and "@import" not in doc and "url(" not in doc
    assert all((a.get("href") or "#").startswith("#") for _, a in parsed.tags)
    csp = next(a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    digest = lambda text: base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()  # noqa: E731
    assert f"style-src 'sha256-{digest(css)}'" in csp and f"script-src 'sha256-{digest(js)}'" in csp


# ------------------------------------------------------------------------------------ evidence


def test_short_evidence_is_one_line_per_item_and_starts_with_the_code() -> None:
    from conformance.report.evidence import short_evidence

    v = _verdict(make_coded(), "alpha", "tools.named")
    assert short_evidence(v).splitlines() == [
        "fail/tool_calls_invalid: fail summary for tools.named",
        "notes:",
        "  - client would crash",
        "schema issues:",
        "  [compat] chat_completion $.choices[0].message.tool_calls: None is not of type 'array' (response)",
        "exchanges:",
        "  request: POST https://api.alpha.example:8443/v1/chat/completions -> 200 (12 ms)",
    ]
    error = _verdict(make_coded(), "beta", "tools.parallel")
    assert short_evidence(error).splitlines()[-1] == (
        "  request: POST embedded:reference/chat/completions -> no response, error: ReadTimeout after 30 s (12 ms)"
    )
    # Provider text cannot add lines, and a huge one is cut with a note.
    v.summary = "first\nsecond\r\nthird " + "x" * 5000
    v.reason = ""
    first, *rest = short_evidence(v).splitlines()
    assert first.startswith("fail: first second third xxx") and first.endswith("(truncated 3025 chars)")
    assert rest[0] == "notes:"


def test_full_evidence_shows_each_exchange_whole_with_bodies_cut() -> None:
    from conformance.report.evidence import full_evidence

    v = _verdict(make_coded(), "beta", "streaming.basic")
    text = full_evidence(v, body_chars=40)
    lines = text.splitlines()
    assert lines[0] == "fail/no_done: fail summary for streaming.basic"
    assert "note: client would crash" in lines
    assert "schema [compat] chat_completion $.choices[0].message.tool_calls: None is not of type 'array' (response)" in lines
    assert "--- exchange 1: request (12 ms)" in lines and "POST embedded:reference/chat/completions" in lines
    assert "Authorization: Bearer sk-…redacted" in lines and "content-type: text/event-stream" in lines
    assert "HTTP 200" in lines
    # Bodies: the request pretty-printed, both cut to body_chars with a note.
    assert '{\n  "model": "m",\n  "messages": [' in text
    assert len(re.findall(r"… \(truncated \d+ chars\)", text)) == 2
    assert 'data: {"choices":[{"delta":{"content' in text
    assert text.endswith("copy as curl:\n" + curl_command(v.exchanges[0].request))
    error = full_evidence(_verdict(make_coded(), "beta", "tools.parallel"), body_chars=4000)
    assert "error: ReadTimeout after 30 s" in error.splitlines() and "HTTP " not in error


def test_pretty_body() -> None:
    from conformance.report.evidence import pretty_body

    assert pretty_body(None) is None
    assert pretty_body("raw, not JSON") == "raw, not JSON"
    assert pretty_body({"a": [1, "é"]}) == '{\n  "a": [\n    1,\n    "é"\n  ]\n}'
    loop: dict[str, object] = {}
    loop["self"] = loop
    assert pretty_body(loop) == repr(loop)


def test_load_results_counts_the_other_violations() -> None:
    from conformance.report.json_report import validate_results

    data = make_result().to_dict()
    for broken, tail in ((2, "(and 1 more violation)"), (3, "(and 2 more violations)")):
        bad = copy.deepcopy(data)
        for i in range(broken):
            bad["results"][i]["status"] = "maybe"
        with pytest.raises(ValueError) as caught:
            validate_results(bad, source="bad.json")
        assert str(caught.value).endswith(tail)


def test_html_truncation_notes_count_in_words() -> None:
    result = make_result()
    stream = _verdict(result, "alpha", "streaming.basic").exchanges[0].response
    body = _verdict(result, "alpha", "chat.basic").exchanges[0].response
    assert stream is not None and body is not None
    stream.sse_lines, stream.truncated, stream.size_bytes = ["data: {}"], True, 3_000_000
    body.body, body.truncated, body.size_bytes = "{", True, 3_000_000
    cells = {(c["provider"], c["check"]): c for c in evidence(render_html(result))["cells"].values()}

    def notes(provider: str, check_id: str) -> list[str]:
        return list(cells[(provider, check_id)]["exchanges"][0]["response"]["notes"])

    assert notes("alpha", "streaming.basic") == ["truncated: 3000000 bytes were received; the evidence keeps the first 1 line"]
    assert notes("alpha", "chat.basic") == ["truncated: 3000000 bytes were received; the evidence keeps the first 1 character"]
