"""Keep secrets out of every byte the suite writes or prints.

Providers echo keys back, often partially ("Incorrect API key provided: sk-ab***xyz"), so
removing the exact key is not enough: every run of 8 or more characters of a secret is
replaced too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

MASK = "[REDACTED]"
MIN_SECRET_SLICE = 8
SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "proxy-authorization", "cookie", "set-cookie"})
"""Headers whose value is a credential whatever it looks like: masked whole in evidence, and sent
as ``$API_KEY`` in the copy-as-curl command."""
_SECRET_HINTS = ("auth", "key", "token", "secret", "cookie")


def is_secret_header(name: str) -> bool:
    """Whether a configured header's value should be treated as a secret (its name says so)."""
    lowered = name.lower()
    return lowered in SECRET_HEADERS or any(hint in lowered for hint in _SECRET_HINTS)


class Redactor:
    """Replaces secrets (and any 8-character slice of them) in text and nested data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self._pattern: re.Pattern[str] | None = None
        self._needles: tuple[str, ...] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if not secret or secret in self._secrets:
            return
        self._secrets.append(secret)
        self._pattern = self._compile()
        self._needles = self._prefilter()

    def _prefilter(self) -> tuple[str, ...] | None:
        """The shortest pieces the pattern can match, lower-cased, when every secret is ASCII.

        A regex of many alternatives is tried at almost every position of a text (a key's
        characters are the text's characters), so most of redaction's cost was searching texts
        that hold no secret. On ASCII text, case-insensitive matching is plain lower-casing, and
        any match contains one of these pieces: ``in`` over them (C substring search) rules a text
        out several times faster. Non-ASCII text or secrets always take the regex, where Unicode
        case folding has special cases (the Kelvin sign matches "k")."""
        if not all(secret.isascii() for secret in self._secrets):
            return None
        needles: set[str] = set()
        for secret in self._secrets:
            if len(secret) < MIN_SECRET_SLICE:
                needles.add(secret.lower())
            else:
                needles.update(secret[i : i + MIN_SECRET_SLICE].lower() for i in range(len(secret) - MIN_SECRET_SLICE + 1))
        return tuple(needles)

    def _may_hold_secret(self, value: str) -> bool:
        if self._needles is None or not value.isascii():
            return True
        lowered = value.lower()
        return any(needle in lowered for needle in self._needles)

    def _compile(self) -> re.Pattern[str] | None:
        pieces: set[str] = set()
        for secret in self._secrets:
            if len(secret) < MIN_SECRET_SLICE:
                pieces.add(secret)
                continue
            # Whole secret first (longest alternatives win), then every 8-character window,
            # so a partial echo of any length >= 8 is covered by overlapping windows.
            pieces.add(secret)
            pieces.update(secret[i : i + MIN_SECRET_SLICE] for i in range(len(secret) - MIN_SECRET_SLICE + 1))
        if not pieces:
            return None
        ordered = sorted(pieces, key=len, reverse=True)
        # Case-insensitive: some providers echo a key upper- or lower-cased in their messages.
        return re.compile("|".join(re.escape(p) for p in ordered), re.IGNORECASE)

    def text(self, value: str) -> str:
        if self._pattern is None or not value or not self._may_hold_secret(value):
            return value
        spans = _merged_spans(self._pattern, value)
        if not spans:
            return value
        out: list[str] = []
        last = 0
        for start, end in spans:
            out.append(value[last:start])
            out.append(MASK)
            last = end
        out.append(value[last:])
        return "".join(out)

    def lines(self, values: list[str]) -> list[str]:
        """Each string redacted, in one pass over them all: a stream's evidence has thousands of
        lines, and one search of their joined text costs far less than one search each. A secret
        holds no line break (config refuses it in a header value), so no match spans two."""
        if self._pattern is None or not values:
            return list(values)
        joined = "\n".join(values)
        if "\n" in "".join(values):  # a value with its own line break: keep the boundaries exact
            return [self.text(v) for v in values]
        return self.text(joined).split("\n")

    def data(self, value: Any) -> Any:
        """Redact every string inside JSON-like data (keys included), all in one pass (see :meth:`lines`)."""
        if self._pattern is None:
            return value
        strings: list[str] = []
        _collect(value, strings)
        redacted = iter(self.lines(strings))
        return _rebuild(value, redacted)

    def headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        """Header values with credentials masked whatever they contain."""
        pairs = list(headers)
        flat = self.lines([part for pair in pairs for part in pair])
        result: dict[str, str] = {}
        for (name, original), redacted_name, redacted_val in zip(pairs, flat[0::2], flat[1::2], strict=True):
            val = redacted_val
            lowered = name.lower()
            if lowered in SECRET_HEADERS:
                scheme, _, rest = original.partition(" ")
                # Keep only a real scheme word ("Bearer"): a bare key followed by text must not survive.
                is_scheme = scheme.isascii() and scheme.isalpha() and len(scheme) <= 16
                keep = rest and is_scheme and lowered.endswith("authorization")
                val = f"{self.text(scheme)} {MASK}" if keep else MASK
            # Redact before lower-casing: a mixed-case secret would not match once lowered.
            key = MASK.join(part.lower() for part in redacted_name.split(MASK))
            result[key] = f"{result[key]}, {val}" if key in result else val
        return result


def _merged_spans(pattern: re.Pattern[str], value: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    while pos < len(value):
        match = pattern.search(value, pos)
        if match is None:
            break
        start, end = match.span()
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
        # Advance by one so overlapping windows (a long partial echo) extend the span.
        pos = start + 1
    return spans


def _collect(value: Any, into: list[str]) -> None:
    """Every string of JSON-like data (keys included), in the order :func:`_rebuild` takes them back."""
    if isinstance(value, str):
        into.append(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            into.append(str(k))
            _collect(v, into)
    elif isinstance(value, list | tuple):
        for v in value:
            _collect(v, into)


def _rebuild(value: Any, redacted: Iterator[str]) -> Any:
    if isinstance(value, str):
        return next(redacted)
    if isinstance(value, dict):
        return {next(redacted): _rebuild(v, redacted) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rebuild(v, redacted) for v in value]
    return value
