"""Lookups that fail the test, naming what is missing, instead of returning None.

``ElementTree.find`` and ``re.search`` answer None when nothing matches; a test that goes on to
use the answer wants a clear failure there, and a type checker wants the None ruled out.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET


def child(element: ET.Element, path: str) -> ET.Element:
    """The first element at ``path`` below ``element``."""
    found = element.find(path)
    assert found is not None, f"<{element.tag} {element.attrib}> has no {path}"
    return found


def attr(element: ET.Element, name: str) -> str:
    """The value of attribute ``name``."""
    value = element.get(name)
    assert value is not None, f"<{element.tag} {element.attrib}> has no attribute {name}"
    return value


def text(element: ET.Element) -> str:
    """The element's text (before its first child)."""
    assert element.text is not None, f"<{element.tag} {element.attrib}> has no text"
    return element.text


def search(pattern: str, string: str, flags: int = 0) -> re.Match[str]:
    """The first match of ``pattern`` in ``string``."""
    match = re.search(pattern, string, flags)
    assert match is not None, f"{pattern!r} does not occur in {string[:300]!r}"
    return match
