"""JSON Schemas for structured outputs and tool arguments: an instance generator and the strict-mode rules.

The generator fills a schema the way a cooperative model would, so whatever a probe
validates (nested objects, arrays with items, enums, ``$ref``) is right by construction.
The strict-mode check refuses what OpenAI's Structured Outputs refuse, with OpenAI's wording:
``In context=('properties', 'y'), 'additionalProperties' is required to be supplied and to be false.``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EXAMPLE_TEXT = "example"
INTEGER_VALUE = 1
NUMBER_VALUE = 1
"""1, not 1.5: a JSON Schema number accepts it, and the reference's unit tests pin it."""
MAX_DEPTH = 12
"""Beyond this nesting a recursive schema (a tree through ``$ref``) gets its smallest instance."""
GIVE_UP_DEPTH = 2 * MAX_DEPTH
"""Beyond this nesting (only a schema no finite value satisfies gets there) the answer is null."""

_FORMAT_EXAMPLES = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00",
    "duration": "P1D",
    "email": "user@example.com",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
# The keywords OpenAI's strict mode accepts; any other is "not permitted".
_STRICT_KEYWORDS = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf",
        "$ref", "$defs", "definitions", "description", "title", "default",
        "pattern", "format", "minLength", "maxLength",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minItems", "maxItems",
    }
)
_SCHEMA_MAPS = ("properties", "$defs", "definitions")
"""Keywords whose value maps names to subschemas (the names are not keywords themselves)."""


class StrictSchemaError(ValueError):
    """A schema strict mode cannot serve; the message is OpenAI's ``In context=(...), ...`` sentence."""


def instance(schema: dict[str, Any], value: str | None = None, *, shallow: bool = False) -> Any:
    """A value that validates against ``schema``.

    ``value`` (a quoted string from the prompt) goes to the first free-text string, i.e. the
    first string without an enum, const or format: that is where a probe's "Paris" belongs,
    not in a ``unit`` enum that happens to come first. ``shallow`` fills only the top-level
    properties and gives nested objects ``{}`` and arrays ``[]``, as a server that ignores
    the schema's inner parts does.
    """
    return _Generator(schema, value, shallow).make(schema, 0)


@dataclass
class _Generator:
    root: dict[str, Any]
    value: str | None
    shallow: bool

    def make(self, schema: Any, depth: int) -> Any:
        if depth > GIVE_UP_DEPTH:
            return None
        schema = self._resolved(schema)
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return enum[0]
        branches = schema.get("anyOf") or schema.get("oneOf")
        if isinstance(branches, list) and branches:
            return self.make(self._branch(branches, depth), depth + 1)
        kind = json_type(schema)
        if kind == "object" or (kind is None and isinstance(schema.get("properties"), dict)):
            return self._object(schema, depth)
        if kind == "array" or (kind is None and "items" in schema):
            return self._array(schema, depth)
        if kind == "string":
            return self._string(schema)
        if kind == "integer":
            return _bounded(schema, INTEGER_VALUE, step=1)
        if kind == "number":
            return _bounded(schema, NUMBER_VALUE, step=1)
        if kind == "boolean":
            return True
        return None

    def _resolved(self, schema: Any) -> dict[str, Any]:
        """The schema with ``$ref`` (within the root) followed and ``allOf`` merged."""
        for _ in range(MAX_DEPTH):
            if not isinstance(schema, dict) or not isinstance(schema.get("$ref"), str):
                break
            schema = _pointer(self.root, schema["$ref"])
        if not isinstance(schema, dict):
            return {}
        parts = schema.get("allOf")
        if isinstance(parts, list):
            merged = {key: value for key, value in schema.items() if key != "allOf"}
            for part in parts:
                merged = _merge(merged, self._resolved(part))
            return merged
        return schema

    def _branch(self, branches: list[Any], depth: int) -> Any:
        """The first branch; past MAX_DEPTH the first that cannot recurse (null, a scalar)."""
        if depth < MAX_DEPTH:
            return branches[0]
        return next((b for b in branches if json_type(self._resolved(b)) not in ("object", "array", None)), branches[0])

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties")
        if not isinstance(properties, dict) or (depth >= MAX_DEPTH and not schema.get("required")):
            return {}
        if self.shallow and depth > 0:
            return {}
        return {name: self._property(prop, depth) for name, prop in properties.items()}

    def _property(self, prop: Any, depth: int) -> Any:
        if self.shallow:
            kind = json_type(self._resolved(prop))
            if kind == "object":
                return {}
            if kind == "array":
                return []
        return self.make(prop, depth + 1)

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        items = schema.get("items")
        if not isinstance(items, dict) or depth >= MAX_DEPTH:
            return []
        low = schema.get("minItems")
        high = schema.get("maxItems")
        count = max(low if isinstance(low, int) else 0, 1)
        if isinstance(high, int):
            count = min(count, high)
        return [self.make(items, depth + 1) for _ in range(count)]

    def _string(self, schema: dict[str, Any]) -> str:
        example = _FORMAT_EXAMPLES.get(str(schema.get("format")))
        if example is not None:
            return example
        text = EXAMPLE_TEXT
        if self.value is not None:
            text, self.value = self.value, None
        low = schema.get("minLength")
        high = schema.get("maxLength")
        if isinstance(low, int) and len(text) < low:
            text = text.ljust(low, "x")
        if isinstance(high, int) and len(text) > high:
            text = text[:high]
        return text


