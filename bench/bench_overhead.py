"""Overhead: the suite's CPU per request (validation, SSE parsing, evidence, redaction, the
scheduler) against a bare httpx loop sending the same requests to the same server, which runs in
its own process with no latency. Target: suite / bare <= 2.0.

    python bench/bench_overhead.py
"""

from __future__ import annotations

import json
import resource
from pathlib import Path
from typing import Any

import httpx
from common import KEY, external_reference, providers_file, run_cli, scratch, verdict

PROVIDERS = 10


def replay(requests: list[dict[str, Any]], base: str, rounds: int) -> tuple[float, int]:
    """CPU seconds this process spends sending ``requests`` ``rounds`` times and reading each answer whole."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    sent = 0
    with httpx.Client(timeout=60) as client:
        for _ in range(rounds):
            for r in requests:
                headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
                url = base + r["url"].split("/v1", 1)[1] if "/v1" in r["url"] else r["url"]
                body = r["body"]
                content = body.encode() if isinstance(body, str) else (json.dumps(body).encode() if body is not None else None)
                with client.stream(r["method"], url, headers=headers, content=content) as response:
                    for _ in response.iter_bytes():
                        pass
                sent += 1
    after = resource.getrusage(resource.RUSAGE_SELF)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), sent


def main() -> bool:
    with scratch() as folder, external_reference() as base:
        tmp = Path(folder)
        measure = run_cli(providers_file(tmp, [base] * PROVIDERS, external=True), tmp / "out")
        requests = measure.results["providers"]
        count = sum(p["requests"] for p in requests)
        # The same requests as the run sent (its evidence), minus the SDK's (the SDK is the point of those).
        recorded = [e["request"] for r in measure.results["results"] if r["provider"] == "p000" and not r["check_id"].startswith("sdk.")
                    for e in r["exchanges"]]
        unique = list({(e["method"], e["url"], json.dumps(e["body"], sort_keys=True)): e for e in recorded}.values())
        bare_cpu, bare_sent = replay(unique, base, PROVIDERS)
    suite_ms = measure.cpu_s / count * 1000
    bare_ms = bare_cpu / bare_sent * 1000
    ratio = suite_ms / bare_ms
    print(f"suite: {measure.cpu_s:.2f} s CPU for {count} requests ({PROVIDERS} providers) = {suite_ms:.2f} ms a request "
          f"(interpreter start and reports included)")
    print(f"bare httpx: {bare_cpu:.2f} s CPU for {bare_sent} requests = {bare_ms:.2f} ms a request")
    ok = ratio <= 2.0
    print(f"suite / bare = {ratio:.2f}; target <= 2.0: {verdict(ok)}")
    return ok


if __name__ == "__main__":
    main()
