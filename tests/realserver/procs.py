"""Third-party servers as subprocesses for the real-server tests: a free loopback port, a log
file, a readiness probe, and a stop by PID (never by name: other work shares this machine)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.keys import mask_key_slices

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def free_port() -> int:
    """A port free right now on 127.0.0.1 (the server binds it a moment later; a clash fails loudly)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loopback_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment for a server under test: no proxy settings (every peer is on loopback, and
    nothing may be routed elsewhere), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARIABLES}
    env.update(extra)
    return env


@dataclass
class ServerProcess:
    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    secrets: tuple[str, ...] = ()

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"(no log: {exc})"
        tail = "\n".join(text.splitlines()[-lines:])
        return mask_key_slices(tail, self.secrets)

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM to this PID's process group (the server and any worker it forked), then SIGKILL."""
        if not self.running:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=grace_s)


def start_server(
    name: str,
    argv: list[str],
    *,
    env: dict[str, str],
    log_path: Path,
    ready: Callable[[], bool],
    timeout_s: float,
    secrets: tuple[str, ...] = (),
    cwd: Path | None = None,
) -> ServerProcess:
    """Start ``argv`` in its own process group, logging to ``log_path``, and wait until ``ready()``.

    Raises RuntimeError with the (masked) log tail if it exits or is not ready in time; the
    process is stopped first, so a failed start leaves nothing behind."""
    log = log_path.open("wb")
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()  # the child holds its own descriptor
    server = ServerProcess(name, proc, log_path, secrets)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not server.running:
            raise RuntimeError(f"{name} exited with {proc.returncode} before it was ready; log tail:\n{server.log_tail()}")
        try:
            if ready():
                return server
        except httpx.HTTPError:
            pass  # not listening yet
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"{name} was not ready within {timeout_s:g} s; log tail:\n{server.log_tail()}")


def answers_200(url: str, headers: dict[str, str] | None = None) -> Callable[[], bool]:
    def probe() -> bool:
        return httpx.get(url, headers=headers or {}, timeout=2.0, trust_env=False).status_code == 200

    return probe
