"""Log probabilities for ``logprobs: true``: one entry per completion token, shaped like OpenAI's.

The numbers are made up but consistent: the chosen token is always the most likely, the
alternatives are less likely, and the probabilities at one position never sum above 1.
Each token's figures depend only on its text, so a repeated request gets the same ones.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable
from typing import Any

MAX_TOP_LOGPROBS = 20
ALTERNATIVES: tuple[str, ...] = (
    " the", " a", ",", ".", " and", " to", " of", " is", " I", " it",
    " that", " you", " in", "!", " for", " this", " on", " with", " be", " as", " an",
)
"""Tokens offered as the less likely alternatives (one more than the most a request can ask for,
so there are enough when the chosen token is one of them)."""
_DIGITS = 6


def entries(tokens: Iterable[str], top: int) -> list[dict[str, Any]]:
    """The ``logprobs.content`` list for these tokens, each with ``top`` alternatives (the chosen one first)."""
    return [entry(token, top) for token in tokens]


def entry(token: str, top: int) -> dict[str, Any]:
    chosen = _probability(token)
    alternatives = [t for t in ALTERNATIVES if t != token][: max(top - 1, 0)]
    # The rest of the mass (1 - chosen), halved at each rank: their sum stays below it.
    ranked = [(token, chosen), *((t, (1 - chosen) / 2 ** (rank + 1)) for rank, t in enumerate(alternatives))]
    return {**_figures(token, chosen), "top_logprobs": [_figures(t, p) for t, p in ranked[:top]]}


def choice_logprobs(content: list[dict[str, Any]]) -> dict[str, Any]:
    """A choice's (or a chunk choice's) ``logprobs`` object."""
    return {"content": content, "refusal": None}


def _probability(token: str) -> float:
    """The chosen token's probability, between 0.5 and 0.95 (always the most likely)."""
    return 0.5 + (zlib.crc32(token.encode()) % 450) / 1000


def _figures(token: str, probability: float) -> dict[str, Any]:
    return {"token": token, "logprob": round(math.log(probability), _DIGITS), "bytes": list(token.encode())}
