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


def open_evidence(driver, button) -> None:
    """Select a cell (or a line of "what will break") and wait for its evidence: the page decodes a
    row's evidence asynchronously, and marks the panel with the cell's key once it shows it."""
    from selenium.webdriver.support.ui import WebDriverWait

    key = button.get_attribute("data-key")
    button.click()
    WebDriverWait(driver, 5).until(
        lambda d: d.execute_script("return document.getElementById('panel').getAttribute('data-shown')") == key)


_OPEN_EACH = """
var done = arguments[arguments.length - 1];
var dialog = document.getElementById('panel');
var buttons = Array.prototype.slice.call(document.querySelectorAll(arguments[0]));
function shown(key) {
  return new Promise(function (resolve) {
    (function poll() { if (dialog.getAttribute('data-shown') === key) { resolve(); } else { setTimeout(poll, 2); } })();
  });
}
(async function () {
  var n = 0;
  for (var i = 0; i < buttons.length; i += 1) {
    buttons[i].click();
    await shown(buttons[i].getAttribute('data-key'));
    if (dialog.open && document.getElementById('panel-body').textContent !== '') { n += 1; }
    dialog.close();
  }
  done(n);
})();
"""
"""Opens every button the selector finds, one after the other, each shown before the next is
clicked; returns how many showed their evidence in the open panel."""


def statuses_by_check(result: RunResult) -> dict[str, set[Status]]:
    out: dict[str, set[Status]] = {}
    for v in result.verdicts:
        out.setdefault(v.check_id, set()).add(v.status)
    return out


# ------------------------------------------------------------------------------------------ demo


def test_matrix_renders_with_headers_sections_and_cells(driver, demo) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

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
    # The legend and the run table are folded away; following their links opens them.
    assert not driver.find_element(By.CSS_SELECTOR, "#legend dt").is_displayed()
    driver.find_element(By.CSS_SELECTOR, 'header a[href="#legend"]').click()
    WebDriverWait(driver, 5).until(lambda d: d.find_element(By.CSS_SELECTOR, "#legend dt").is_displayed())
    legend = [d.text for d in driver.find_elements(By.CSS_SELECTOR, "#legend dt")]
    assert legend == ["✓ pass", "! warn", "⊘ unsupported", "– skip", "? error", "✗ fail"]
    assert not driver.find_element(By.CSS_SELECTOR, "#run tbody tr").is_displayed()
    driver.find_element(By.CSS_SELECTOR, "#run > summary").click()
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
    open_evidence(driver, button)
    panel = driver.find_element(By.ID, "panel")
    assert panel.get_attribute("open") is not None and panel.is_displayed()
    assert driver.find_element(By.ID, "panel-title").text == "tools.named — old-gateway"
    text = driver.find_element(By.ID, "panel-body").text
    assert "Summary: named tool_choice: the completion does not match the schema" in text
    # (the embedded flavours are served under a path prefix of their own: /_/N/)
    assert re.search(r"^POST http://127\.0\.0\.1:\d+/(\S+/)?chat/completions$", text, re.M), "the request line"
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
    open_evidence(driver, button)
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
    open_evidence(driver, bare)
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
        # To the matrix's last row and its rightmost column (the page goes on below the matrix).
        driver.execute_script(
            "var last = document.querySelector('#matrix tr.check:last-child').getBoundingClientRect();"
            "window.scrollTo(document.body.scrollWidth, window.scrollY + last.bottom - window.innerHeight)"
        )
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
    open_evidence(driver, cell(driver, result, "errors.format", "picky-proxy"))
    panel_png = tmp_path / "report-evidence.png"
    assert driver.save_screenshot(str(panel_png))
    for png in (matrix_png, panel_png):
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert console_errors(driver) == []


# ------------------------------------------------------------------ the first screen and anchors


def expected_worst(result: RunResult, provider: str, section: str) -> str:
    """The overview's rule, restated: the worst verdict but skip (STATUS_ORDER), skip if all are."""
    from conformance.verdict import STATUS_ORDER

    in_section = {c.id for c in result.checks if c.section == section}
    statuses = [v.status for v in result.verdicts if v.provider == provider and v.check_id in in_section]
    if not statuses:
        return "none"
    applicable: list[Status] = [s for s in statuses if s != Status.SKIP] or [Status.SKIP]
    return max(applicable, key=STATUS_ORDER.index).value


