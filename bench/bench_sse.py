"""How the strict SSE reader scales: one long line fed in small network chunks vs all at once.

A reader that rescans its partial line on every feed is quadratic in the line length; ours
should cost about the same however the bytes arrive. Prints ratios, asserts nothing:

    python bench/bench_sse.py
"""

from __future__ import annotations

import time

from conformance.sse import SSEReader


def read(stream: bytes, chunk: int) -> float:
    reader = SSEReader()
    started = time.perf_counter()
    events = [e for i in range(0, len(stream), chunk) for e in reader.feed(stream[i : i + chunk])]
    elapsed = time.perf_counter() - started
    assert len(events) == 1
    return elapsed


def main() -> None:
    print(f"{'line length':>12} {'one feed':>10} {'1 KB feeds':>11} {'ratio':>7}")
    baseline_per_byte = None
    for size in (100_000, 1_000_000, 4_000_000):
        stream = b"data: " + b"x" * size + b"\n\n"
        whole = min(read(stream, len(stream)) for _ in range(3))
        chunked = min(read(stream, 1024) for _ in range(3))
        per_byte = chunked / size
        baseline_per_byte = baseline_per_byte or per_byte
        print(f"{size:>12,} {whole * 1000:>8.1f}ms {chunked * 1000:>9.1f}ms {chunked / whole:>7.1f}"
              f"   (cost per byte vs 100 KB: {per_byte / baseline_per_byte:.2f}x)")
    # Ratio of chunked to one-shot, and per-byte cost that stays flat as the line grows, both mean linear.


if __name__ == "__main__":
    main()
