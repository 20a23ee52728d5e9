"""One SVG badge per provider, for READMEs and dashboards: ``<provider> | 52/59 · fail``.

The colour rule
---------------
The colour is the worst verdict (``verdict.STATUS_ORDER``: pass, warn, unsupported, skip, error,
fail) among the checks that count:

- **with required checks** (``conformance badge --require ...``): the provider's required checks,
  every verdict counting, ``skip`` included (a skipped required check breaks the gate by default),
  and a required check with no verdict counting as the worst (``missing``, red), as the gate does;
- **without**: every *applicable* verdict, that is every verdict but ``skip`` (the score leaves
  skips out too: no vision model configured, no 429 met; a skip because a prerequisite failed is
  coloured by that prerequisite). A provider whose verdicts are all ``skip`` is grey.

results.json does not record which checks were required, so they are named on the command line.

The text says what the colour says (the worst verdict in words), so the badge reads without colour.
A provider that did not run gets a grey "not run" badge.

Safety: a badge is an SVG image, self-contained (no fonts, links, images, styles or scripts; it
references nothing, not even inside itself). Provider text is made visible (controls, bidi
overrides), cut, and XML-escaped; file names are reduced to ``[A-Za-z0-9._-]`` and made unique.
Text widths are estimated from Verdana's metrics and pinned with ``textLength``, so the text fits
whatever font the viewer has.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from ..matrix import ordered_checks, score, verdict_index
from ..results import RunResult
from ..text import excerpt, plural, visible
from ..verdict import Status
from . import write_atomic
from .overview import rank, worst_applicable

COLOURS: dict[str, str] = {
    Status.PASS.value: "#1a7f37",
    Status.WARN.value: "#8a5a00",
    Status.UNSUPPORTED.value: "#4550b0",
    Status.SKIP.value: "#636c76",
    Status.ERROR.value: "#b04500",
    Status.FAIL.value: "#c4222c",
    "missing": "#c4222c",
    "none": "#636c76",
}
"""Fill of the message half, by the badge's worst verdict; white text on each passes WCAG AA (4.5:1)."""
LABEL_COLOUR = "#454c54"
NAME_CHARS = 40
"""Most characters of the provider name shown on a badge (the title has it whole, up to TITLE_CHARS)."""
TITLE_CHARS = 300
FILE_CHARS = 80

_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Badge:
    provider: str
    passed: int
    applicable: int
    worst: str
    """A status word, ``missing`` (a required check without a verdict), or ``none`` (nothing judged)."""
    required: bool
    """Whether ``worst`` is over the required checks only."""
    ran: bool = True

    @property
    def colour(self) -> str:
        return COLOURS[self.worst]

    @property
    def message(self) -> str:
        if not self.ran:
            return "not run"
        if self.worst == "none":
            return "no verdicts"
        return f"{self.passed}/{self.applicable} · {'required: ' if self.required else ''}{self.worst}"

    @property
    def title(self) -> str:
        """The badge's accessible name (``<title>``, ``aria-label``), with the provider in full."""
        name = _text(self.provider, TITLE_CHARS)
        if not self.ran:
            return f"OpenAI compatibility of {name}: not run"
        among = "its required checks" if self.required else "its applicable checks"
        return (
            f"OpenAI compatibility of {name}: {self.passed} of {plural(self.applicable, 'applicable check')} passed; "
            f"worst verdict among {among}: {self.worst}"
        )


def badge_of(result: RunResult, provider: str, required: Collection[str] | None = None) -> Badge:
    """The badge of one provider; ``required`` holds check ids (None: no requirement given)."""
    if any(p.name == provider and p.skipped_reason for p in result.providers):
        return Badge(provider, 0, 0, "none", required is not None, ran=False)
    passed, applicable = score(result, provider)
    index = verdict_index(result)
    if required is not None:
        ids = [c.id for c in ordered_checks(result) if c.id in required]
        verdicts = [index.get((provider, check_id)) for check_id in ids]
        if any(v is None for v in verdicts):
            return Badge(provider, passed, applicable, "missing", True)
        statuses = [v.status for v in verdicts if v is not None]
        worst = max(statuses, key=rank).value if statuses else "none"
        return Badge(provider, passed, applicable, worst, True)
    found = worst_applicable(v.status for v in result.verdicts if v.provider == provider)
    return Badge(provider, passed, applicable, found.value if found else "none", False)


