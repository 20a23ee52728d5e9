"""A strict, incremental Server-Sent Events reader (WHATWG HTML § 9.2 parsing rules).

Lenient readers hide framing faults; this one accepts every legal framing (LF, CR or CRLF
line ends, ``data:`` with or without the space, comments, ``event:``/``id:``/``retry:``
fields, chunks split anywhere) and *reports* everything else as a fault instead of
guessing. Only bytes that cannot be text at all raise :class:`SSEError`.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

from .errors import SSEError


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
        self._buffer = ""
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
        if self._buffer:
            self._line(self._buffer)
            self._buffer = ""
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
        buf = self._buffer + text
        start = 0
        i = 0
        n = len(buf)
        while i < n:
            ch = buf[i]
            if ch == "\n" and self._after_cr and i == start:
                # Second half of a CRLF split across two feeds.
                self._after_cr = False
                start = i = i + 1
                continue
            self._after_cr = False
            if ch == "\r" or ch == "\n":
                event = self._line(buf[start:i])
                if event is not None:
                    events.append(event)
                if ch == "\r":
                    if i + 1 < n:
                        if buf[i + 1] == "\n":
                            i += 1
                    else:
                        self._after_cr = True
                start = i = i + 1
                continue
            i += 1
        self._buffer = buf[start:]
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
            if not value.isdigit():
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
