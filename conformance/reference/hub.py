"""One server for every embedded provider of a run.

Each ``embedded:reference?...`` provider used to start its own uvicorn server, each in its own
thread with its own event loop; fifty of them spent more time handing the interpreter lock around
than serving. The hub is one uvicorn server on one loop, and each provider gets its own reference
app (key, models, flavour, pacing) under a path prefix: ``http://127.0.0.1:PORT/_/3/v1``.
A run serves it from a child process (:mod:`.hub_process`), so that it takes no CPU from the suite's."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from .app import create_app
from .flavour import Flavour
from .pacing import Paced
from .server import EmbeddedServer

PREFIX = "/_/"


class _Router:
    """Sends ``/_/<n>/rest`` to app n as ``/rest``; anything else is a plain 404."""

    def __init__(self) -> None:
        self.apps: dict[str, ASGIApp] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            number, _, rest = scope["path"][len(PREFIX):].partition("/")
            app = self.apps.get(number)
            if app is not None:
                prefix = f"{PREFIX}{number}"
                raw = scope.get("raw_path") or scope["path"].encode()
                inner = {**scope, "path": "/" + rest, "raw_path": raw[len(prefix):] or b"/", "root_path": scope.get("root_path", "") + prefix}
                await app(inner, receive, send)
                return
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"no such embedded provider"})


class ReferenceHub:
    """Reference providers served side by side by one server; started on the first :meth:`add`."""

    def __init__(self) -> None:
        self._router = _Router()
        self._server = EmbeddedServer(app=self._router)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._started = False

    def add(
        self, *, api_key: str | None, models: Sequence[str], flavour: Flavour, latency_ms: float = 0.0, chunk_ms: float = 0.0,
    ) -> str:
        """Serve one more provider; returns its base URL (ending in /v1)."""
        app: ASGIApp = create_app(api_key=api_key, models=models, flavour=flavour)
        if latency_ms or chunk_ms:
            app = Paced(app, latency_ms=latency_ms, chunk_ms=chunk_ms)
        with self._lock:
            if not self._started:
                self._server.start()
                self._started = True
            number = str(next(self._numbers))
            self._router.apps[number] = app
        return f"{self._server.root_url}{PREFIX}{number}/v1"

    def stop(self) -> None:
        with self._lock:
            if self._started:
                self._server.stop()
                self._started = False
