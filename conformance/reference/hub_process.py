"""The run's embedded providers served from a child process.

In the suite's own process the hub's server took the interpreter lock from the client for every
request it answered: fifty embedded providers ran 1.5 times as long as the same fifty served by
an external reference process, and every request cost CPU twice on one core. The child is the
same :class:`ReferenceHub`, driven over its stdin: one JSON line per provider to add, answered
with one JSON line holding its base URL (or why it could not be served) on a pipe of its own,
which nothing else in the child writes to (its stdout goes to the parent's stderr).

The child ignores Ctrl-C (the terminal sends it to the whole process group; the parent decides
when its providers stop, after the interrupted run's reports are written) and exits when its
stdin closes, so a parent that dies leaves no server behind. A child that stops answering is
killed by its PID.

The child runs :func:`main`; it is not for use by hand.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from .flavour import Flavour

STOP_TIMEOUT_S = 12.0
"""The child exits as soon as its stdin closes; one still there after this is killed."""
REPLY_TIMEOUT_S = 30.0
"""Adding a provider takes milliseconds, or up to 10 s for the first (the server starting)."""

_CHILD = "import sys; sys.path.append(sys.argv[1]); from conformance.reference.hub_process import main; main(int(sys.argv[2]))"
"""Run with ``-P``: the child imports the package as this process does (same interpreter and
environment), never a ``conformance`` that happens to be in the working directory; the folder this
copy was imported from comes last in its path, for a parent that found the package by a path of
its own. Last, not first: that folder may be a site-packages, which must not shadow the standard
library."""


class Hub(Protocol):
    def add(
        self, *, api_key: str | None, models: Sequence[str], flavour: Flavour, latency_ms: float = 0.0, chunk_ms: float = 0.0,
    ) -> str: ...

    def stop(self) -> None: ...


class HubStopped(RuntimeError):
    """An :meth:`HubProcess.add` after :meth:`HubProcess.stop` (a run winding down): nothing is started again."""


class HubProcess:
    """A :class:`ReferenceHub` in a child process, started by :meth:`start` or the first :meth:`add`, stopped by its PID."""

    def __init__(self, *, reply_timeout_s: float = REPLY_TIMEOUT_S, stop_timeout_s: float = STOP_TIMEOUT_S) -> None:
        self._reply_timeout_s = reply_timeout_s
        self._stop_timeout_s = stop_timeout_s
        self._process: subprocess.Popen[str] | None = None
        self._replies: int | None = None
        self._stopped = False
        self._state = threading.Lock()
        """Guards the fields above; never held while waiting for the child, so stop() cannot wait behind an add()."""
        self._exchange = threading.Lock()
        """One request and its reply at a time."""

    def add(
        self, *, api_key: str | None, models: Sequence[str], flavour: Flavour, latency_ms: float = 0.0, chunk_ms: float = 0.0,
    ) -> str:
        """Serve one more provider; returns its base URL (ending in /v1)."""
        request = {
            "api_key": api_key, "models": list(models), "deviations": sorted(flavour.deviations),
            "latency_ms": latency_ms, "chunk_ms": chunk_ms,
        }
        with self._exchange:
            process, replies = self.start()
            reply = self._ask(process, replies, request)
        if "url" not in reply:
            raise RuntimeError(f"the embedded reference server could not serve a provider: {reply.get('error', reply)}")
        return str(reply["url"])

    def start(self) -> tuple[subprocess.Popen[str], int]:
        """Start the child now (it boots while the caller goes on), if not already started; the
        first :meth:`add` otherwise does. Returns the child and its replies' descriptor."""
        with self._state:
            if self._stopped:
                raise HubStopped("the embedded reference server was stopped: the run is ending")
            if self._process is None:
                self._spawn()
            assert self._process is not None and self._replies is not None
            return self._process, self._replies

    def _spawn(self) -> None:
        replies, child_end = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-P", "-c", _CHILD, str(Path(__file__).resolve().parents[2]), str(child_end)],
                stdin=subprocess.PIPE, stdout=_stderr_fd(),
                pass_fds=(child_end,), text=True, encoding="utf-8",
            )
        except BaseException:
            os.close(replies)
            raise
        finally:
            os.close(child_end)  # the child's copy is the only writer left: its end of file is the child's exit
        self._replies = replies

    def _ask(self, process: subprocess.Popen[str], replies: int, request: dict[str, Any]) -> dict[str, Any]:
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            line = _read_line(replies, self._reply_timeout_s)
        except TimeoutError:  # before OSError, of which it is one
            process.kill()  # a reply that came later would answer the next request
            raise RuntimeError(f"the embedded reference server did not answer within {self._reply_timeout_s:.0f} s") from None
        except (OSError, ValueError):  # a child gone (broken pipe), or stdin closed by stop() meanwhile
            line = b""
        if not line.endswith(b"\n"):
            try:
                code: int | None = process.wait(1)  # its end of the pipe closes a moment before it can be reaped
            except subprocess.TimeoutExpired:
                code = None
            why = f"exited (code {code})" if code is not None else "stopped answering"
            raise RuntimeError(f"the embedded reference server process {why}; its stderr says why")
        reply: dict[str, Any] = json.loads(line)
        return reply

    @property
    def pid(self) -> int | None:
        with self._state:
            return self._process.pid if self._process is not None else None

    def stop(self) -> None:
        """Close the child's stdin (it exits at once); kill it by its PID if it does not.
        No provider can be added afterwards."""
        with self._state:
            self._stopped = True
            process, replies = self._process, self._replies
            self._process = self._replies = None
        if process is None:
            return
        _close(process.stdin)
        try:
            process.wait(self._stop_timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # An add() still waiting for its reply reads end of file now; the descriptor is closed after it.
        with self._exchange:
            if replies is not None:
                os.close(replies)


def _stderr_fd() -> int:
    """Where the child's stray output goes: this process's own stderr, or nowhere if it has none
    (pythonw, or a stream replaced by one without a descriptor)."""
    try:
        return sys.__stderr__.fileno() if sys.__stderr__ is not None else subprocess.DEVNULL
    except (AttributeError, OSError, ValueError):
        return subprocess.DEVNULL


def make_hub() -> Hub:
    """A hub in a child process, started at once; in this one where no interpreter can be started for it (a frozen
    application, an embedded Python) or descriptors cannot be passed (not POSIX)."""
    if sys.executable and not getattr(sys, "frozen", False) and os.name == "posix":
        hub = HubProcess()
        hub.start()  # booting while the run prepares: the first provider then waits less for it
        return hub
    from .hub import ReferenceHub

    return ReferenceHub()


def _read_line(fd: int, timeout_s: float) -> bytes:
    """One reply line, or what came before end of file; TimeoutError past ``timeout_s``. The child
    writes a line only when asked, so nothing beyond it is read."""
    data = b""
    deadline = time.monotonic() + timeout_s
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data


def _close(stream: IO[str] | None) -> None:
    if stream is not None:
        try:
            stream.close()
        except (OSError, ValueError):
            pass  # a child that is gone already: nothing left to flush to


def main(replies_fd: int) -> None:
    """The child: serve what each stdin line asks for until stdin closes, replying on ``replies_fd``."""
    from .hub import ReferenceHub

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    replies = os.fdopen(replies_fd, "w", encoding="utf-8", buffering=1)
    hub = ReferenceHub()
    status = 0
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
    except BaseException:  # noqa: BLE001 - printed, and the exit status says so
        traceback.print_exc()
        status = 1
    # Out at once, without a graceful stop: the parent closed its connections before our stdin, and
    # there is nothing to hand over or flush. Stopping uvicorn gracefully waited for its 0.1 s poll
    # and more, inside every run's time.
    os._exit(status)
