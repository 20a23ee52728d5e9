"""Keys planted in tests, and the rule every output is held to: it holds neither the key nor any
8-character slice of it (README: "no output holds the key or any 8-character slice of it").

The width is written here, not imported from ``conformance.redact``: the tests hold the
redactor to the documented rule, so a change to its constant cannot quietly loosen them.
"""

from __future__ import annotations

import secrets

SLICE = 8
"""The documented width: a run of this many characters of a key is a leak."""


def planted_key(prefix: str = "sk-") -> str:
    """A fresh random key. Hex only after the prefix: no slice of it occurs in ordinary text by chance."""
    return prefix + secrets.token_hex(24)


def key_slices(key: str, width: int = SLICE) -> list[str]:
    """Every ``width``-character slice of ``key``, in order (the whole key when it is shorter)."""
    if len(key) <= width:
        return [key]
    return [key[i : i + width] for i in range(len(key) - width + 1)]


def leaked_slices(text: str, key: str, width: int = SLICE) -> list[str]:
    """The slices of ``key`` that occur in ``text`` (empty when nothing leaked)."""
    return sorted({piece for piece in key_slices(key, width) if piece in text})


def assert_no_key_slice(text: str, key: str, where: str = "the text") -> None:
    """``text`` holds neither ``key`` nor any 8-character slice of it."""
    assert key not in text, f"{where} holds the key"
    leaked = leaked_slices(text, key)
    assert not leaked, f"{where} holds {len(leaked)} slice(s) of the key, e.g. {leaked[0]!r}: {text[:300]!r}"


def mask_key_slices(text: str, keys: tuple[str, ...] | list[str]) -> str:
    """``text`` with every 8-character slice of each key replaced, for printing logs safely."""
    for key in keys:
        for piece in key_slices(key):
            text = text.replace(piece, "*" * SLICE)
    return text
