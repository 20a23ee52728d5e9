"""A strict, incremental Server-Sent Events reader (WHATWG HTML § 9.2 parsing rules).

Lenient readers hide framing faults; this one accepts every legal framing (LF, CR or CRLF
line ends, ``data:`` with or without the space, comments, ``event:``/``id:``/``retry:``
fields, chunks split anywhere) and *reports* everything else as a fault instead of
guessing. Only bytes that cannot be text at all raise :class:`SSEError`.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from .errors import SSEError

_LINE_BREAK = re.compile(r"\r\n?|\n")


@dataclass(frozen=True)
class SSEEvent:
    data: str
    event: str | None = None
    id: str | None = None
    line: int = 0
    """Line number (1-based) of the event's first field."""


@dataclass(frozen=True)
class SSEFault:
    line: int
    message: str


@dataclass
class SSEReader:
    """Feed bytes as they arrive; collect events, faults and the raw lines (for evidence)."""

    keep_lines: int = 2_000
    lines: list[str] = field(default_factory=list)
    lines_seen: int = 0
    faults: list[SSEFault] = field(default_factory=list)
    comments: int = 0

    def __post_init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._pending: list[str] = []
        """The unfinished last line, as received (no line break in it)."""
        self._after_cr = False
        self._at_start = True
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._event_line = 0

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        try:
            text = self._decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise SSEError(f"stream is not valid UTF-8 at line {self.lines_seen + 1}: {exc.reason}") from None
        return self._consume(text)

    def close(self) -> list[SSEEvent]:
        """Signal end of stream. An event not closed by a blank line is discarded, as the
        standard (and the official SDKs) do, and reported as a fault."""
        try:
            text = self._decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise SSEError(f"stream ends inside a UTF-8 sequence: {exc.reason}") from None
        events = self._consume(text)
        if self._pending:
            self._line("".join(self._pending))
            self._pending = []
        if self._data or self._event is not None:
            self.faults.append(
                SSEFault(self._event_line, "stream ended without the blank line that completes the last event; it is lost")
            )
            self._reset_event()
        return events

    def _consume(self, text: str) -> list[SSEEvent]:
        if self._at_start and text:
            self._at_start = False
            if text.startswith("\ufeff"):
                text = text[1:]
        events: list[SSEEvent] = []
        pos = 0
        if self._after_cr and text:
            self._after_cr = False
            if text[0] == "\n":
                pos = 1  # second half of a CRLF split across two feeds
        # Only the new text is scanned and the unfinished line is kept in pieces, so a long
        # line arriving in many small chunks costs linear, not quadratic, time.
        for match in _LINE_BREAK.finditer(text, pos):
            line = text[pos : match.start()]
            if self._pending:
                line = "".join(self._pending) + line
                self._pending = []
            event = self._line(line)
            if event is not None:
                events.append(event)
            pos = match.end()
            if pos == len(text) and match.group() == "\r":
                self._after_cr = True  # an LF starting the next feed belongs to this CR
        if pos < len(text):
            self._pending.append(text[pos:])
        return events

    def _line(self, line: str) -> SSEEvent | None:
        self.lines_seen += 1
        if len(self.lines) < self.keep_lines:
            self.lines.append(line)
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            self.comments += 1
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if not self._data and self._event is None:
            self._event_line = self.lines_seen
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry":
            if not (value.isascii() and value.isdigit()):  # ASCII digits only ("²" is a digit too)
                self.faults.append(SSEFault(self.lines_seen, f"retry field is not an integer: {value[:40]!r}"))
        else:
            shown = line if len(line) <= 80 else line[:77] + "..."
            self.faults.append(SSEFault(self.lines_seen, f"not an SSE field line (ignored by SSE clients): {shown!r}"))
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._data:
            self._reset_event()
            return None
        event = SSEEvent(data="\n".join(self._data), event=self._event, id=self._id, line=self._event_line)
        self._reset_event()
        return event

    def _reset_event(self) -> None:
        self._data = []
        self._event = None
