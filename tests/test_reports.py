"""The reporters: results.json schema and round trip, Markdown, JUnit, HTML (including hostile input), terminal."""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
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
from conformance.report.html import curl_command, script_json
from conformance.results import CheckInfo, ProviderRun, RunResult
from conformance.verdict import Exchange, RequestRecord, ResponseRecord, SchemaIssue, Status, Verdict

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
        for provider, status in zip(("alpha", "beta"), pair):
            base = next(p.base_url for p in providers if p.name == provider)
            v = Verdict(check_id, provider, status, f"{status.value} summary for {check_id}", duration_ms=250.0)
            if status != Status.SKIP:
                v.exchanges.append(_exchange(base + "/chat/completions", stream=check_id.startswith("streaming")))
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


def results_schema() -> dict:
    return json.loads((importlib.resources.files("conformance.schemas") / "results.schema.json").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------- JSON


def test_json_validates_and_round_trips(tmp_path: Path) -> None:
    result = make_result()
    data = json.loads(render_json(result))
    jsonschema.Draft202012Validator.check_schema(results_schema())
    jsonschema.Draft202012Validator(results_schema()).validate(data)
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
    with pytest.raises(ValueError, match="bad.json"):
        load_results(path)


def test_schema_allows_nulls_and_rejects_wrong_version() -> None:
    validator = jsonschema.Draft202012Validator(results_schema())
    data = make_result().to_dict()
    assert data["providers"][2]["skipped_reason"] is not None and data["providers"][0]["skipped_reason"] is None
    assert any(e["response"] is None for r in data["results"] for e in r["exchanges"])
    validator.validate(data)
    data["schema_version"] = 3
    assert not validator.is_valid(data)


def test_version_1_files_without_reason_codes_are_still_read(tmp_path: Path) -> None:
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
    jsonschema.Draft202012Validator(results_schema()).validate(rewritten)
    # a version 2 file must carry the codes
    del rewritten["results"][0]["reason"]
    assert not jsonschema.Draft202012Validator(results_schema()).is_valid(rewritten)


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
    assert "2024-05-01T12:00:00Z" in md and "90.2 s" in md and "0.1.0" in md
    assert "| Check | alpha | beta |" in md
    table = [line for line in lines if line.startswith("| `")]
    assert [re.match(r"\| `([^`]+)`", row).group(1) for row in table] == ORDERED_IDS
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
    return {s.get("name"): s for s in root.findall("testsuite")}


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
    fail = cases["streaming.basic"].find("failure")
    assert fail is not None and fail.get("message") == "fail summary for streaming.basic"
    assert "$.choices[0].message.tool_calls" in fail.text and "POST embedded:reference/chat/completions" in fail.text
    assert "-> 200" in fail.text
    assert cases["tools.parallel"].find("error") is not None
    assert cases["tools.named"].find("skipped").get("message").startswith("unsupported: ")
    assert cases["streaming.usage"].find("skipped").get("message") == "skip summary for streaming.usage"
    assert len(list(cases["chat.basic"])) == 0
    warn = {c.get("name"): c for c in a.findall("testcase")}["chat.stop"]
    assert warn.find("system-out").text.startswith("warn: warn summary")
    assert warn.find("failure") is None and warn.find("skipped") is None
    (only,) = g.findall("testcase")
    assert only.get("name") == "provider" and only.find("skipped").get("message") == "GAMMA_API_KEY is unset"
    assert (g.get("tests"), g.get("skipped")) == ("1", "1")


# ----------------------------------------------------------------------------------------- HTML


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def _parse(doc: str) -> _Tags:
    parser = _Tags()
    parser.feed(doc)
    parser.close()
    return parser


def _evidence(doc: str) -> dict:
    m = re.search(r'<script type="application/json" id="evidence">(.*?)</script>', doc, re.S)
    return json.loads(m.group(1))


def test_html_structure() -> None:
    doc = render_html(make_result())
    parsed = _parse(doc)
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
    cells = _evidence(doc)["cells"]
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
    parsed = _parse(doc)
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
    cells = _evidence(doc)["cells"]
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
    assert "<script>alert(1)</script>" in fail.find("failure").get("message")  # as text, escaped in the XML
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
    assert page.count('class="worse-mark"') == 1 and "▼ was pass" in page
    assert 'value="worse"' in page and "base/results.json" in page
    named_row = re.search(r'<tr class="check" id="check-tools\.named"[^>]*>', page).group(0)
    basic_row = re.search(r'<tr class="check" id="check-chat\.basic"[^>]*>', page).group(0)
    assert 'data-worse="1"' in named_row and 'data-worse="0"' in basic_row
    assert re.search(r'<td class="st-fail worse"><button[^>]*title="worse than the baseline \(was pass\): ', page)
