"""Reporters: turn a :class:`~conformance.results.RunResult` into results.json, report.html, junit.xml
and summary.md (plus a terminal matrix, and SVG badges in ``badge.py``). They read the RunResult only."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..results import RunResult
from .html import render_html
from .json_report import load_results, render_json, render_json_parts
from .junit import render_junit
from .markdown import render_markdown
from .terminal import render_terminal_matrix

__all__ = [
    "load_results",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_terminal_matrix",
    "write_reports",
]

REPORT_FILES: dict[str, str] = {
    "json": "results.json",
    "html": "report.html",
    "junit": "junit.xml",
    "markdown": "summary.md",
}


def write_atomic(path: Path, text: str | Iterable[str]) -> None:
    """Write ``text`` (UTF-8; a string or its pieces in order) to ``path`` through a temp file in the
    same directory and ``os.replace``.

    Lone surrogates (undecodable bytes that slipped into evidence) are written as ``\\udXXX``, which
    inside a JSON string is the exact escape for them.
    """
    pieces = [text] if isinstance(text, str) else text
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            for piece in pieces:
                fh.write(piece.encode("utf-8", errors="backslashreplace"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_reports(result: RunResult, out_dir: Path) -> dict[str, Path]:
    """Write the four report files into ``out_dir`` (created if needed); returns kind → path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    renderers = {
        # results.json is written as it is serialized, a verdict at a time (see render_json_parts).
        "json": render_json_parts,
        "html": render_html,
        "junit": render_junit,
        "markdown": render_markdown,
    }
    written: dict[str, Path] = {}
    for kind, render in renderers.items():
        path = out_dir / REPORT_FILES[kind]
        write_atomic(path, render(result))
        written[kind] = path
    return written
