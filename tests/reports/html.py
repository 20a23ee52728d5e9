"""Reading report.html as a browser's parser would: every start tag with its attributes, the text
of each <script>, and the JSON evidence block the page script renders from."""

from __future__ import annotations

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
    """The page's evidence block, parsed."""
    data: dict[str, Any] = json.loads(evidence_text(doc))
    return data
