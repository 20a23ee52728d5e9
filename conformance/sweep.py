"""Several models of one provider in one run: ``models.chat`` as a list (expanded when the file is
read), or ``"*"`` for what the provider lists at ``GET /models`` (expanded when the run starts,
narrowed by ``match`` and ``limit``).

Each model becomes its own column, ``provider/model``, configured like the provider with that
model as ``models.chat``. The columns share the provider's request slots (see ``slots.py``), so
a sweep of 40 models puts no more load on a gateway than one model would.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

EVERY_MODEL = "*"
MODELS_PATH = "/models"


@dataclass(frozen=True)
class ModelSweep:
    """``models.chat: "*"``: the models are read from ``GET /models`` when the run starts."""

    match: str | None = None
    limit: int | None = None

    def describe(self) -> str:
        narrowed = [f"matching {self.match!r}" if self.match else "", f"at most {self.limit}" if self.limit else ""]
        return " ".join(["every model listed", *filter(None, narrowed)])


class SweepFailed(Exception):
    """The models to sweep could not be found; the message says why, for every check of the column."""


def listed_ids(body: Any) -> list[str]:
    """Model ids of a ``GET /models`` body: OpenAI's ``{"data": [{"id": ...}]}``, or a bare array of
    model objects (some servers send one; models.list judges the shape, the sweep only needs ids)."""
    items = body.get("data") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise SweepFailed("answered a body without a data array of models")
    ids = [item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]]
    if not ids:
        raise SweepFailed("lists no model with an id")
    return list(dict.fromkeys(ids))


def chosen(sweep: ModelSweep, listed: list[str]) -> list[str]:
    """The models of a ``"*"`` sweep, in the order the provider lists them."""
    models = [m for m in listed if sweep.match is None or fnmatchcase(m, sweep.match)]
    if not models:
        sample = ", ".join(listed[:5]) + (", ..." if len(listed) > 5 else "")
        raise SweepFailed(f"lists {len(listed)} models, none matching models.match {sweep.match!r} ({sample})")
    return models[: sweep.limit] if sweep.limit else models


def column_name(provider: str, model: str) -> str:
    return f"{provider}/{model}"
