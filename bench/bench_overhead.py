"""Overhead: the suite's own CPU per request (validation, SSE parsing, evidence capture, redaction,
scheduling) against a bare httpx loop sending the same requests to the same server, which runs in
its own process with no latency. Target: suite / bare <= 2.0.

    python bench/bench_overhead.py

How it is measured:
- Per request, not per run: the suite's figure is the CPU of a run of LARGE providers minus that of
  SMALL providers, over the difference in requests. What a run pays once (interpreter start,
  imports, compiling the schemas, the report skeleton) cancels out; the per-verdict share of the
  reports does not.
- Without the sdk.* checks on both sides: their CPU is the official SDK building its pydantic
  models, which is what those checks exist to exercise, not overhead of the suite. Their cost per
  request is printed beside it.
- The bare loop sends with httpx.AsyncClient, the client the suite sends with, and reads each answer
  whole; a synchronous httpx.Client loop is printed for reference.
- Each figure is the least of three runs: noise on a shared machine only ever adds.
The figure as first measured (one run of 10 providers, start-up, reports and SDK included, over the
synchronous loop) is printed too, to compare with earlier notes.
"""

from __future__ import annotations

import asyncio
import json
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from common import KEY, Measure, external_reference, providers_file, run_cli, scratch, verdict

SMALL, LARGE = 5, 45
ROUNDS = 3


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _prepared(r: dict[str, Any], base: str) -> tuple[str, str, dict[str, str], bytes | None]:
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    url = base + r["url"].split("/v1", 1)[1] if "/v1" in r["url"] else r["url"]
    body = r["body"]
    content = body.encode() if isinstance(body, str) else (json.dumps(body).encode() if body is not None else None)
    return r["method"], url, headers, content


def replay(requests: list[dict[str, Any]], base: str, rounds: int) -> tuple[float, int]:
    """CPU seconds a synchronous httpx.Client loop spends sending ``requests`` ``rounds`` times and reading each answer whole."""
    before, sent = _cpu(), 0
    with httpx.Client(timeout=60) as client:
        for _ in range(rounds):
            for r in requests:
                method, url, headers, content = _prepared(r, base)
                with client.stream(method, url, headers=headers, content=content) as response:
                    for _ in response.iter_bytes():
                        pass
                sent += 1
    return _cpu() - before, sent


def replay_async(requests: list[dict[str, Any]], base: str, rounds: int) -> tuple[float, int]:
    """The same with httpx.AsyncClient, as the suite sends."""

    async def loop() -> int:
        sent = 0
        async with httpx.AsyncClient(timeout=60) as client:
            for _ in range(rounds):
                for r in requests:
                    method, url, headers, content = _prepared(r, base)
                    async with client.stream(method, url, headers=headers, content=content) as response:
                        async for _ in response.aiter_bytes():
                            pass
                    sent += 1
        return sent

    before = _cpu()
    sent = asyncio.run(loop())
    return _cpu() - before, sent


def requests_of(measure: Measure) -> int:
    return sum(p["requests"] for p in measure.results["providers"])


def per_request(tmp: Path, base: str, selection: list[str], label: str) -> float:
    """Milliseconds of the suite's CPU per request: least CPU at LARGE minus least at SMALL, over the requests between."""
    least: dict[int, Measure] = {}
    for n in (SMALL, LARGE) * ROUNDS:
        folder = tmp / f"{label}-{n}"
        folder.mkdir(exist_ok=True)
        measure = run_cli(providers_file(folder, [base] * n, external=True), folder / "out", *selection)
        if n not in least or measure.cpu_s < least[n].cpu_s:
            least[n] = measure
    small, large = least[SMALL], least[LARGE]
    return (large.cpu_s - small.cpu_s) / (requests_of(large) - requests_of(small)) * 1000


def least_ms(run: Callable[[], tuple[float, int]]) -> float:
    return min(cpu / sent * 1000 for cpu, sent in (run() for _ in range(ROUNDS)))


def main() -> bool:
    from conformance.checklist import all_checks

    areas = sorted({c.id.split(".")[0] for c in all_checks()} - {"sdk"})
    without_sdk = [arg for area in areas for arg in ("--check", f"{area}.*")]
    with scratch() as folder, external_reference() as base:
        tmp = Path(folder)
        first = run_cli(providers_file(tmp, [base] * 10, external=True), tmp / "first")
        recorded = [e["request"] for r in first.results["results"] if r["provider"] == "p000" and not r["check_id"].startswith("sdk.")
                    for e in r["exchanges"]]
        unique = list({(e["method"], e["url"], json.dumps(e["body"], sort_keys=True)): e for e in recorded}.values())
        suite_ms = per_request(tmp, base, without_sdk, "suite")
        sdk_ms = per_request(tmp, base, ["--check", "sdk.*"], "sdk")
        bare_async_ms = least_ms(lambda: replay_async(unique, base, LARGE - SMALL))
        bare_sync_ms = least_ms(lambda: replay(unique, base, LARGE - SMALL))
    whole_ms = first.cpu_s / requests_of(first) * 1000
    ratio = suite_ms / bare_async_ms
    print(f"suite, every check but sdk.*: {suite_ms:.2f} ms of CPU a request ({LARGE} providers minus {SMALL}, least of {ROUNDS})")
    print(f"  the sdk.* checks alone: {sdk_ms:.2f} ms a request (the official SDK building its models; not in the ratio)")
    print(f"bare httpx.AsyncClient loop, the same {len(unique)} requests x {LARGE - SMALL}: {bare_async_ms:.2f} ms a request "
          f"(synchronous httpx.Client: {bare_sync_ms:.2f} ms)")
    print(f"as first measured: a whole run of 10 providers, start-up, reports and SDK included, {whole_ms:.2f} ms a request "
          f"= {whole_ms / bare_sync_ms:.1f}x the synchronous loop")
    ok = ratio <= 2.0
    print(f"suite / bare = {ratio:.2f} (over the synchronous loop: {suite_ms / bare_sync_ms:.2f}); target <= 2.0: {verdict(ok)}")
    return ok


if __name__ == "__main__":
    main()
