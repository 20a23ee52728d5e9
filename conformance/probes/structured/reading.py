"""Reading a reply that should be JSON, as an app that calls ``json.loads(content)`` would."""

from __future__ import annotations

from typing import Any

from conformance.client import loads_strict
from conformance.text import excerpt

from ..shared import unfenced


def as_json(text: str) -> tuple[Any, bool, str | None]:
    """(document, fenced, problem): the parsed JSON, whether it had to be taken out of a Markdown
    fence first, or why it is not JSON at all."""
    try:
        return loads_strict(text), False, None
    except (ValueError, RecursionError) as exc:
        inner = unfenced(text)
        if inner is not None:
            try:
                return loads_strict(inner), True, None
            except (ValueError, RecursionError):
                pass
        return None, False, f"the content is not JSON ({exc}): {excerpt(text, 100)!r}"
