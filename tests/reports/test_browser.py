"""report.html in a real browser: headless Chromium (Debian's chromium + chromium-driver) via selenium.

One browser serves the whole module. The reports come from real runs over loopback HTTP: the demo
providers (reference + deviant flavours) and the hostile providers of runs.py. Every test
ends by asserting the page logged no console error; a CSP violation (something trying to run or
load that the page did not ship) would be logged as one.

The tests skip only when Chromium is absent and CI is not "true"; under CI they fail instead.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.report import write_reports
from conformance.results import RunResult
from conformance.verdict import Status, Verdict
from tests.reports.runs import PLANTED_KEY
from tests.support.keys import assert_no_key_slice

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WINDOW = (1400, 1000)


def _require_chromium() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if not missing:
        return
    reason = (
        f"Chromium is not installed ({', '.join(missing)} not found); "
        "install the Debian packages chromium and chromium-driver (.ci/run does)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: under CI=true the browser tests must run")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    _require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SE_OFFLINE", "true")  # selenium-manager must never try to download a browser or driver
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in (
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
        ):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        browser.set_window_size(*WINDOW)
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_run: RunResult) -> tuple[RunResult, Path]:
    result = demo_run
    out = tmp_path_factory.mktemp("demo-report")
    return result, write_reports(result, out)["html"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, hostile_content_run: RunResult) -> tuple[RunResult, Path]:
    result = hostile_content_run
    out = tmp_path_factory.mktemp("hostile-report")
    return result, write_reports(result, out)["html"]


@pytest.fixture(scope="module")
def coded(tmp_path_factory: pytest.TempPathFactory, demo_run: RunResult) -> tuple[RunResult, Path]:
    """The demo run with a reason code on every verdict but one: old-gateway's tools.named has none,
    as in a results file written before codes existed. Where the run left a reason empty, a
    stand-in per status (``demo_fail``) takes its place, so the page has codes to show either way."""
    result = copy.deepcopy(demo_run)
    for v in result.verdicts:
        v.reason = v.reason or f"demo_{v.status.value}"
    find_verdict(result, "old-gateway", "tools.named").reason = ""
    out = tmp_path_factory.mktemp("coded-report")
    return result, write_reports(result, out)["html"]


def find_verdict(result: RunResult, provider: str, check_id: str) -> Verdict:
    return next(v for v in result.verdicts if v.provider == provider and v.check_id == check_id)


def load(driver, page: Path, fragment: str = "") -> None:
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(page.as_uri() + fragment)
    assert driver.execute_script("return document.readyState") == "complete"


def console_errors(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def column(result: RunResult, provider: str) -> int:
    """1-based column of a provider's cells (column 1 holds the row headers)."""
    return [p.name for p in result.providers if not p.skipped_reason].index(provider) + 2


def cell(driver, result: RunResult, check_id: str, provider: str):
    from selenium.webdriver.common.by import By

    button = driver.find_element(
        By.CSS_SELECTOR, f'tr[data-check="{check_id}"] > :nth-child({column(result, provider)}) button.cell'
    )
    # As a user would see it before clicking: in the middle of the window, not under the sticky header
    # (WebDriver's own scrolling puts it at the very top, where the header covers it).
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'center'})", button)
    return button


