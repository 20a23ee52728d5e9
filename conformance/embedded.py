"""``embedded:`` base URLs: providers served from inside the package on a loopback port."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from .errors import ConfigError

if TYPE_CHECKING:
    from .reference import EmbeddedServer

EMBEDDED_NAMES = ("reference",)


@dataclass(frozen=True)
class EmbeddedSpec:
    name: str
    deviations: frozenset[str]


def parse_embedded(base_url: str) -> EmbeddedSpec:
    """``embedded:reference`` or ``embedded:reference?deviate=no_done,tool_args_object``."""
    from .reference.flavour import KNOWN_DEVIATIONS

    rest = base_url.removeprefix("embedded:")
    name, _, query = rest.partition("?")
    if name not in EMBEDDED_NAMES:
        raise ConfigError(f"unknown embedded provider {name!r} (known: {', '.join(EMBEDDED_NAMES)})")
    params = parse_qs(query, keep_blank_values=True)
    unknown_params = sorted(set(params) - {"deviate"})
    if unknown_params:
        raise ConfigError(f"unknown parameter {unknown_params[0]!r} in {base_url!r} (known: deviate)")
    deviations = frozenset(d.strip() for v in params.get("deviate", []) for d in v.split(",") if d.strip())
    unknown = sorted(deviations - KNOWN_DEVIATIONS)
    if unknown:
        known = ", ".join(sorted(KNOWN_DEVIATIONS)) or "none yet"
        raise ConfigError(f"unknown deviation {unknown[0]!r} in {base_url!r} (known: {known})")
    return EmbeddedSpec(name, deviations)


def start_embedded(base_url: str, api_key: str, models: list[str]) -> EmbeddedServer:
    from .reference import EmbeddedServer
    from .reference.flavour import Flavour

    spec = parse_embedded(base_url)
    server = EmbeddedServer(api_key=api_key, models=models, flavour=Flavour(spec.deviations))
    server.start()
    return server
