"""Running the reference provider in-process, on loopback, for probes and tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from .app import DEFAULT_MODELS, create_app
from .flavour import Flavour

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
_POLL_S = 0.01


class EmbeddedServer:
    """uvicorn serving the reference app from a daemon thread on a free 127.0.0.1 port."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        models: Sequence[str] = DEFAULT_MODELS,
        flavour: Flavour = Flavour(),
        app: ASGIApp | None = None,
    ) -> None:
        """Serves the reference app of this key, models and flavour, or ``app`` (e.g. the hub's router)."""
        self._app = app if app is not None else create_app(api_key=api_key, models=models, flavour=flavour)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    @property
    def root_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the server is not running: call start() first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def start(self) -> EmbeddedServer:
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        # Binding here, rather than letting uvicorn pick a port, means the port is
        # known before the thread starts and no other server can take it meanwhile.
        # IPPROTO_TCP explicitly: accepted sockets inherit the listener's proto, and asyncio
        # only sets TCP_NODELAY when it is IPPROTO_TCP. Without it, uvicorn's separate writes
        # of headers and body meet the client's delayed ACK: ~40 ms on every kept-alive request.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            # None leaves the host's logging configuration alone; uvicorn's warnings
            # still reach stderr through the root logger's last-resort handler.
            log_config=None,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="conformance-reference", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(STOP_TIMEOUT_S)
                sock.close()
                raise RuntimeError("the embedded reference server did not start")
            time.sleep(_POLL_S)
        self._server, self._thread, self._port = server, thread, port
        return self

    def stop(self) -> None:
        """Shut down and wait for the thread; a no-op if not running."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(STOP_TIMEOUT_S)
        if self._thread.is_alive():
            # Open keep-alive or streaming connections can hold a graceful stop.
            self._server.force_exit = True
            self._thread.join(STOP_TIMEOUT_S)
        stuck = self._thread.is_alive()
        self._server = self._thread = self._port = None
        if stuck:
            raise RuntimeError("the embedded reference server did not stop")

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
