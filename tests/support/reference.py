"""The embedded reference provider for tests: one server per set of deviations (its flavour),
started on first use and shared by the whole session (see the fixtures in ``tests/conftest.py``).

Every server demands :data:`REFERENCE_KEY` as its Bearer key.
"""

from __future__ import annotations

import threading

import httpx
import openai

from conformance.reference import EmbeddedServer
from conformance.reference.flavour import Flavour

NOTHING_TO_JUDGE = frozenset({"skip/no_429"})
"""Codes a conformant provider gets when the run gave a check nothing to judge (limits.retry_after
judges the 429s the run met, and a good provider sends none): every other verdict must be pass."""

REFERENCE_KEY = "sk-reference-test-key"
AUTH = {"Authorization": f"Bearer {REFERENCE_KEY}"}


class ReferenceServers:
    """Running reference servers by flavour, each with an httpx client and official SDK clients."""

    def __init__(self) -> None:
        self._servers: dict[frozenset[str], EmbeddedServer] = {}
        self._clients: dict[frozenset[str], httpx.Client] = {}
        self._sdks: list[openai.OpenAI] = []
        self._lock = threading.Lock()

    def server(self, *deviations: str) -> EmbeddedServer:
        """The server of this flavour (no deviation: the plain reference provider)."""
        key = frozenset(deviations)
        with self._lock:
            if key not in self._servers:
                self._servers[key] = EmbeddedServer(api_key=REFERENCE_KEY, flavour=Flavour(key)).start()
            return self._servers[key]

    def client(self, *deviations: str) -> httpx.Client:
        """An httpx client on the server's root URL (paths start with /v1 or not, as the test needs)."""
        key = frozenset(deviations)
        server = self.server(*deviations)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = httpx.Client(base_url=server.root_url, timeout=10)
            return self._clients[key]

    def sdk(self, *deviations: str) -> openai.OpenAI:
        """The official SDK, as a real client, on the server's /v1."""
        sdk = openai.OpenAI(base_url=self.server(*deviations).base_url, api_key=REFERENCE_KEY, max_retries=0, timeout=10)
        self._sdks.append(sdk)
        return sdk

    def stop(self) -> None:
        # Clients first (a kept-alive connection slows a graceful stop), then every server at once.
        for sdk in self._sdks:
            sdk.close()
        for client in self._clients.values():
            client.close()
        stoppers = [threading.Thread(target=server.stop) for server in self._servers.values()]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        self._servers.clear()
        self._clients.clear()
        self._sdks.clear()
