"""Size: 1, 100 and 300 providers on one external reference server. Targets: time per provider
stays flat (linear growth), peak memory at 300 <= 400 MB, no connection fails for want of file
descriptors, report.html for 300 columns at most 2x the size per cell of the 5-column report, and
it opens in headless Chromium in under 3 s.

    python bench/bench_size.py [LARGEST]
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from common import external_reference, providers_file, run_cli, scratch, verdict

PAINTED = """
var done = arguments[arguments.length - 1];
requestAnimationFrame(function () { requestAnimationFrame(function () { done(document.getElementById('matrix') !== null); }); });
"""
"""Calls back once the browser has laid out and painted the loaded page: a frame after the first
frame that follows the load event (the load alone leaves styling and layout of the matrix to come)."""


def open_in_chromium(page: Path) -> float | None:
    """Seconds from asking for the page until it is loaded, laid out and painted with its matrix,
    or None without Chromium and selenium."""
    try:
        from selenium import webdriver
        from selenium.webdriver.common.by import By
    except ImportError:
        return None
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        return None
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=shutil.which("chromedriver") or ""))
    try:
        driver.set_script_timeout(60)
        started = time.perf_counter()
        driver.get(page.as_uri())
        assert driver.execute_async_script(PAINTED), "the page has no matrix"
        elapsed = time.perf_counter() - started
        driver.find_element(By.CSS_SELECTOR, "#matrix button.cell")  # it did render cells, not an empty table
        return elapsed
    finally:
        driver.quit()


def main(largest: int = 300) -> bool:
    sizes = (1, 5, 100, largest)
    measures = {}
    with scratch() as folder, external_reference() as base:
        tmp = Path(folder)
        for n in sizes:
            (tmp / str(n)).mkdir()
            measures[n] = run_cli(providers_file(tmp / str(n), [base] * n, external=True), tmp / str(n) / "out")
            html = tmp / str(n) / "out" / "report.html"
            m = measures[n]
            checks = len(m.results["checks"])
            errors = sum(1 for r in m.results["results"] if r["status"] == "error")
            per_cell = html.stat().st_size / (n * checks)
            print(f"N = {n:>3}: {m.wall_s:6.1f} s ({m.wall_s / n:.2f} s a provider), peak {m.max_rss_mb:5.0f} MB, "
                  f"{errors} error verdicts, report.html {html.stat().st_size / 1e6:.1f} MB ({per_cell / 1000:.1f} kB a cell)")
            if n == largest:
                opened = open_in_chromium(html)
        small = (tmp / "5" / "out" / "report.html").stat().st_size / (5 * checks)
        large = (tmp / str(largest) / "out" / "report.html").stat().st_size / (largest * checks)
    per = {n: measures[n].wall_s / n for n in sizes}
    linear = per[largest] <= 1.5 * per[100]
    memory = measures[largest].max_rss_mb <= 400
    errors_ok = all(r["status"] != "error" for m in measures.values() for r in m.results["results"])
    ratio = large / small
    size_ok = ratio <= 2
    print(f"time a provider at {largest} / at 100 = {per[largest] / per[100]:.2f} (linear, target <= 1.5): {verdict(linear)}")
    print(f"peak memory at {largest}: {measures[largest].max_rss_mb:.0f} MB (target <= 400): {verdict(memory)}")
    print(f"no error verdict (no request failed for want of descriptors or otherwise): {verdict(errors_ok)}")
    print(f"report.html a cell: {large / 1000:.2f} kB at {largest} columns vs {small / 1000:.2f} kB at 5, "
          f"ratio {ratio:.2f} (target <= 2): {verdict(size_ok)}")
    if opened is None:
        print("opening in Chromium: not measured (no chromium/chromedriver or selenium)")
        return linear and memory and errors_ok and size_ok
    print(f"report.html for {largest} columns opens in Chromium in {opened:.2f} s (target < 3 s): {verdict(opened < 3)}")
    return linear and memory and errors_ok and size_ok and opened < 3


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