# Verdana 11px advance widths (px) of ASCII, as shields.io-style badges assume; anything else gets
# the width of a wide letter. Only an estimate: ``textLength`` makes the real text fit it.
_NARROW = {c: 3.9 for c in " !'(),./:;I[]`fijlrt|"}
_WIDE = {c: 9.9 for c in "MWmw%@"}
_DEFAULT_WIDTH = 7.2
_LOWER = 6.6


def text_width(text: str) -> float:
    width = 0.0
    for c in text:
        if c in _NARROW:
            width += _NARROW[c]
        elif c in _WIDE:
            width += _WIDE[c]
        elif "a" <= c <= "z":
            width += _LOWER
        else:
            width += _DEFAULT_WIDTH
    return width


def _text(text: str, limit: int) -> str:
    """Provider text for the SVG: XML-legal, controls and bidi overrides visible, on one line, cut."""
    return excerpt(_ILLEGAL_XML.sub("", visible(text)), limit)


def _xml(text: str) -> str:
    return escape(text, {'"': "&quot;", "'": "&apos;"})


def render_badge(badge: Badge) -> str:
    """The badge as a standalone SVG document (20 px high, flat, rounded)."""
    label = _text(badge.provider, NAME_CHARS) or "provider"
    message = badge.message
    pad = 6
    label_w = round(text_width(label)) + 2 * pad
    message_w = round(text_width(message)) + 2 * pad
    width = label_w + message_w
    title = _xml(badge.title)

    def text(x: float, content: str, length: int) -> str:
        return (
            f'<text x="{x:.1f}" y="14" textLength="{length}" lengthAdjust="spacingAndGlyphs">{_xml(content)}</text>'
        )

    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" viewBox="0 0 {width} 20" '
        f'role="img" aria-label="{title}">'
        f"<title>{title}</title>"
        f'<rect width="{width}" height="20" rx="3" fill="{LABEL_COLOUR}"/>'
        f'<rect x="{label_w}" width="{message_w}" height="20" rx="3" fill="{badge.colour}"/>'
        f'<rect x="{label_w}" width="4" height="20" fill="{badge.colour}"/>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f"{text(label_w / 2, label, label_w - 2 * pad)}"
        f"{text(label_w + message_w / 2, message, message_w - 2 * pad)}"
        "</g></svg>\n"
    )


def badge_filename(provider: str, taken: Collection[str] = ()) -> str:
    """``<provider>.svg`` reduced to ``[A-Za-z0-9._-]`` (accents dropped, no dot, dash or underscore at either end, at
    most FILE_CHARS), ``-2``, ``-3``... added if ``taken`` (compared case-insensitively, as on
    macOS and Windows) already has it."""
    ascii_name = unicodedata.normalize("NFKD", provider).encode("ascii", "ignore").decode("ascii")
    stem = _UNSAFE_FILE_CHARS.sub("_", ascii_name).strip("._-")[:FILE_CHARS].rstrip("._-") or "provider"
    lower = {name.lower() for name in taken}
    name, n = f"{stem}.svg", 1
    while name.lower() in lower:
        n += 1
        name = f"{stem}-{n}.svg"
    return name


def badges(result: RunResult, required: Collection[str] | None = None) -> list[tuple[str, Badge]]:
    """(file name, badge) for every provider of the run, in the run's order (skipped ones included)."""
    out: list[tuple[str, Badge]] = []
    names = [p.name for p in result.providers]
    names += [v.provider for v in result.verdicts if v.provider not in names]
    for provider in dict.fromkeys(names):
        out.append((badge_filename(provider, [name for name, _ in out]), badge_of(result, provider, required)))
    return out


def write_badges(result: RunResult, out_dir: Path, required: Collection[str] | None = None) -> list[tuple[Path, Badge]]:
    """Write one ``<provider>.svg`` per provider into ``out_dir`` (created if needed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, badge in badges(result, required):
        path = out_dir / name
        write_atomic(path, render_badge(badge))
        written.append((path, badge))
    return written
