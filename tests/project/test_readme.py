"""The README's check table is the user's reference: every check has its row, saying what it measures."""

from __future__ import annotations

import re

from conformance.checklist import all_checks
from tests.support.paths import REPO_ROOT


def test_every_check_has_a_row_saying_what_it_measures() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## What each check establishes", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `([a-z_]+\.[a-z_0-9]+)` \| (protocol|model) \|", table, re.MULTILINE))
    assert rows == {c.id: c.measures.value for c in all_checks()}
    assert list(rows) == [c.id for c in all_checks()], "rows in checklist order"
