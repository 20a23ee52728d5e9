"""What the benchmarks share: an external reference server, providers files, and timing a CLI run
in a child process (wall time, CPU time and peak memory of that child alone, from os.wait4)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEY = "sk-bench-0123456789abcdef0123456789abcdef"
MODELS = "{chat: reference-chat, vision: reference-vision}"


@dataclass(frozen=True)
class Measure:
    wall_s: float
    cpu_s: float
    max_rss_mb: float
    returncode: int
    results: dict[str, Any]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def external_reference(*args: str) -> Iterator[str]:
    """``python -m conformance.reference`` in a child process; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.reference", "--port", str(port), "--api-key", KEY, "--quiet", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": f"Bearer {KEY}"})
                urllib.request.urlopen(request, timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the external reference server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(10)


def providers_file(folder: Path, base_urls: list[str], *, settings: str = "", external: bool = False) -> Path:
    lines = [f"settings: {{{settings}}}" if settings else "", "providers:"]
    for i, base in enumerate(base_urls):
        lines.append(f"  - name: p{i:03d}\n    base_url: {base}\n    models: {MODELS}")
        if external:
            lines.append("    api_key: ${BENCH_KEY}")
    path = folder / "providers.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_cli(providers: Path, out: Path, *extra: str) -> Measure:
    """One `conformance run` in a child process, measured alone (os.wait4 gives its own rusage)."""
    env = {**os.environ, "BENCH_KEY": KEY, "NO_COLOR": "1"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance", "run", "--providers", str(providers), "--out", str(out), *extra],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    results = json.loads((out / "results.json").read_text(encoding="utf-8")) if (out / "results.json").exists() else {}
    return Measure(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode, results)


def scratch() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="conformance-bench-")


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"
