"""The two real runs the report tests render, each made once per session (see runs.py)."""

from __future__ import annotations

import pytest

from conformance.results import RunResult
from tests.reports import runs


@pytest.fixture(scope="session")
def demo_run() -> RunResult:
    """The demo providers (reference + deviant flavours), every key :data:`runs.PLANTED_KEY`.

    Shared: a test that changes it must change a deep copy."""
    return runs.demo_result()


@pytest.fixture(scope="session")
def hostile_content_run() -> RunResult:
    """The hostile_content flavour and the crafted hostile provider, side by side. Shared, as above."""
    return runs.hostile_result()


@pytest.fixture(scope="session")
def grouped_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """A gateway swept model by model between two plain providers (runs.GROUPED_PROVIDERS). Shared, as above."""
    return runs.grouped_result(tmp_path_factory.mktemp("grouped-providers"))
