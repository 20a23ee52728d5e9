"""Compiled JSON-Schema validators for provider responses, at two levels.

``compat``: what real clients need; a violation breaks or misleads them (a failure).
``strict``: the spec to the letter; a violation only there is tolerated (a warning).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
import jsonschema

from .text import excerpt, json_path
from .verdict import SchemaIssue

COMPAT = "compat"
STRICT = "strict"
SCHEMA_NAMES = ("chat_completion", "chat_completion_chunk", "error_response", "models_list", "response", "response_stream_event")


@cache
def _validator(level: str, name: str) -> jsonschema.protocols.Validator:
    text = (resources.files("conformance.schemas") / level / f"{name}.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    # Not cls.check_schema here: checking the big strict schemas against the metaschema costs about
    # a second at every start; tests/unit/test_schemas.py checks every shipped schema once instead.
    return cls(schema)


@cache
def _accepts(level: str, name: str) -> Callable[[Any], Any]:
    """A compiled validator that only answers valid or not, about twenty times faster than
    jsonschema's: most documents are valid, and for those the answer is all that is needed.

    Our schemas use only keywords draft 7 already had ($defs reached by plain JSON pointers), so
    fastjsonschema's draft-7 compiler reads them as written; tests/unit/test_schemas.py holds the
    two validators to the same answers."""
    original = _validator(level, name).schema
    assert isinstance(original, dict)
    schema = {**original, "$schema": "http://json-schema.org/draft-07/schema#"}
    compiled: Callable[[Any], Any] = fastjsonschema.compile(schema)
    return compiled


def _valid(level: str, name: str, document: Any) -> bool:
    try:
        _accepts(level, name)(document)
    except fastjsonschema.JsonSchemaValueException:
        return False
    except Exception:  # noqa: BLE001 - e.g. a document nested past the compiled code's recursion: let jsonschema decide
        return False
    return True


def validate(name: str, document: Any, where: str = "response") -> list[SchemaIssue]:
    """Every compat violation, plus the strict violations that compat did not already report.
    The errors and their paths always come from jsonschema; the fast validator only skips it for
    documents it accepts."""
    issues: list[SchemaIssue] = []
    seen: set[tuple[str, str]] = set()
    for level in (COMPAT, STRICT):
        if _valid(level, name, document):
            continue
        for error in sorted(_validator(level, name).iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
            path = json_path(error.absolute_path)
            key = (path, error.message)
            if key in seen:
                continue
            seen.add(key)
            message = excerpt(error.message, 300)
            issues.append(SchemaIssue(name, level, path, message, where, keyword=str(error.validator)))
    return issues


EARLIEST_CREATED = 1_577_836_800
"""2020-01-01 in seconds since the epoch: no OpenAI-compatible API answered before it."""
_CREATED_SLACK_S = 86_400


def implausible(name: str, document: Any, where: str = "response", *, now: float | None = None) -> list[SchemaIssue]:
    """Values of the right type that no real response has (see schemas/README.md, "Plausible values").

    All are strict-level: a client does not crash on them, but shows or stores nonsense. Counts that
    contradict each other are judged by the usage checks, which own them."""
    if not isinstance(document, dict):
        return []
    issues: list[SchemaIssue] = []
    field = "created_at" if name.startswith("response") else "created"
    created = document.get(field)
    latest = (time.time() if now is None else now) + _CREATED_SLACK_S
    if isinstance(created, int | float) and not isinstance(created, bool) and not EARLIEST_CREATED <= created <= latest:
        unit = " (it looks like milliseconds)" if EARLIEST_CREATED * 1000 <= created <= latest * 1000 else ""
        issues.append(SchemaIssue(
            name, STRICT, f"$.{field}", f"{created} is not a plausible time in seconds since the epoch{unit}", where, keyword="plausible",
        ))
    for key in ("id", "model"):
        if document.get(key) == "":
            issues.append(SchemaIssue(name, STRICT, f"$.{key}", f"{key} is an empty string", where, keyword="plausible"))
    return issues


def has_compat_issue(issues: Iterable[SchemaIssue]) -> bool:
    return any(i.level == COMPAT for i in issues)


