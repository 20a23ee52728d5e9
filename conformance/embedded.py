"""``embedded:`` base URLs: providers served from inside the package on a loopback port."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from .errors import ConfigError

if TYPE_CHECKING:
    from .reference.hub_process import Hub

EMBEDDED_NAMES = ("reference",)


@dataclass(frozen=True)
class EmbeddedSpec:
    name: str
    deviations: frozenset[str]
    latency_ms: float = 0.0
    """Before each response starts (``?latency_ms=200``)."""
    chunk_ms: float = 0.0
    """Between the parts of a streamed body (``?chunk_ms=20``)."""
    models: int = 0
    """Chat models served besides the configured ones (``?models=20``: reference-chat-01 to -20), a
    gateway's listing to sweep with ``models.chat: "*"``."""

    def served_models(self, configured: list[str]) -> list[str]:
        extra = [f"reference-chat-{n:02d}" for n in range(1, self.models + 1)]
        return list(dict.fromkeys([*(m for m in configured if m != "*"), *extra]))


def parse_embedded(base_url: str) -> EmbeddedSpec:
    """``embedded:reference``, ``embedded:reference?deviate=no_done,tool_args_object``, pacing
    parameters ``latency_ms`` and ``chunk_ms`` (what the benchmarks use to stand in for a remote
    model), and ``models=N`` (N more chat models listed, as a gateway lists many)."""
    from .reference.flavour import KNOWN_DEVIATIONS

    rest = base_url.removeprefix("embedded:")
    name, _, query = rest.partition("?")
    if name not in EMBEDDED_NAMES:
        raise ConfigError(f"unknown embedded provider {name!r} (known: {', '.join(EMBEDDED_NAMES)})")
    params = parse_qs(query, keep_blank_values=True)
    unknown_params = sorted(set(params) - {"deviate", "latency_ms", "chunk_ms", "models"})
    if unknown_params:
        raise ConfigError(f"unknown parameter {unknown_params[0]!r} in {base_url!r} (known: deviate, latency_ms, chunk_ms, models)")
    pacing = {name: _milliseconds(params, name, base_url) for name in ("latency_ms", "chunk_ms")}
    models = params.get("models", ["0"])[-1]
    if not models.isdigit() or not 0 <= int(models) <= 500:
        raise ConfigError(f"models={models!r} in {base_url!r} is not a number of models from 0 to 500")
    deviations = frozenset(d.strip() for v in params.get("deviate", []) for d in v.split(",") if d.strip())
    unknown = sorted(deviations - KNOWN_DEVIATIONS)
    if unknown:
        known = ", ".join(sorted(KNOWN_DEVIATIONS)) or "none yet"
        raise ConfigError(f"unknown deviation {unknown[0]!r} in {base_url!r} (known: {known})")
    return EmbeddedSpec(name, deviations, **pacing, models=int(models))


def _milliseconds(params: dict[str, list[str]], name: str, base_url: str) -> float:
    values = params.get(name)
    if not values:
        return 0.0
    try:
        value = float(values[-1])
    except ValueError:
        value = -1.0
    if not 0 <= value <= 60_000:
        raise ConfigError(f"{name}={values[-1]!r} in {base_url!r} is not a number of milliseconds from 0 to 60000")
    return value


def serve_embedded(hub: Hub, base_url: str, api_key: str, models: list[str]) -> str:
    """Add the provider ``base_url`` names, serving the configured ``models``, to the run's hub;
    returns the URL it is served at."""
    from .reference.flavour import Flavour

    spec = parse_embedded(base_url)
    return hub.add(api_key=api_key, models=spec.served_models(models), flavour=Flavour(spec.deviations), latency_ms=spec.latency_ms, chunk_ms=spec.chunk_ms)
