"""Two shortcuts taken for speed, held to what they replace: conformance.text.visible answers printable
ASCII without its regex, and a run tunes the garbage collector only for its own duration."""

from __future__ import annotations

import gc

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.session import _fewer_collections
from conformance.text import _INVISIBLE, visible


def by_regex(text: str) -> str:
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(max_codepoint=0x2100)) | st.text(st.characters(max_codepoint=0x7F)))
def test_visible_gives_what_its_regex_gives(text: str) -> None:
    assert visible(text) == by_regex(text)


def test_visible_still_shows_ascii_controls() -> None:
    assert visible("a\x1b[31mb\x7f") == "a\\u001b[31mb\\u007f"
    assert visible("tab\tand\nnewline") == "tab\tand\nnewline"


def test_the_collector_is_tuned_for_the_run_only() -> None:
    before = gc.get_threshold()
    with _fewer_collections():
        assert gc.get_threshold() != before
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
