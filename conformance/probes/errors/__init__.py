"""Errors: malformed requests get a 4xx, `application/json`, and the error envelope
`{"error": {"message", "type", "param", "code"}}`. The same four requests prove both checks."""

from .format import errors_format
from .status_codes import errors_status_codes

CHECKS = (errors_status_codes, errors_format)
