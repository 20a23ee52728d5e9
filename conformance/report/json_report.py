"""results.json: the machine-readable record of a run, validated against ``schemas/results.schema.json``."""

from __future__ import annotations

import functools
import importlib.resources
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..results import RunResult
from ..text import clip, json_path, plural

SCHEMA_RESOURCE = "results.schema.json"
_MAX_MESSAGE = 300


def render_json(result: RunResult) -> str:
    """The run as pretty-printed JSON (``RunResult.to_dict()``), keys in their natural order."""
    return "".join(render_json_parts(result))


_RESULTS_SLOT = '\n  "results": []'
"""Where the verdicts go in the document without them: at indent 2 a JSON string cannot hold this
(its quotes would be escaped), so it is found exactly once."""


def render_json_parts(result: RunResult) -> Iterator[str]:
    """results.json in pieces, exactly as ``json.dumps(result.to_dict(), indent=2)`` lays it out, but
    with one verdict serialized at a time: at hundreds of providers the whole document as Python
    objects and as one string at once cost several times its size in memory."""
    head, tail = _dumps(result.to_dict(with_results=False)).split(_RESULTS_SLOT, 1)
    yield head
    if not result.verdicts:
        yield _RESULTS_SLOT
    else:
        yield '\n  "results": ['
        for index, verdict in enumerate(result.verdicts):
            text = _dumps(verdict.to_dict()).replace("\n", "\n    ")
            yield ("\n    " if index == 0 else ",\n    ") + text
        yield "\n  ]"
    yield tail + "\n"


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False)


@functools.lru_cache(maxsize=1)
def results_schema() -> dict[str, Any]:
    """The draft 2020-12 schema that results.json documents follow."""
    text = (importlib.resources.files("conformance.schemas") / SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _order_key(error: Any) -> tuple[tuple[int, int, str], ...]:
    # Document order: compare path elements pairwise; ints (indices) and strs never mix per level
    # in a well-formed document, but tag them so the comparison can never raise.
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path)


def validate_results(data: Any, *, source: str = "<results>") -> None:
    """Raise ``ValueError`` naming ``source`` and the JSON path of the first violation, if any."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(results_schema())
    errors = sorted(validator.iter_errors(data), key=_order_key)
    if errors:
        first = errors[0]
        raise ValueError(
            f"{source}: not a valid results file at {json_path(first.absolute_path)}: "
            f"{clip(first.message, _MAX_MESSAGE)}"
            + (f" (and {plural(len(errors) - 1, 'more violation')})" if len(errors) > 1 else "")
        )


def load_results(path: Path) -> RunResult:
    """Read a results.json written by :func:`render_json`, validating it against the schema first."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON at $ (line {exc.lineno}, column {exc.colno}): {exc.msg}") from exc
    validate_results(data, source=str(path))
    try:
        return RunResult.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:  # pragma: no cover - the schema should catch these
        raise ValueError(f"{path}: cannot load results at $: {exc!r}") from exc
