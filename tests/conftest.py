"""Fixtures shared by the whole suite.

- ``results_validator``: the packaged results.schema.json, checked and compiled once.
- ``reference_server`` / ``reference_http`` / ``reference_sdk``: the embedded reference provider
  on loopback, started once per session; ``reference_servers``: its flavours, per module.
- ``crafted``: serve a function as a provider (real HTTP on loopback), closed after the test.
- ``raw_server``: serve exact bytes, for misbehaviour below HTTP, stopped after the test.

The helpers behind them are in ``tests/support/``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from importlib import resources

import httpx
import jsonschema
import openai
import pytest

from conformance.reference import EmbeddedServer
from tests.support.crafted import CraftedProvider, Handler
from tests.support.rawserver import RawHandler, RawServer
from tests.support.reference import ReferenceServers


@pytest.fixture(scope="session")
def results_validator() -> jsonschema.Draft202012Validator:
    """A validator for results.json, from the schema file the package ships (not the loader's copy)."""
    schema = json.loads((resources.files("conformance.schemas") / "results.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="session")
def plain_reference() -> Iterator[ReferenceServers]:
    """The plain reference provider, started once and shared by the whole session."""
    servers = ReferenceServers()
    yield servers
    servers.stop()


@pytest.fixture(scope="session")
def reference_server(plain_reference: ReferenceServers) -> EmbeddedServer:
    """The plain reference provider; it demands ``tests.support.reference.REFERENCE_KEY``."""
    return plain_reference.server()


@pytest.fixture(scope="session")
def reference_http(plain_reference: ReferenceServers) -> httpx.Client:
    """httpx on the plain reference provider's root URL."""
    return plain_reference.client()


@pytest.fixture(scope="session")
def reference_sdk(plain_reference: ReferenceServers) -> openai.OpenAI:
    """The official SDK on the plain reference provider."""
    return plain_reference.sdk()


@pytest.fixture(scope="module")
def reference_servers() -> Iterator[ReferenceServers]:
    """Reference servers by flavour (``reference_servers.client("no_done")``), each started on first
    use and stopped when the module is done: a flavour that counts requests starts fresh in each module."""
    servers = ReferenceServers()
    yield servers
    servers.stop()


@pytest.fixture
def crafted() -> Iterator[Callable[[Handler], CraftedProvider]]:
    """``crafted(handler)`` serves ``handler`` as a provider until the test ends."""
    started: list[CraftedProvider] = []

    def start(handler: Handler) -> CraftedProvider:
        started.append(CraftedProvider(handler))
        return started[-1]

    yield start
    for provider in started:
        provider.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[RawHandler], RawServer]]:
    """``raw_server(handler)`` serves ``handler``'s exact bytes until the test ends."""
    started: list[RawServer] = []

    def start(handler: RawHandler) -> RawServer:
        started.append(RawServer(handler).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()
