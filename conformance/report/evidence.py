"""A verdict's evidence as plain text, and the pieces every report shows it with.

Two forms, both opening with ``status/reason: summary`` so the stable code is the first thing read:
:func:`short_evidence` (one line per item, for junit.xml and a failed pytest item) and
:func:`full_evidence` (every exchange with its headers and bodies, for a pytest-html row).
report.html builds its own richer view from :func:`pretty_body` and :func:`curl_command`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..redact import SECRET_HEADERS
from ..text import clip
from ..verdict import RequestRecord, Verdict

SHORT_LINE = 2_000
"""Most characters of one line of :func:`short_evidence`: a summary or URL can be provider text of any size."""

_DROP_FROM_CURL = frozenset({"content-length", "host"})
"""Headers curl computes itself; copying the recorded ones would be wrong once the body is edited."""


def pretty_body(body: Any) -> str | None:
    """A request body as a reader wants it: JSON indented, raw text as sent, ``None`` when there was none."""
    if body is None:
        return None
    if isinstance(body, str):
        return body
    try:
        return json.dumps(body, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(body)


def shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def curl_command(request: RequestRecord) -> str:
    """The request as a curl command line; credentials come from ``$API_KEY``, never the record."""
    method = request.method if re.fullmatch(r"[A-Z]+", request.method or "") else shell_quote(request.method)
    parts = [f"curl -sS -X {method} {shell_quote(request.url)}"]
    for name, value in request.headers.items():
        lname = name.lower()
        if lname in _DROP_FROM_CURL:
            continue
        if lname == "authorization":
            parts.append('-H "Authorization: Bearer $API_KEY"')
        elif lname in SECRET_HEADERS:
            parts.append(f'-H "{lname}: $API_KEY"')
        else:
            parts.append("-H " + shell_quote(f"{name}: {value}"))
    if request.body is not None:
        data = request.body if isinstance(request.body, str) else json.dumps(request.body, ensure_ascii=False)
        parts.append("--data-raw " + shell_quote(data))
    return " \\\n  ".join(parts)


def headline(v: Verdict) -> str:
    """``fail/no_done: <summary>``; a verdict from a results file without codes has ``fail: <summary>``."""
    return f"{v.code}: {v.summary}"


def short_evidence(v: Verdict, line_chars: int = SHORT_LINE) -> str:
    """The evidence in a few lines: the headline, notes, schema issues, one line per exchange.

    Each item stays on one line, cut to ``line_chars``: a newline in provider text must not pass
    for another item.
    """
    lines = [headline(v)]
    if v.notes:
        lines.append("notes:")
        lines += [f"  - {n}" for n in v.notes]
    if v.schema_issues:
        lines.append("schema issues:")
        for i in v.schema_issues:
            where = f" ({i.where})" if i.where else ""
            lines.append(f"  [{i.level}] {i.schema} {i.path}: {i.message}{where}")
    if v.exchanges:
        lines.append("exchanges:")
        for e in v.exchanges:
            outcome = f"{e.response.status}" if e.response is not None else "no response"
            if e.error:
                outcome += f", error: {e.error}"
            lines.append(f"  {e.label}: {e.request.method} {e.request.url} -> {outcome} ({e.elapsed_ms:.0f} ms)")
    return "\n".join(clip(" ".join(line.splitlines()), line_chars) for line in lines)


def full_evidence(v: Verdict, body_chars: int) -> str:
    """The evidence in full: the headline, notes, schema issues, then each exchange with its headers,
    bodies cut to ``body_chars``, error and a copy-as-curl command."""
    lines = [headline(v)]
    lines += [f"note: {n}" for n in v.notes]
    for i in v.schema_issues:
        lines.append(f"schema [{i.level}] {i.schema} {i.path}: {i.message}" + (f" ({i.where})" if i.where else ""))
    for n, e in enumerate(v.exchanges, 1):
        lines += ["", f"--- exchange {n}: {e.label} ({e.elapsed_ms:.0f} ms)", f"{e.request.method} {e.request.url}"]
        lines += [f"{k}: {val}" for k, val in e.request.headers.items()]
        body = pretty_body(e.request.body)
        if body is not None:
            lines += ["", clip(body, body_chars)]
        if e.response is not None:
            r = e.response
            lines += ["", f"HTTP {r.status}" + (" (truncated)" if r.truncated else "")]
            lines += [f"{k}: {val}" for k, val in r.headers.items()]
            shown = "\n".join(r.sse_lines) if r.sse_lines else r.body
            lines += ["", clip(shown, body_chars)]
        if e.error:
            lines.append(f"error: {e.error}")
        lines += ["", "copy as curl:", curl_command(e.request)]
    return "\n".join(lines)
