"""Every model of a gateway in one run, through the command line over real loopback HTTP: a
reference server listing 20 models, and a crafted gateway that counts what it is sent at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.cli import main
from conformance.results import RunResult
from tests.support.crafted import CraftedProvider, Handler, Reply, Request

LISTED = ["text-embedding-3-small", "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "whisper-1"]


def checks(*ids: str) -> list[str]:
    return [arg for check_id in ids for arg in ("--check", check_id)]


def run(tmp_path: Path, providers: str, *args: str) -> dict[str, Any]:
    (tmp_path / "providers.yaml").write_text(providers, encoding="utf-8")
    out = tmp_path / "out"
    code = main(["run", "--providers", str(tmp_path / "providers.yaml"), "--out", str(out), *args])
    assert code == 0
    results: dict[str, Any] = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return results


def test_a_sweep_of_twenty_reference_models_is_a_column_each(
    tmp_path: Path, results_validator: jsonschema.Draft202012Validator, capsys: pytest.CaptureFixture[str],
) -> None:
    results = run(tmp_path, 'providers:\n  - name: gw\n    base_url: embedded:reference?models=20\n    models: {chat: "*", vision: reference-vision}\n'
                  "  - name: solo\n    base_url: embedded:reference\n    models: {chat: reference-chat}\n",
                  *checks("models.configured_present", "chat.basic", "streaming.done", "vision.image_input"))
    results_validator.validate(results)
    swept = [f"gw/reference-chat-{n:02d}" for n in range(1, 21)]
    # The vision model is listed too: "*" with no match sweeps it as a chat model like any other.
    assert [p["name"] for p in results["providers"]] == ["gw/reference-vision", *swept, "solo"]
    assert {p["group"] for p in results["providers"][:-1]} == {"gw"} and results["providers"][-1]["group"] is None
    assert {p["models"]["vision"] for p in results["providers"][:-1]} == {"reference-vision"}
    verdicts = {(v["provider"], v["check_id"]): v["status"] for v in results["results"]}
    assert len(verdicts) == 22 * 4
    assert set(verdicts.values()) == {"pass"} | ({"skip"} if verdicts[("solo", "vision.image_input")] == "skip" else set())
    # The model each column was run with is the one the column names.
    presence = {v["provider"]: v for v in results["results"] if v["check_id"] == "models.configured_present"}
    assert "reference-chat-07" in presence["gw/reference-chat-07"]["summary"]
    # One listing for the whole sweep, counted with the first column.
    assert results["providers"][0]["requests"] == results["providers"][1]["requests"] + 1
    assert RunResult.from_dict(results).providers[3].group == "gw"
    printed = capsys.readouterr().out
    assert "gw/reference-chat-20" in printed


def gateway(answer_delay_s: float, listing: Reply | None = None) -> Handler:
    def handle(request: Request) -> Reply:
        if request.method == "GET" and request.path == "/v1/models":
            return listing or Reply({"object": "list", "data": [{"id": m, "object": "model", "created": 1, "owned_by": "x"} for m in LISTED]})
        body = request.body
        message = {"role": "assistant", "content": "Hello.", "refusal": None}
        completion = {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000, "model": body["model"],
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        }
        return Reply(completion, delay_s=answer_delay_s)

    return handle


DELAY = 0.05


def test_columns_share_the_gateways_concurrency(tmp_path: Path, crafted: Callable[[Handler], CraftedProvider]) -> None:
    provider = crafted(gateway(answer_delay_s=DELAY))
    results = run(tmp_path, f'providers:\n  - name: gw\n    base_url: {provider.base_url}\n    max_concurrency: 2\n'
                  '    models: {chat: "*", match: "gpt-4*", limit: 4}\n', *checks("chat.basic", "chat.multi_turn", "models.configured_present"))
    assert [p["name"] for p in results["providers"]] == ["gw/gpt-4o", "gw/gpt-4o-mini", "gw/gpt-4.1", "gw/gpt-4.1-mini"]
    assert {v["status"] for v in results["results"]} == {"pass"}
    chats = [r for r in provider.requests if r.path == "/v1/chat/completions"]
    assert sorted({r.body["model"] for r in chats}) == ["gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini"]
    assert [r.path for r in provider.requests].count("/v1/models") == 1 + 4  # the sweep's listing, then each column's check
    # Four columns with work for several slots each, yet never more than the provider's two at once.
    # Judged from arrival times (each answer takes DELAY): the server's own in-flight count is only
    # lowered after its last write, which on a busy machine can come after the client has the whole
    # answer and sent its next request.
    starts = sorted(r.arrived for r in provider.requests if r.path == "/v1/chat/completions")
    overlapping = max(sum(1 for other in starts if start <= other < start + DELAY * 0.9) for start in starts)
    assert overlapping == 2, starts


@pytest.mark.parametrize(("listing", "said"), [
    (Reply({"error": {"message": "bad key", "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}, status=401),
     "answered HTTP 401"),
    (Reply({"object": "list", "data": [{"id": "llama-3"}]}), "lists 1 models, none matching models.match 'gpt-4*' (llama-3)"),
    (Reply("<html>gateway</html>", content_type="text/html"), "without a data array of models"),
])
def test_a_sweep_that_cannot_list_is_an_error_on_every_check_with_the_listing_as_evidence(
    tmp_path: Path, crafted: Callable[[Handler], CraftedProvider], listing: Reply, said: str,
) -> None:
    provider = crafted(gateway(0.0, listing))
    results = run(tmp_path, f'providers:\n  - name: gw\n    base_url: {provider.base_url}\n    models: {{chat: "*", match: "gpt-4*"}}\n',
                  *checks("chat.basic", "streaming.done"))
    assert [p["name"] for p in results["providers"]] == ["gw"]
    assert results["providers"][0]["requests"] == 1
    assert [(v["check_id"], v["status"], v["reason"]) for v in results["results"]] == [
        ("chat.basic", "error", "model_sweep"), ("streaming.done", "error", "model_sweep"),
    ]
    for verdict in results["results"]:
        assert said in verdict["summary"], verdict["summary"]
        assert verdict["summary"].startswith('not run: models.chat is "*" (every model listed matching \'gpt-4*\'), but GET http://127.0.0.1:')
        assert [e["request"]["url"] for e in verdict["exchanges"]] == [f"{provider.base_url}/models"]
    assert len(provider.requests) == 1


def test_a_429_pauses_every_column_of_the_provider(tmp_path: Path, crafted: Callable[[Handler], CraftedProvider]) -> None:
    """One column is told to wait; the others, on the same gateway, wait with it instead of walking
    into the same limit."""
    lock = threading.Lock()
    limited: list[float] = []
    normal = gateway(0.0)

    def handle(request: Request) -> Reply:
        with lock:
            first_chat = request.path == "/v1/chat/completions" and not limited
            if first_chat:
                limited.append(time.monotonic())
        if first_chat:
            return Reply({"error": {"message": "slow down", "type": "requests", "param": None, "code": "rate_limit_exceeded"}},
                         status=429, headers={"retry-after-ms": "400"})
        return normal(request)

    provider = crafted(handle)
    # One slot: without the pause, the next column's request would take it the moment the 429 is answered.
    results = run(tmp_path, f"providers:\n  - name: gw\n    base_url: {provider.base_url}\n    max_concurrency: 1\n"
                  "    models: {chat: [gpt-4o, gpt-4.1, gpt-4o-mini]}\n", "--check", "chat.basic")
    assert {v["status"] for v in results["results"]} == {"pass"}
    later = [r.arrived - limited[0] for r in provider.requests if r.arrived > limited[0]]
    assert len(later) >= 3  # the retry and the other columns' requests
    assert min(later) >= 0.39, later