def visible_rows(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [r.get_attribute("data-check") for r in driver.find_elements(By.CSS_SELECTOR, "#matrix tr.check") if r.is_displayed()]


def statuses_by_check(result: RunResult) -> dict[str, set[Status]]:
    out: dict[str, set[Status]] = {}
    for v in result.verdicts:
        out.setdefault(v.check_id, set()).add(v.status)
    return out


# ------------------------------------------------------------------------------------------ demo


def test_matrix_renders_with_headers_sections_and_cells(driver, demo) -> None:
    from selenium.webdriver.common.by import By

    result, page = demo
    load(driver, page)
    assert driver.title.startswith("OpenAI compatibility matrix")
    heads = driver.find_elements(By.CSS_SELECTOR, "#matrix thead th:not(.corner)")
    assert [h.find_element(By.CLASS_NAME, "pname").text for h in heads] == [p.name for p in result.providers]
    for head, provider in zip(heads, result.providers, strict=True):
        assert head.find_element(By.CLASS_NAME, "phost").text == "embedded"
        assert head.find_element(By.CLASS_NAME, "pmodel").text == "reference-chat"
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", head.find_element(By.CLASS_NAME, "pdate").text)
        verdicts = [v for v in result.verdicts if v.provider == provider.name]
        passed = sum(v.status == Status.PASS for v in verdicts)
        applicable = sum(v.status != Status.SKIP for v in verdicts)
        assert head.find_element(By.CLASS_NAME, "pscore").text == f"{passed}/{applicable}"
    assert visible_rows(driver) == [c.id for c in result.checks]
    sections = [s.text for s in driver.find_elements(By.CSS_SELECTOR, "#matrix tr.section th")]
    assert sections == list(dict.fromkeys(c.section for c in result.checks))
    assert driver.find_element(By.ID, "shown").text == f"{len(result.checks)} of {len(result.checks)} checks shown"
    # Each cell: glyph and word (readable without colour), and colour that differs by verdict.
    failing = cell(driver, result, "streaming.done", "old-gateway")
    passing = cell(driver, result, "streaming.done", "reference")
    assert failing.text == "✗ fail" and passing.text == "✓ pass"
    assert failing.value_of_css_property("background-color") != passing.value_of_css_property("background-color")
    assert "without data: [DONE]" in failing.get_attribute("title")  # the one-line summary on hover
    legend = [d.text for d in driver.find_elements(By.CSS_SELECTOR, "#legend dt")]
    assert legend == ["✓ pass", "! warn", "⊘ unsupported", "– skip", "? error", "✗ fail"]
    run_rows = driver.find_elements(By.CSS_SELECTOR, "#run tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, "td").text for r in run_rows] == [p.name for p in result.providers]
    assert console_errors(driver) == []


def test_failing_cell_opens_its_evidence_with_the_key_redacted(driver, demo) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    result, page = demo
    load(driver, page)
    button = cell(driver, result, "tools.named", "old-gateway")
    assert button.text == "✗ fail"
    button.click()
    panel = driver.find_element(By.ID, "panel")
    assert panel.get_attribute("open") is not None and panel.is_displayed()
    assert driver.find_element(By.ID, "panel-title").text == "tools.named — old-gateway"
    text = driver.find_element(By.ID, "panel-body").text
    assert "Summary: named tool_choice: the completion does not match the schema" in text
    assert re.search(r"^POST http://127\.0\.0\.1:\d+/chat/completions$", text, re.M), "the request line"
    assert "authorization: Bearer [REDACTED]" in text
    assert '\n  "model": "reference-chat",' in text  # the JSON body, pretty-printed
    assert re.search(r"^HTTP 200$", text, re.M) and "Body (" in text
    assert "$.choices[0].message.tool_calls[0].function.arguments" in text  # schema error with its JSON path
    assert re.search(r"Elapsed: [\d.]+ ms", text) and re.search(r"Duration: [\d.]+ ms", text)
    assert '-H "Authorization: Bearer $API_KEY"' in text and "--data-raw '{" in text
    for where, source in (("the panel", text), ("the page", driver.page_source)):
        assert_no_key_slice(source, PLANTED_KEY, where)
    copy = next(b for b in driver.find_elements(By.CSS_SELECTOR, "#panel-body button") if b.text == "Copy")
    copy.click()
    # The clipboard API answers asynchronously; either outcome is a working button.
    WebDriverWait(driver, 5).until(lambda _: copy.text != "Copy")
    assert copy.text in ("Copied", "Selected: press Ctrl+C")
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert panel.get_attribute("open") is None
    # Focus goes back to the cell, from the dialog's "close" event (dispatched as a task: wait for it).
    WebDriverWait(driver, 5).until(lambda d: d.switch_to.active_element == button)
    assert console_errors(driver) == []


def test_filters_show_the_expected_rows(driver, demo) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    result, page = demo
    load(driver, page)
    order = [c.id for c in result.checks]
    statuses = statuses_by_check(result)
    verdict = Select(driver.find_element(By.ID, "filter"))

    verdict.select_by_value("failures")
    failing = [c for c in order if statuses[c] & {Status.FAIL, Status.ERROR}]
    assert 5 <= len(failing) < len(order)  # the demo has real differences: the filter must matter
    assert visible_rows(driver) == failing
    assert driver.find_element(By.ID, "shown").text == f"{len(failing)} of {len(order)} checks shown"
    # a section header shows only while one of its rows does
    shown_sections = [s.get_attribute("data-section") for s in driver.find_elements(By.CSS_SELECTOR, "#matrix tr.section") if s.is_displayed()]
    assert shown_sections == list(dict.fromkeys(c.split(".")[0] for c in failing))

    verdict.select_by_value("diff")
    assert visible_rows(driver) == [c for c in order if len(statuses[c]) > 1]
    verdict.select_by_value("warn")
    assert visible_rows(driver) == [c for c in order if Status.WARN in statuses[c]]

    verdict.select_by_value("all")
    Select(driver.find_element(By.ID, "section")).select_by_value("tools")
    assert visible_rows(driver) == [c for c in order if c.startswith("tools.")]
    Select(driver.find_element(By.ID, "section")).select_by_value("")
    driver.find_element(By.ID, "search").send_keys("STREAM")
    assert visible_rows(driver) == [c for c in order if "stream" in c]
    assert console_errors(driver) == []


def test_a_cell_shows_its_reason_code_beside_the_status(driver, coded) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    result, page = coded
    load(driver, page)
    v = find_verdict(result, "old-gateway", "streaming.done")
    assert v.status == Status.FAIL and v.reason
    button = cell(driver, result, "streaming.done", "old-gateway")
    assert button.get_attribute("title").startswith(f"fail/{v.reason}: ")
    button.click()
    badge = driver.find_element(By.CSS_SELECTOR, "#panel-body .badge")
    code = driver.find_element(By.CSS_SELECTOR, "#panel-body .reason")
    assert badge.text == "✗ fail" and code.text == f"fail/{v.reason}" and code.is_displayed()
    # Beside the badge: on its line, to its right.
    assert abs((badge.rect["y"] + badge.rect["height"] / 2) - (code.rect["y"] + code.rect["height"] / 2)) < 4
    assert code.rect["x"] >= badge.rect["x"] + badge.rect["width"]
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)

    # A verdict without a code shows the badge alone: no code, no stray slash.
    bare = cell(driver, result, "tools.named", "old-gateway")
    assert not bare.get_attribute("title").startswith("fail")
    bare.click()
    assert driver.find_elements(By.CSS_SELECTOR, "#panel-body .reason") == []
    assert driver.find_element(By.ID, "panel-body").text.splitlines()[0] == "✗ fail"
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert console_errors(driver) == []


def test_the_search_box_finds_rows_by_reason_code(driver, coded) -> None:
    from selenium.webdriver.common.by import By

    result, page = coded
    order = [c.id for c in result.checks]

    def rows_with(query: str) -> list[str]:
        q = query.lower()
        return [
            c for c in order
            if q in c.lower() or any(q in v.code.lower() for v in result.verdicts if v.check_id == c and v.reason)
        ]

    target = find_verdict(result, "old-gateway", "streaming.done")
    for query in (target.reason, target.code.upper()):
        load(driver, page)
        expected = rows_with(query)
        assert "streaming.done" in expected and len(expected) < len(order)  # the search must matter
        driver.find_element(By.ID, "search").send_keys(query)
        assert visible_rows(driver) == expected
        assert driver.find_element(By.ID, "shown").text == f"{len(expected)} of {len(order)} checks shown"
    # A code no cell has hides every row.
    load(driver, page)
    driver.find_element(By.ID, "search").send_keys("fail/no_such_reason")
    assert visible_rows(driver) == []
    assert console_errors(driver) == []


def test_check_anchor_reveals_its_row_even_when_filtered_out(driver, demo) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    _, page = demo
    load(driver, page, "#tools.named")
    assert driver.execute_script("return document.querySelector(':target').id") == "tools.named"
    top = driver.execute_script("return document.getElementById('tools.named').getBoundingClientRect().top")
    assert 0 <= top < WINDOW[1]  # scrolled into view
    Select(driver.find_element(By.ID, "filter")).select_by_value("failures")
    assert "chat.basic" not in visible_rows(driver)
    driver.execute_script("location.hash = 'chat.basic'")
    # Following a link to a hidden row clears the filter ("hashchange" is dispatched as a task: wait).
    WebDriverWait(driver, 5).until(lambda d: "chat.basic" in visible_rows(d))
    assert Select(driver.find_element(By.ID, "filter")).first_selected_option.get_attribute("value") == "all"
    assert console_errors(driver) == []


def test_header_row_and_first_column_stay_in_view(driver, demo) -> None:
    _, page = demo
    driver.set_window_size(700, 500)
    try:
        load(driver, page)
        driver.execute_script("window.scrollTo(document.body.scrollWidth, document.body.scrollHeight)")
        offsets = driver.execute_script(
            "var th = document.querySelector('#matrix thead th:nth-child(3)').getBoundingClientRect();"
            "var row = document.querySelector('#matrix tr.check:last-child th.rowhead').getBoundingClientRect();"
            "return [window.scrollX, window.scrollY, th.top, row.left];"
        )
        scroll_x, scroll_y, head_top, first_col_left = offsets
        assert scroll_x > 100 and scroll_y > 500  # the page really scrolled both ways
        assert abs(head_top) <= 1 and abs(first_col_left) <= 1
    finally:
        driver.set_window_size(*WINDOW)
    assert console_errors(driver) == []


def test_keyboard_focus_shows_the_summary_and_enter_opens_the_panel(driver, demo) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _, page = demo
    load(driver, page)
    driver.execute_script("document.getElementById('search').focus()")
    ActionChains(driver).send_keys(Keys.TAB).send_keys(Keys.TAB).perform()  # the row link, then the first cell
    focused = driver.switch_to.active_element
    assert focused.get_attribute("class").startswith("cell")
    tip = driver.find_element(By.ID, "tip")
    assert tip.is_displayed() and tip.text == focused.get_attribute("title") != ""
    assert focused.get_attribute("aria-describedby") == "tip"
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    assert driver.find_element(By.ID, "panel").get_attribute("open") is not None
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    assert console_errors(driver) == []


def test_screenshots_of_the_demo_report(driver, demo, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    result, page = demo
    load(driver, page)
    driver.execute_script("document.getElementById('matrix').scrollIntoView()")
    matrix_png = tmp_path / "report-matrix.png"
    assert driver.save_screenshot(str(matrix_png))
    Select(driver.find_element(By.ID, "filter")).select_by_value("failures")
    cell(driver, result, "errors.format", "picky-proxy").click()
    panel_png = tmp_path / "report-evidence.png"
    assert driver.save_screenshot(str(panel_png))
    for png in (matrix_png, panel_png):
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert console_errors(driver) == []


# --------------------------------------------------------------------------------------- hostile

_DANGER_PROBE = """
var planted = document.querySelectorAll('img, iframe, svg, object, embed, textarea, base, link, style:not(:first-of-type), meta[http-equiv=refresh]');
var handlers = 0;
document.querySelectorAll('*').forEach(function (el) {
  for (var i = 0; i < el.attributes.length; i++) { if (/^on/i.test(el.attributes[i].name)) { handlers += 1; } }
});
return {planted: planted.length, handlers: handlers, scripts: document.scripts.length,
        pwned: typeof window.__pwned, title: document.title, href: location.href};
"""


def test_hostile_report_runs_nothing_in_the_browser(driver, hostile) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    result, page = hostile
    load(driver, page)
    before = driver.execute_script(_DANGER_PROBE)
    assert before["planted"] == before["handlers"] == 0 and before["scripts"] == 2
    # Open every cell's evidence, so every planted string gets rendered at least once.
    opened = driver.execute_script(
        "var n = 0; var dialog = document.getElementById('panel');"
        "document.querySelectorAll('button.cell').forEach(function (b) { b.click(); if (dialog.open) { n += 1; } dialog.close(); });"
        "return n;"
    )
    assert opened == len(result.verdicts)
    # And one for real, left open: the payload is on screen as text.
    cell(driver, result, "errors.format", "hostile-server").click()
    body = driver.find_element(By.ID, "panel-body").text
    assert "<script>window.__pwned=1;document.title='PWNED';alert(1)</script>" in body
    assert "</textarea><textarea>" in body and "javascript:alert(7)" in body and "\\u202e" in body
    assert "Bearer [REDACTED]" in body
    after = driver.execute_script(_DANGER_PROBE)
    assert after == {**before, "href": page.as_uri()}
    assert after["pwned"] == "undefined" and after["title"].startswith("OpenAI compatibility matrix")
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 (the property access is the check)
    assert console_errors(driver) == []


# ----------------------------------------------------------------------------------- the skip rule


def test_without_chromium_the_tests_skip_locally_but_fail_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys

    module = sys.modules[__name__]
    monkeypatch.setattr(module, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"Chromium is not installed .*no-chromium.* chromium-driver"):
        _require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="under CI=true the browser tests must run"):
        _require_chromium()
