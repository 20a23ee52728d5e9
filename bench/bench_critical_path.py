"""Critical path: with the reference provider as slow as a remote model (200 ms before each answer,
20 ms between stream parts), how close does a run of N providers come to the longest chain of
requests that must wait for each other (a check's own requests, one after another, after its
prerequisites')? Targets: run time / critical path <= 1.5 at every N, and N = 50 within 1.3x of N = 1.

The run time is results.json's duration (the run itself: no interpreter start, no reports).
Concurrency is raised to 32 requests a provider so that the politeness bound (4 by default) is not
what is measured; the figure with the default is printed too.

Every request costs CPU twice on this machine, in the suite and in the embedded server (a child
process of the run, its CPU counted with the run's): the run cannot be shorter than that CPU spread
over every core. That floor is printed beside each N: where the run is close to max(critical path,
CPU / cores), the scheduling is not what is slow. (The floor is optimistic: the suite is one
process, so its share of the CPU cannot be spread.)

    python bench/bench_critical_path.py
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from common import providers_file, run_cli, scratch, verdict

from conformance.checklist import all_checks

LATENCY = "embedded:reference?latency_ms=200&chunk_ms=20"


def critical_path_s(results: dict[str, Any]) -> tuple[float, list[str]]:
    """The longest chain of dependent requests of one provider, from one run's exchanges."""
    provider = results["providers"][0]["name"]
    own = {r["check_id"]: sum(e["elapsed_ms"] for e in r["exchanges"]) / 1000 for r in results["results"] if r["provider"] == provider}
    depends = {c.id: c.depends_on for c in all_checks()}

    @cache
    def chain(check: str) -> tuple[float, tuple[str, ...]]:
        before = max((chain(d) for d in depends.get(check, ())), default=(0.0, ()))
        return before[0] + own.get(check, 0.0), (*before[1], check)

    longest = max((chain(c) for c in own), key=lambda x: x[0])
    return longest[0], list(longest[1])


def main() -> bool:
    walls: dict[int, float] = {}
    cpus: dict[int, float] = {}
    with scratch() as folder:
        tmp = Path(folder)
        for n in (1, 10, 50):
            (tmp / str(n)).mkdir()
            measure = run_cli(providers_file(tmp / str(n), [LATENCY] * n, settings="max_concurrency: 32"), tmp / str(n) / "out")
            walls[n] = measure.results["run"]["duration_s"]
            cpus[n] = measure.cpu_s
            if n == 1:
                path, chain = critical_path_s(measure.results)
        (tmp / "d").mkdir()
        default = run_cli(providers_file(tmp / "d", [LATENCY]), tmp / "d" / "out").results["run"]["duration_s"]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    print(f"critical path of one provider: {path:.2f} s ({' → '.join(chain)})")
    ok = True
    for n, wall in walls.items():
        ratio = wall / path
        ok &= ratio <= 1.5
        floor = max(path, cpus[n] / cores)
        print(f"  N = {n:>2}: run {wall:.2f} s, run / critical path = {ratio:.2f} (target <= 1.5: {verdict(ratio <= 1.5)}); "
              f"CPU {cpus[n]:.1f} s (suite and server, start-up and reports included), run / max(critical path, CPU / {cores} cores) = {wall / floor:.2f}")
    scale = walls[50] / walls[1]
    ok &= scale <= 1.3
    print(f"  N = 50 / N = 1 = {scale:.2f} (target <= 1.3: {verdict(scale <= 1.3)})")
    print(f"  (with the default max_concurrency 4, N = 1 runs {default:.2f} s: {default / path:.2f}x the critical path)")
    return ok


if __name__ == "__main__":
    main()
