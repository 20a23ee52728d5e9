"""Structured outputs: `response_format` JSON mode and JSON-schema mode, whose content an app
parses directly."""

from .json_object import structured_json_object
from .json_schema import structured_json_schema

CHECKS = (structured_json_object, structured_json_schema)
