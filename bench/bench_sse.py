"""How the strict SSE reader scales: one long line fed in small network chunks vs all at once.

A reader that rescans its partial line on every feed is quadratic in the line length; ours
should cost about the same however the bytes arrive. Prints ratios, asserts nothing:

    python bench/bench_sse.py
"""

from __future__ import annotations

import json
import time

from conformance.sse import SSEReader


def read(stream: bytes, chunk: int) -> float:
    reader = SSEReader()
    started = time.perf_counter()
    events = [e for i in range(0, len(stream), chunk) for e in reader.feed(stream[i : i + chunk])]
    elapsed = time.perf_counter() - started
    assert len(events) == 1
    return elapsed


CHUNK = (
    b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m",'
    b'"choices":[{"index":0,"delta":{"content":" 42"},"finish_reason":null}]}\n\n'
)


def strict_rate(stream: bytes, feed: int) -> float:
    """Chunks a second through the strict reader (fed as the network would, ``feed`` bytes at a time) and json.loads."""
    reader = SSEReader()
    started = time.perf_counter()
    count = sum(1 for i in range(0, len(stream), feed) for e in reader.feed(stream[i : i + feed]) if json.loads(e.data))
    return count / (time.perf_counter() - started)


def naive_rate(stream: bytes) -> float:
    """Chunks a second through the plain loop most clients use: split lines, strip `data: `, json.loads."""
    started = time.perf_counter()
    count = sum(1 for line in stream.decode().splitlines() if line.startswith("data: ") and json.loads(line[6:]))
    return count / (time.perf_counter() - started)


def main() -> bool:
    chunks = 50_000
    stream = CHUNK * chunks
    strict = max(strict_rate(stream, 4096) for _ in range(3))
    naive = max(naive_rate(stream) for _ in range(3))
    ok = naive / strict <= 2.0
    print(f"{chunks:,} chat chunks: strict reader {strict:,.0f} chunks/s, plain iter_lines + json.loads {naive:,.0f} chunks/s; "
          f"plain / strict = {naive / strict:.2f} (target <= 2): {'met' if ok else 'MISSED'}")
    long_lines()
    return ok


def long_lines() -> None:
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
