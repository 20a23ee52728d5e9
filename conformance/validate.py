"""Compiled JSON-Schema validators for provider responses, at two levels.

``compat``: what real clients need; a violation breaks or misleads them (a failure).
``strict``: the spec to the letter; a violation only there is tolerated (a warning).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

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
    cls.check_schema(schema)
    return cls(schema)


def validate(name: str, document: Any, where: str = "response") -> list[SchemaIssue]:
    """Every compat violation, plus the strict violations that compat did not already report."""
    issues: list[SchemaIssue] = []
    seen: set[tuple[str, str]] = set()
    for level in (COMPAT, STRICT):
        for error in sorted(_validator(level, name).iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
            path = json_path(error.absolute_path)
            key = (path, error.message)
            if key in seen:
                continue
            seen.add(key)
            issues.append(SchemaIssue(schema=name, level=level, path=path, message=excerpt(error.message, 300), where=where))
    return issues


def has_compat_issue(issues: Iterable[SchemaIssue]) -> bool:
    return any(i.level == COMPAT for i in issues)


