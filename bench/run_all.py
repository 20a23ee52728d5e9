"""Every benchmark, one after the other, with a line per target at the end:

    python bench/run_all.py [--quick]

Targets are ratios measured side by side in one run, never absolute times (a benchmark is not a
test: nothing here fails the build). --quick uses smaller sizes (1/10 of the providers).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_cost
import bench_critical_path
import bench_embedded_scale
import bench_overhead
import bench_size
import bench_sse


def main() -> None:
    quick = "--quick" in sys.argv
    runs: list[tuple[str, Callable[[], bool]]] = [
        ("critical path", bench_critical_path.main),
        ("overhead", bench_overhead.main),
        ("embedded scale", lambda: bench_embedded_scale.main(5 if quick else 50)),
        ("size", lambda: bench_size.main(30 if quick else 300)),
        ("cost", bench_cost.main),
        ("SSE reader", bench_sse.main),
    ]
    outcome = {}
    for name, run in runs:
        print(f"\n== {name} ==")
        started = time.perf_counter()
        outcome[name] = run()
        print(f"({time.perf_counter() - started:.0f} s)")
    print("\n== targets ==")
    for name, ok in outcome.items():
        print(f"  {name:<15} {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
