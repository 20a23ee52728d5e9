"""Text helpers every layer shares: cutting, one-lining, making hostile characters visible,
JSON paths and plurals. Provider text is untrusted; these are the only ways it is shortened."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

# Characters that change how surrounding text is displayed without being visible themselves:
# C0/C1 controls (bar tab and newline), bidi embeddings/overrides/isolates and marks, lone surrogates.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def visible(text: str) -> str:
    """Replace control, bidi-override and lone-surrogate characters by a visible ``\\uXXXX``."""
    if text.isascii() and text.isprintable():  # nothing to replace: most evidence, answered without the regex
        return text
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with a note saying how much was cut (for evidence,
    where a reader must know that something is missing)."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"… (truncated {len(text) - limit} chars)"


def excerpt(text: object, limit: int = 200) -> str:
    """One line of at most ``limit`` characters, ending in ``…`` when cut (for summaries)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def one_line(text: object, limit: int | None = None) -> str:
    """All whitespace runs (newlines included) collapsed to one space, cut with a note, made
    visible: safe to print on a terminal or in a table cell."""
    flat = " ".join(str(text).split())
    if limit is not None:
        flat = clip(flat, limit)
    return visible(flat)


def json_path(parts: Iterable[Any]) -> str:
    """``$.choices[0].message`` from ``("choices", 0, "message")``; keys that are not identifiers
    are quoted (``$["x-y"]``)."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            path += f".{part}"
        else:
            path += "[" + json.dumps(str(part), ensure_ascii=False) + "]"
    return path


def field_path(parts: Iterable[Any]) -> str:
    """A field of a YAML file as its author wrote it: ``providers[0].headers.X-Team``."""
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 request``, ``2 requests`` (``many`` for irregular plurals)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"
