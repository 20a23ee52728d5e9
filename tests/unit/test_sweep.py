"""Several models of one provider: ``models.chat`` as a list (columns made when the file is read) or
``"*"`` (a sweep of GET /models, narrowed by ``match`` and ``limit``), and the request slots the
columns share (conformance.slots)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from conformance.config import Config, load_config, select_providers
from conformance.embedded import parse_embedded
from conformance.errors import ConfigError, UsageError
from conformance.slots import RUN_BOUND_MAX, Slots, run_bound
from conformance.sweep import ModelSweep, SweepFailed, chosen, listed_ids


def load(tmp_path: Path, models: str, base_url: str = "http://127.0.0.1:9/v1") -> Config:
    path = tmp_path / "providers.yaml"
    path.write_text(f"providers:\n  - name: gw\n    base_url: {base_url}\n    max_concurrency: 3\n    models:\n{models}", encoding="utf-8")
    return load_config(path, environ={})


def error_of(tmp_path: Path, models: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, models)
    return str(info.value)


# --- providers.yaml ----------------------------------------------------------------------------
def test_a_list_of_models_is_a_column_each_named_provider_slash_model(tmp_path: Path) -> None:
    config = load(tmp_path, "      chat: [small, org/large]\n      vision: eyes\n")
    assert [p.name for p in config.providers] == ["gw/small", "gw/org/large"]
    assert [p.models for p in config.providers] == [{"chat": "small", "vision": "eyes"}, {"chat": "org/large", "vision": "eyes"}]
    assert {p.group for p in config.providers} == {"gw"}
    assert {p.settings.max_concurrency for p in config.providers} == {3}
    assert all(p.sweep is None for p in config.providers)


def test_a_single_model_is_its_own_column_with_no_group(tmp_path: Path) -> None:
    (provider,) = load(tmp_path, "      chat: small\n").providers
    assert (provider.name, provider.group, provider.sweep) == ("gw", None, None)


def test_star_is_a_sweep_with_its_narrowing(tmp_path: Path) -> None:
    (provider,) = load(tmp_path, '      chat: "*"\n      match: "gpt-4o*"\n      limit: 5\n').providers
    assert provider.sweep == ModelSweep(match="gpt-4o*", limit=5)
    assert provider.models == {"chat": "*"}
    assert provider.group is None


@pytest.mark.parametrize("narrowing", ['match: "gpt-*"', "limit: 3"])
def test_match_or_limit_without_star_names_line_and_field(tmp_path: Path, narrowing: str) -> None:
    message = error_of(tmp_path, f"      chat: [a, b]\n      {narrowing}\n")
    field = narrowing.split(":")[0]
    assert message.startswith(f"{tmp_path / 'providers.yaml'}:7: providers[0].models.{field}: only applies with chat: \"*\""), message


@pytest.mark.parametrize("chat", ['["*"]', "[]", "[a, a]", '""', "{a: b}"])
def test_a_malformed_chat_is_explained_in_words(tmp_path: Path, chat: str) -> None:
    message = error_of(tmp_path, f"      chat: {chat}\n")
    assert message.startswith(f"{tmp_path / 'providers.yaml'}:6: providers[0].models.chat: "), message
    assert 'a model id, a list of distinct model ids, or "*"' in message, message


def test_limit_must_be_positive(tmp_path: Path) -> None:
    message = error_of(tmp_path, '      chat: "*"\n      limit: 0\n')
    assert "providers[0].models.limit" in message and "minimum" in message, message


def test_provider_option_chooses_a_whole_group_or_one_column(tmp_path: Path) -> None:
    config = load(tmp_path, "      chat: [small, large]\n")
    assert [p.name for p in select_providers(config, ["gw"])] == ["gw/small", "gw/large"]
    assert [p.name for p in select_providers(config, ["gw/large"])] == ["gw/large"]
    with pytest.raises(UsageError, match="'gw/medium' is not in"):
        select_providers(config, ["gw/medium"])


def test_embedded_models_parameter(tmp_path: Path) -> None:
    spec = parse_embedded("embedded:reference?models=3")
    assert spec.served_models(["reference-vision", "*"]) == ["reference-vision", "reference-chat-01", "reference-chat-02", "reference-chat-03"]
    with pytest.raises(ConfigError, match="not a number of models"):
        parse_embedded("embedded:reference?models=lots")


# --- reading GET /models -----------------------------------------------------------------------
def test_listed_ids_read_openai_shape_and_bare_arrays_without_duplicates() -> None:
    assert listed_ids({"object": "list", "data": [{"id": "a"}, {"id": "b"}, {"id": "a"}]}) == ["a", "b"]
    assert listed_ids([{"id": "x", "object": "model"}]) == ["x"]


@pytest.mark.parametrize(("body", "said"), [
    ({"models": []}, "without a data array"),
    ({"data": [{"name": "a"}, {"id": ""}]}, "no model with an id"),
    ("not json", "without a data array"),
])
def test_listings_without_ids_fail_with_a_reason(body: object, said: str) -> None:
    with pytest.raises(SweepFailed, match=said):
        listed_ids(body)


def test_chosen_keeps_listed_order_then_matches_then_limits() -> None:
    listed = ["gpt-4o", "text-embedding-3", "gpt-4o-mini", "gpt-3.5", "GPT-4o-upper"]
    assert chosen(ModelSweep(), listed) == listed
    assert chosen(ModelSweep(match="gpt-4o*"), listed) == ["gpt-4o", "gpt-4o-mini"]  # case-sensitive
    assert chosen(ModelSweep(match="gpt-*", limit=2), listed) == ["gpt-4o", "gpt-4o-mini"]
    assert chosen(ModelSweep(limit=1), listed) == ["gpt-4o"]
    with pytest.raises(SweepFailed, match=r"lists 5 models, none matching models.match 'claude\*' \(gpt-4o, text-embedding-3, "):
        chosen(ModelSweep(match="claude*"), listed)


# --- slots ---------------------------------------------------------------------------------------
def test_run_bound_follows_the_descriptor_limit() -> None:
    assert run_bound(512) == (512 - 64) // 3
    assert run_bound(100_000) == RUN_BOUND_MAX
    assert run_bound(70) == 4  # never below a handful, even where almost nothing may be opened


def test_slots_bound_the_provider_and_the_run() -> None:
    async def busiest(slots: list[Slots], requests: int) -> int:
        in_flight = most = 0

        async def request(s: Slots) -> None:
            nonlocal in_flight, most
            async with s:
                in_flight += 1
                most = max(most, in_flight)
                await asyncio.sleep(0.005)
                in_flight -= 1

        await asyncio.gather(*(request(slots[i % len(slots)]) for i in range(requests)))
        return most

    async def scenario() -> tuple[int, int]:
        one_provider = await busiest([Slots(3)], 20)
        run = asyncio.Semaphore(5)
        three_providers = await busiest([Slots(3, run), Slots(3, run), Slots(3, run)], 30)
        return one_provider, three_providers

    assert asyncio.run(scenario()) == (3, 5)


def test_a_pause_holds_new_requests_without_taking_a_slot() -> None:
    async def scenario() -> tuple[float, float]:
        slots = Slots(1)
        slots.pause(0.2)
        slots.pause(0.01)  # a shorter pause asked later never cuts the longer one short
        started = time.monotonic()
        async with slots:
            waited = time.monotonic() - started
        started = time.monotonic()
        async with slots:
            again = time.monotonic() - started
        return waited, again

    waited, again = asyncio.run(scenario())
    assert waited >= 0.19
    assert again < 0.1