def json_type(schema: Any) -> str | None:
    """A schema's type; for a union such as ``["string", "null"]``, its first non-null member."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null" if "null" in kind else None)
    return kind if isinstance(kind, str) else None


def _bounded(schema: dict[str, Any], preferred: float, step: int) -> Any:
    """``preferred`` moved inside the schema's minimum and maximum, if it is outside them."""
    value: Any = preferred
    for key, above in (("minimum", 0), ("exclusiveMinimum", step)):
        bound = schema.get(key)
        if isinstance(bound, int | float) and not isinstance(bound, bool) and value < bound + above:
            value = bound + above
    for key, below in (("maximum", 0), ("exclusiveMaximum", step)):
        bound = schema.get(key)
        if isinstance(bound, int | float) and not isinstance(bound, bool) and value > bound - below:
            value = bound - below
    return value


def _pointer(root: dict[str, Any], ref: str) -> Any:
    """The subschema a local ``$ref`` (``#``, ``#/$defs/Name``) points at; {} if it points nowhere."""
    if not ref.startswith("#"):
        return {}
    target: Any = root
    for part in filter(None, ref[1:].split("/")):
        key = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, dict) or key not in target:
            return {}
        target = target[key]
    return target


def _merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    merged = {**left, **right}
    for key in ("properties",):
        if isinstance(left.get(key), dict) and isinstance(right.get(key), dict):
            merged[key] = {**left[key], **right[key]}
    if isinstance(left.get("required"), list) and isinstance(right.get("required"), list):
        merged["required"] = [*left["required"], *right["required"]]
    return merged


# --- strict mode ------------------------------------------------------------------------


def check_strict(schema: dict[str, Any]) -> None:
    """Raise StrictSchemaError if strict mode cannot serve ``schema`` (the first problem, depth first)."""
    if json_type(schema) != "object" or "anyOf" in schema:
        raise StrictSchemaError(
            f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{schema.get('type')}\"'."
        )
    _check_node(schema, ())


def _check_node(schema: Any, context: tuple[str, ...]) -> None:
    if not isinstance(schema, dict):
        raise StrictSchemaError(f"In context={context!r}, schema must be an object.")
    for keyword in schema:
        if keyword not in _STRICT_KEYWORDS:
            raise StrictSchemaError(f"In context={context!r}, '{keyword}' is not permitted.")
    if json_type(schema) == "object" or isinstance(schema.get("properties"), dict):
        _check_object(schema, context)
    for key in _SCHEMA_MAPS:
        children = schema.get(key)
        if isinstance(children, dict):
            for name, child in children.items():
                _check_node(child, (*context, key, name))
    if "items" in schema:
        _check_node(schema["items"], (*context, "items"))
    branches = schema.get("anyOf")
    if isinstance(branches, list):
        for number, branch in enumerate(branches):
            _check_node(branch, (*context, "anyOf", str(number)))


def _check_object(schema: dict[str, Any], context: tuple[str, ...]) -> None:
    if schema.get("additionalProperties") is not False:
        raise StrictSchemaError(
            f"In context={context!r}, 'additionalProperties' is required to be supplied and to be false."
        )
    properties = schema.get("properties")
    names = list(properties) if isinstance(properties, dict) else []
    required = schema.get("required")
    listed = required if isinstance(required, list) else []
    missing = [name for name in names if name not in listed]
    if missing or (names and not isinstance(required, list)):
        raise StrictSchemaError(
            f"In context={context!r}, 'required' is required to be supplied and to be an array including "
            f"every key in properties. Missing '{missing[0]}'."
        )