def head_and_row(driver, row_selector: str) -> tuple[float, float, float, float]:
    """(sticky header bottom, row top, row bottom, window height), in window coordinates."""
    return tuple(driver.execute_script(
        "var head = document.querySelector('#matrix thead th').getBoundingClientRect();"
        "var row = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return [head.bottom, row.top, row.bottom, window.innerHeight];", row_selector))


def assert_just_below_the_header(driver, row_selector: str) -> None:
    """The row is in view right under the sticky header row: not under it, not far below it."""
    head_bottom, top, bottom, height = head_and_row(driver, row_selector)
    assert head_bottom <= top <= head_bottom + 24, (row_selector, head_bottom, top)
    assert bottom <= height


def test_the_first_screen_shows_the_scores_per_section_then_the_matrix(driver, demo, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    result, page = demo
    driver.set_window_size(1400, 900)
    try:
        load(driver, page)
        height = driver.execute_script("return window.innerHeight")
        overview = driver.find_element(By.ID, "ov")
        assert overview.rect["y"] + overview.rect["height"] <= height  # all of it
        rows = driver.find_elements(By.CSS_SELECTOR, "#ov tbody tr")
        assert [r.find_element(By.CSS_SELECTOR, "th .ov-name").text for r in rows] == [p.name for p in result.providers]
        sections = list(dict.fromkeys(c.section for c in result.checks))
        assert [h.text for h in driver.find_elements(By.CSS_SELECTOR, "#ov thead th a")] == sections
        # then the matrix: its header row and its first rows of checks
        first = driver.find_elements(By.CSS_SELECTOR, "#matrix tr.check")[:2]
        assert all(r.rect["y"] + r.rect["height"] <= height for r in first)
        # the run table and the legend are folded away
        for folded in ("run", "legend"):
            assert driver.find_element(By.ID, folded).get_attribute("open") is None
        assert driver.save_screenshot(str(tmp_path / "report-top.png"))
    finally:
        driver.set_window_size(*WINDOW)
    assert console_errors(driver) == []


def test_overview_cells_are_coloured_by_their_worst_verdict_and_lead_to_their_section(driver, demo) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    result, page = demo
    load(driver, page)
    colour = {}
    for status in Status:  # the colour of each verdict, as the matrix shows it
        cells = driver.find_elements(By.CSS_SELECTOR, f"#matrix td.st-{status.value}")
        if cells:
            colour[status.value] = cells[0].value_of_css_property("background-color")
    assert {"pass", "fail", "warn"} <= set(colour)
    seen = set()
    for row in driver.find_elements(By.CSS_SELECTOR, "#ov tbody tr"):
        provider = row.get_attribute("data-provider")
        for td in row.find_elements(By.CSS_SELECTOR, "td"):
            worst = expected_worst(result, provider, td.get_attribute("data-section"))
            assert td.get_attribute("data-worst") == worst, (provider, td.get_attribute("data-section"))
            assert td.value_of_css_property("background-color") == colour[worst], (provider, worst)
            seen.add(worst)
    assert {"pass", "warn", "fail"} <= seen  # the demo has real differences

    # A cell leads to its section of the matrix, shown right under the sticky header ...
    cell = driver.find_element(By.CSS_SELECTOR, '#ov tr[data-provider="old-gateway"] td[data-section="tools"] a')
    assert cell.text.startswith("✗ ") and cell.get_attribute("title").startswith("old-gateway · tools: ")
    cell.click()
    WebDriverWait(driver, 5).until(lambda d: d.execute_script("return location.hash") == "#section-tools")
    WebDriverWait(driver, 5).until(lambda d: d.execute_script("return window.scrollY") > 300)
    assert_just_below_the_header(driver, "#section-tools")
    # ... even when the filters had hidden it.
    load(driver, page)
    Select(driver.find_element(By.ID, "section")).select_by_value("chat")
    assert not driver.find_element(By.ID, "section-streaming").is_displayed()
    driver.find_element(By.CSS_SELECTOR, '#ov tr[data-provider="reference"] td[data-section="streaming"] a').click()
    WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "section-streaming").is_displayed())
    assert_just_below_the_header(driver, "#section-streaming")
    assert console_errors(driver) == []


@pytest.fixture(scope="module")
def tall(tmp_path_factory: pytest.TempPathFactory, demo_run: RunResult) -> tuple[RunResult, Path]:
    """The demo with long provider, host and model names: a sticky header much taller than usual."""
    result = copy.deepcopy(demo_run)
    for p in result.providers:
        p.models["chat"] = "organisation/very-long-model-name-" + "x" * 60 + "-instruct-v2-q4_k_m"
        p.base_url = "https://" + "gateway-" * 8 + "eu-west-1.example.com/v1"
    out = tmp_path_factory.mktemp("tall-report")
    return result, write_reports(result, out)["html"]


