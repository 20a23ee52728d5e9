"""Reading report.html as a browser's parser would: every start tag with its attributes, the text
of each <script>, and the JSON evidence block the page script renders from."""

from __future__ import annotations

import base64
import gzip
import json
import re
from html.parser import HTMLParser
from typing import Any

from tests.support.find import search

EVIDENCE = r'<script type="application/json" id="evidence">(.*?)</script>'


class Elements(HTMLParser):
    """Every start tag with its attributes (a bare attribute has the value ""), and each <script>'s text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script:
            self.scripts.append(data)


def elements(doc: str) -> Elements:
    parser = Elements()
    parser.feed(doc)
    parser.close()
    return parser


def evidence_text(doc: str) -> str:
    """The raw text of the page's JSON evidence block."""
    return search(EVIDENCE, doc, re.S).group(1)


def evidence(doc: str) -> dict[str, Any]:
    """The page's evidence, decoded as the page script does it: ``{"cells": {"<column>:<row>": cell}}``,
    the key being the one a cell's ``data-key`` names."""
    block = json.loads(evidence_text(doc))
    assert block["encoding"] == "gzip+base64"
    cells: dict[str, Any] = {}
    for row, chunk in enumerate(block["rows"]):
        for column, cell in unpack_row(chunk).items():
            cells[f"{column}:{row}"] = cell
    return {"cells": cells}


def unpack_row(chunk: str) -> dict[str, Any]:
    """One row's evidence: base64 (its padding left out) of gzipped JSON, provider index → cell."""
    data = base64.b64decode(chunk + "=" * (-len(chunk) % 4), validate=True)
    cells: dict[str, Any] = json.loads(gzip.decompress(data).decode("utf-8"))
    return cells


class Cell:
    """A <th> or <td> of a table: its attributes, its text (entities decoded, children's text
    included), and the ``title`` and ``data-key`` of each element inside it."""

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs = tag, attrs
        self.text = ""
        self.titles: list[str] = []
        self.keys: list[str] = []

    def span(self, name: str) -> int:
        return int(self.attrs.get(name) or 1)


class Table(HTMLParser):
    """The rows of one table (by id; the first table for ``None``), each a list of its cells, the rows
    of <thead> apart."""

    def __init__(self, table_id: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.table_id = table_id
        self._done = False
        self.head: list[list[Cell]] = []
        self.body: list[list[Cell]] = []
        self._depth = 0  # tables open, counting from the one wanted (0: outside it)
        self._in_head = False
        self._cell: Cell | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "table" and (self._depth or (not self._done and self.table_id in (None, values.get("id")))):
            self._depth += 1
        if self._depth != 1:
            return
        if tag == "thead":
            self._in_head = True
        elif tag == "tbody":
            self._in_head = False
        elif tag == "tr":
            (self.head if self._in_head else self.body).append([])
        elif tag in ("th", "td"):
            self._cell = Cell(tag, values)
            (self.head if self._in_head else self.body)[-1].append(self._cell)
        elif self._cell is not None:
            if "title" in values:
                self._cell.titles.append(values["title"])
            if "data-key" in values:
                self._cell.keys.append(values["data-key"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._depth:
            self._depth -= 1
            self._done = self._done or self._depth == 0
        elif tag in ("th", "td"):
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and self._depth == 1:
            self._cell.text += data


def table(doc: str, table_id: str | None) -> Table:
    """The table ``id="<table_id>"`` of ``doc`` (its first table for ``None``), parsed."""
    parser = Table(table_id)
    parser.feed(doc)
    parser.close()
    assert parser.head or parser.body, f"no table {table_id!r} in the page"
    return parser
