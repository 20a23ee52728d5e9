"""The run's embedded providers served from a child process.

In the suite's own process the hub's server took the interpreter lock from the client for every
request it answered: fifty embedded providers ran 1.5 times as long as the same fifty served by
an external reference process, and every request cost CPU twice on one core. The child is the
same :class:`ReferenceHub`, driven over its stdin: one JSON line per provider to add, answered
with one JSON line holding its base URL (or why it could not be served).

The child ignores Ctrl-C (the terminal sends it to the whole process group; the parent decides
when its providers stop, after the interrupted run's reports are written) and exits when its
stdin closes, so a parent that dies leaves no server behind.

The child runs :func:`main`; it is not for use by hand.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from .flavour import Flavour

STOP_TIMEOUT_S = 12.0
"""The child stops its server gracefully (up to 5 s), then forcibly (5 s more): past this it is killed."""


class Hub(Protocol):
    def add(
        self, *, api_key: str | None, models: Sequence[str], flavour: Flavour, latency_ms: float = 0.0, chunk_ms: float = 0.0,
    ) -> str: ...

    def stop(self) -> None: ...


class HubProcess:
    """A :class:`ReferenceHub` in a child process, started on the first :meth:`add`, stopped by its PID."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def add(
        self, *, api_key: str | None, models: Sequence[str], flavour: Flavour, latency_ms: float = 0.0, chunk_ms: float = 0.0,
    ) -> str:
        """Serve one more provider; returns its base URL (ending in /v1)."""
        request = {
            "api_key": api_key, "models": list(models), "deviations": sorted(flavour.deviations),
            "latency_ms": latency_ms, "chunk_ms": chunk_ms,
        }
        with self._lock:
            process = self._process or self._start()
            reply = _exchange(process, request)
        if "url" not in reply:
            raise RuntimeError(f"the embedded reference server could not serve a provider: {reply.get('error', reply)}")
        return str(reply["url"])

    def _start(self) -> subprocess.Popen[str]:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(Path(__file__).resolve().parents[2])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
        )
        return self._process

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def stop(self) -> None:
        """Close the child's stdin (it stops its server and exits); terminate it by its PID if it does not."""
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        _close(process.stdin)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(3)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        _close(process.stdout)


_CHILD = "import sys; sys.path.append(sys.argv[1]); from conformance.reference.hub_process import main; main()"
"""The child imports the package as this process would (same interpreter, environment and working
directory); the folder this copy was imported from comes last in its path, for a parent that found
the package by a path of its own. Last, not first: that folder may be a site-packages, whose other
packages must not shadow the standard library."""


def make_hub() -> Hub:
    """A hub in a child process, or in this one where no interpreter can be started (an embedded Python)."""
    if sys.executable:
        return HubProcess()
    from .hub import ReferenceHub

    return ReferenceHub()


def _exchange(process: subprocess.Popen[str], request: dict[str, Any]) -> dict[str, Any]:
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
    except (BrokenPipeError, OSError):
        line = ""
    if not line:
        raise RuntimeError(f"the embedded reference server process exited (code {process.wait()}); its stderr says why")
    reply: dict[str, Any] = json.loads(line)
    return reply


def _close(stream: IO[str] | None) -> None:
    if stream is not None:
        try:
            stream.close()
        except OSError:
            pass  # a child that is gone already: nothing left to flush to


def main() -> None:
    """The child: serve what each stdin line asks for until stdin closes."""
    from .hub import ReferenceHub

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Replies on the real stdout only: anything else that prints goes to stderr, not into the protocol.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    hub = ReferenceHub()
    try:
        for line in sys.stdin:
            try:
                request = json.loads(line)
                url = hub.add(
                    api_key=request["api_key"], models=request["models"], flavour=Flavour(frozenset(request["deviations"])),
                    latency_ms=request["latency_ms"], chunk_ms=request["chunk_ms"],
                )
                reply: dict[str, str] = {"url": url}
            except Exception as exc:  # noqa: BLE001 - the parent reports it, with the provider it was for
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            replies.write(json.dumps(reply) + "\n")
    finally:
        hub.stop()