@pytest.mark.parametrize("report", ["demo", "tall", "grouped"])
@pytest.mark.parametrize("check_id", ["tools.named", "streaming.done", "errors.format"])
def test_following_a_check_link_leaves_its_row_below_the_sticky_header(driver, request, report: str, check_id: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    _, page = request.getfixturevalue(report)
    row = f'tr[data-check="{check_id}"]'
    load(driver, page, f"#{check_id}")
    driver.execute_script("return new Promise(function (done) { setTimeout(done, 100); })")  # after the load-time scroll
    assert driver.execute_script("return window.scrollY") > 300
    assert_just_below_the_header(driver, row)
    # and following a link within the page (hashchange) does the same
    driver.execute_script("window.scrollTo(0, 0); location.hash = 'limits.concurrency'")
    WebDriverWait(driver, 5).until(lambda d: d.execute_script("return window.scrollY") > 300)
    assert_just_below_the_header(driver, 'tr[data-check="limits.concurrency"]')
    assert console_errors(driver) == []


def test_check_titles_show_their_code_spans_in_the_matrix_and_the_evidence(driver, demo, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    result, page = demo
    title = next(c.title for c in result.checks if c.id == "streaming.done")
    assert "`data: [DONE]`" in title  # the checklist's own wording
    load(driver, page)
    ctitle = driver.find_element(By.CSS_SELECTOR, 'tr[data-check="streaming.done"] .ctitle')
    assert ctitle.text == title.replace("`", "")
    assert [c.text for c in ctitle.find_elements(By.TAG_NAME, "code")] == ["data: [DONE]"]
    open_evidence(driver, cell(driver, result, "streaming.done", "old-gateway"))
    check = next(p for p in driver.find_elements(By.CSS_SELECTOR, "#panel-body p") if p.text.startswith("Check: "))
    assert [c.text for c in check.find_elements(By.TAG_NAME, "code")] == ["data: [DONE]"]
    assert check.text == "Check: " + title.replace("`", "") + " (measures: protocol)"
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert console_errors(driver) == []


def test_what_will_break_lists_each_providers_failures_and_opens_their_evidence(driver, demo) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    result, page = demo
    load(driver, page)
    driver.find_element(By.CSS_SELECTOR, '#ov tr[data-provider="old-gateway"] .ov-name').click()
    block = driver.find_element(By.ID, "breaks-old-gateway")
    WebDriverWait(driver, 5).until(lambda d: 0 <= block.rect["y"] - d.execute_script("return window.scrollY") < 200)
    listed = [li.find_element(By.TAG_NAME, "a").text for li in block.find_elements(By.TAG_NAME, "li")]
    expected = [v.check_id for c in result.checks for v in result.verdicts
                if v.provider == "old-gateway" and v.check_id == c.id and v.status in (Status.FAIL, Status.UNSUPPORTED)]
    assert sorted(listed) == sorted(expected) and listed
    headings = [h.text.rsplit(" (", 1)[0] for h in block.find_elements(By.TAG_NAME, "h4")]
    assert "tool calling" in headings and "streaming and limits" in headings
    # one line each
    for li in block.find_elements(By.TAG_NAME, "li")[:5]:
        assert li.rect["height"] < 30, li.text
    line = next(li for li in block.find_elements(By.TAG_NAME, "li") if li.find_element(By.TAG_NAME, "a").text == "streaming.done")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", line)
    open_evidence(driver, line.find_element(By.CSS_SELECTOR, "button.ev"))
    assert driver.find_element(By.ID, "panel-title").text == "streaming.done — old-gateway"
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert console_errors(driver) == []


def test_counts_in_the_evidence_are_in_words_that_agree(driver, demo_run, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    result = copy.deepcopy(demo_run)
    v = find_verdict(result, "reference", "chat.basic")
    v.exchanges = list(v.exchanges)  # the run keeps them packed; a list to edit
    response = v.exchanges[0].response
    assert response is not None and not response.sse_lines
    response.body, response.size_bytes = "x", 1
    page = write_reports(result, tmp_path)["html"]
    load(driver, page)
    open_evidence(driver, cell(driver, result, "chat.basic", "reference"))
    text = driver.find_element(By.ID, "panel-body").text
    assert "Body (1 byte received)" in text
    assert console_errors(driver) == []


# ------------------------------------------------------------------------------------- badges


def test_badges_render_in_chromium(driver, demo_run, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    from selenium.webdriver.common.by import By

    from conformance.report.badge import COLOURS, LABEL_COLOUR, write_badges
    from tests.reports.png import close, hex_rgb, pixels

    written = write_badges(demo_run, tmp_path / "badges")
    assert [b.provider for _, b in written] == [p.name for p in demo_run.providers]
    imgs = "".join(f'<p><img id="b{n}" src="badges/{path.name}" alt=""></p>' for n, (path, _) in enumerate(written))
    page = tmp_path / "badges.html"
    page.write_text(f'<!DOCTYPE html><html><body style="background:#fff">{imgs}</body></html>', encoding="utf-8")
    load(driver, page)
    assert driver.save_screenshot(str(tmp_path / "badges.png"))
    ns = "{http://www.w3.org/2000/svg}"
    for n, (path, badge) in enumerate(written):
        svg = ET.parse(path).getroot()
        assert ["".join(t.itertext()) for t in svg.iter(f"{ns}text")] == [badge.provider, badge.message]
        expected = "pass" if badge.provider in ("reference", "unusual-but-legal") else "fail"
        assert badge.worst == expected and badge.message.endswith(f" · {expected}")
        img = driver.find_element(By.ID, f"b{n}")
        natural = driver.execute_script("return [arguments[0].complete, arguments[0].naturalWidth, arguments[0].naturalHeight]", img)
        assert natural == [True, int(svg.get("width") or 0), 20], path.name  # it loaded, at its own size
        # The pixels on screen: the label half is the label colour, the message half the verdict's.
        width, height, rows = pixels(img.screenshot_as_png)
        label_w = int(list(svg.iter(f"{ns}rect"))[1].get("x") or 0)
        scale = width / int(svg.get("width") or 1)
        y = 2 * height // 20  # above the text
        label_px, message_px = rows[y][int(3 * scale)], rows[y][int((label_w + 6) * scale)]
        assert close(label_px, hex_rgb(LABEL_COLOUR)) and close(message_px, hex_rgb(COLOURS[expected])), path.name
        # and, whatever the palette says, green means pass and red means fail to the eye; the label is grey
        r, g, b = message_px
        assert (g > r + 40 and g > b + 20) if expected == "pass" else (r > g + 80 and r > b + 80), (path.name, message_px)
        assert max(label_px) - min(label_px) < 30, label_px
        # and the text is drawn: white pixels in each half
        middle = rows[height // 2]
        assert any(close(p, (255, 255, 255), 40) for p in middle[: int(label_w * scale)])
        assert any(close(p, (255, 255, 255), 40) for p in middle[int(label_w * scale):])
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
    opened = driver.execute_async_script(_OPEN_EACH, "button.cell")
    assert opened == len(result.verdicts)
    # And one for real, left open: the payload is on screen as text.
    open_evidence(driver, cell(driver, result, "errors.format", "hostile-server"))
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


def test_hostile_names_in_the_new_parts_and_the_badges_run_nothing(driver, hostile_content_run, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    from conformance.report.badge import write_badges
    from tests.reports.runs import renamed

    result = renamed(hostile_content_run)
    page = write_reports(result, tmp_path / "report")["html"]
    load(driver, page)
    before = driver.execute_script(_DANGER_PROBE)
    assert before["planted"] == before["handlers"] == 0 and before["scripts"] == 2
    names = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#ov .ov-name")]
    assert names[0].startswith("flavour <script>window.__pwned=1") and names[0].endswith("\\u202egnp.exe")
    # Follow every link of the overview and open every line of "what will break".
    links = driver.execute_script(
        "var n = 0; document.querySelectorAll('#ov a').forEach(function (a) { a.click(); n += 1; }); return n;")
    assert links > 10
    opened = driver.execute_async_script(_OPEN_EACH, "button.ev")
    assert opened == sum(v.status in (Status.FAIL, Status.UNSUPPORTED) for v in result.verdicts)
    after = driver.execute_script(_DANGER_PROBE)
    assert after["pwned"] == "undefined" and after["title"] == before["title"]
    assert (after["planted"], after["handlers"], after["scripts"]) == (0, 0, 2)
    # A badge opened as a document of its own (where an SVG's scripts would run) runs nothing either.
    for path, _ in write_badges(result, tmp_path / "badges"):
        load(driver, path)
        probe = driver.execute_script(
            "return {scripts: document.getElementsByTagName('script').length, pwned: typeof window.__pwned,"
            " handlers: Array.prototype.filter.call(document.querySelectorAll('*'), function (el) {"
            "   return Array.prototype.some.call(el.attributes, function (a) { return /^on/i.test(a.name); }); }).length,"
            " text: Array.prototype.map.call(document.querySelectorAll('text'), function (t) { return t.textContent; })};")
        assert probe["scripts"] == probe["handlers"] == 0 and probe["pwned"] == "undefined", path.name
        assert len(probe["text"]) == 2
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


# ------------------------------------------------------------------ a gateway swept model by model


@pytest.fixture(scope="module")
def grouped(tmp_path_factory: pytest.TempPathFactory, grouped_run: RunResult) -> tuple[RunResult, Path]:
    out = tmp_path_factory.mktemp("grouped-report")
    return grouped_run, write_reports(grouped_run, out)["html"]


_HEAD_BOXES = """
function box(e) { var r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }
var head = document.querySelector('#matrix thead');
return {
  corner: box(head.querySelector('th.corner')),
  group: box(head.querySelector('th.pgroup')),
  models: Array.prototype.map.call(head.querySelectorAll('tr.pmodels th'), box),
  own: Array.prototype.map.call(head.querySelectorAll('tr.pgroups th[data-provider]'), box),
  cells: Array.prototype.map.call(document.querySelectorAll(arguments[0]), box)
};
"""
"""Where the header's cells are, in window coordinates, and the cells the selector (arguments[0]) finds."""


def test_a_gateways_models_sit_under_its_name_which_stays_in_view(driver, grouped, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    from tests.reports.runs import GATEWAY, GATEWAY_MODELS

    result, page = grouped
    swept = [p for p in result.providers if p.group == GATEWAY]
    load(driver, page)
    assert driver.find_element(By.CSS_SELECTOR, "#matrix th.pgroup").text == GATEWAY
    heads = driver.find_elements(By.CSS_SELECTOR, "#matrix tr.pmodels th .pname")
    assert [h.text.replace("\n", "") for h in heads] == [p.models["chat"] for p in swept]  # (a long name may wrap at its hyphens)
    assert [h.get_attribute("title") for h in heads] == [p.name for p in swept]

    last = f'tr[data-check="sdk.chat"] > :nth-child(n+{column(result, swept[0].name)}):nth-child(-n+{column(result, swept[-1].name)})'
    for scrolled in (False, True):
        if scrolled:  # far down the matrix: both header rows stuck to the top of the window
            driver.execute_script("document.querySelector('tr[data-check=\"sdk.chat\"]').scrollIntoView({block: 'center'})")
        boxes = driver.execute_script(_HEAD_BOXES, last)
        group, models = boxes["group"], boxes["models"]
        assert len(models) == len(boxes["cells"]) == GATEWAY_MODELS
        # The gateway's name spans exactly its models' columns, right above them ...
        assert abs(group["left"] - models[0]["left"]) <= 1 and abs(group["right"] - models[-1]["right"]) <= 1
        assert all(abs(m["top"] - group["bottom"]) <= 1.5 for m in models), (group, models)
        # ... and each model's head is right above its column's cells.
        for head, cell_box in zip(models, boxes["cells"], strict=True):
            assert abs(head["left"] - cell_box["left"]) <= 1 and abs(head["right"] - cell_box["right"]) <= 1
        # A provider that is its own column spans both header rows.
        assert boxes["own"] and all(abs(o["top"] - group["top"]) <= 1 and abs(o["bottom"] - models[0]["bottom"]) <= 1.5 for o in boxes["own"])
        if scrolled:
            assert abs(group["top"]) <= 1 and abs(boxes["corner"]["top"]) <= 1, boxes
            assert all(cell_box["top"] >= models[0]["bottom"] - 1 for cell_box in boxes["cells"])  # not under the header

    # A model's cell opens its evidence under the column's full name.
    failing = next(v for v in result.verdicts if v.provider == swept[1].name and v.status == Status.FAIL)
    open_evidence(driver, cell(driver, result, failing.check_id, swept[1].name))
    assert driver.find_element(By.ID, "panel-title").text == f"{failing.check_id} — {swept[1].name}"
    driver.find_element(By.ID, "panel-close").click()
    driver.execute_script("window.scrollTo(0, 0)")
    png = tmp_path / "report-groups.png"
    assert driver.save_screenshot(str(png))
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert console_errors(driver) == []
