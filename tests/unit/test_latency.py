"""Latency figures: what the runner computes from the streams the checks sent, how results.json
carries them (and reads files without them), and how the terminal labels them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conformance.cli.common import latency_lines
from conformance.client import StreamTiming
from conformance.report import render_json
from conformance.report.json_report import load_results
from conformance.results import Latency, ProviderRun, RunResult
from conformance.runner import latency_of


def timing(first_byte: float, first_token: float, total: float, tokens: int | None = None) -> StreamTiming:
    return StreamTiming(first_byte, first_token, total, tokens)


def test_median_and_max_of_each_figure() -> None:
    got = latency_of([timing(0.01, 0.02, 0.5, 49), timing(0.03, 0.04, 1.0, 97), timing(0.05, 0.30, 0.4)], "http://127.0.0.1:9/v1")
    assert got == Latency(
        measured="loopback", streams=3,
        first_byte_ms=(30.0, 50.0), first_token_ms=(40.0, 300.0), total_ms=(500.0, 1000.0),
        # (49 - 0) / (0.5 - 0.02) and 97 / (1.0 - 0.04): rates only from streams that reported usage
        tokens_per_s=(round((49 / 0.48 + 97 / 0.96) / 2, 1), round(49 / 0.48, 1)),
    )


@pytest.mark.parametrize(("base", "measured"), [
    ("http://127.0.0.1:8000/v1", "loopback"), ("http://localhost/v1", "loopback"),
    ("https://api.example.com/v1", "network"), ("http://10.0.0.5:8000/v1", "network"),
])
def test_where_it_was_measured(base: str, measured: str) -> None:
    got = latency_of([timing(0.1, 0.2, 0.3)], base)
    assert got is not None and got.measured == measured and got.tokens_per_s is None


def test_no_stream_no_figures() -> None:
    assert latency_of([], "http://127.0.0.1/v1") is None


def result_with(latency: Latency | None) -> RunResult:
    provider = ProviderRun(name="p", base_url="http://127.0.0.1:9/v1", models={"chat": "m"}, requests=3, tokens=10, latency=latency)
    return RunResult("0.1.0", "2026-12-01T00:00:00+00:00", "2026-12-01T00:00:01+00:00", 1.0, [provider], [], [])


def test_results_json_round_trip_and_schema(tmp_path: Path, results_validator: jsonschema.Draft202012Validator) -> None:
    latency = Latency("network", 4, (10.0, 20.0), (30.0, 40.0), (50.0, 60.0), (70.5, 80.0))
    for value in (latency, None):
        text = render_json(result_with(value))
        results_validator.validate(json.loads(text))
        path = tmp_path / "results.json"
        path.write_text(text, encoding="utf-8")
        assert load_results(path).providers[0].latency == value


def test_a_file_written_before_latency_is_still_read(tmp_path: Path) -> None:
    data = json.loads(render_json(result_with(None)))
    del data["providers"][0]["latency"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_results(path).providers[0].latency is None


def test_the_terminal_says_where_and_what_it_is_not() -> None:
    lines = latency_lines(result_with(Latency("loopback", 2, (1.0, 2.0), (12.4, 200.0), (15.0, 201.0), None)))
    assert lines[0] == ("latency: p: first byte 1 ms (max 2 ms), first token 12 ms (max 200 ms), "
                        "whole stream 15 ms (max 201 ms); medians over 2 streams")
    rated = latency_lines(result_with(Latency("network", 1, (1.0, 1.0), (12.4, 12.4), (1500.0, 1500.0), (85.2, 85.2))))
    assert rated[0].endswith("whole stream 1.5 s (max 1.5 s), 85 (max 85) tokens/s; medians over 1 stream")
    assert "over network" in rated[1]
    assert "over loopback" in lines[1] and "not a benchmark of the model" in lines[1]
    assert latency_lines(result_with(None)) == []
