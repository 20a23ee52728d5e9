"""conformance.sse.SSEReader: the strict incremental Server-Sent Events reader.

Examples: LF, CR and CRLF line ends; ``data:x`` without the space; multi-line data; comments
(counted, ignored); event/id/retry fields; a leading BOM (also split across feeds); CRLF and
CR/LF split across feed() calls; an unterminated last event dropped and reported at close();
non-field lines reported as faults with their line number; invalid UTF-8 raising SSEError;
the evidence lines kept (and capped).

Properties (hypothesis): every legal framing of one event sequence -- space or not after the
colon, any mix of LF/CR/CRLF, interleaved comments, event/id/retry fields, any split of the
bytes into network chunks -- gives the same data payloads; for any text, chunked feeding gives
exactly what a one-shot feed and an independent reference parser give; arbitrary bytes in
arbitrary chunks raise nothing but SSEError.
"""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.errors import SSEError
from conformance.sse import SSEEvent, SSEReader

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_all(*chunks: bytes) -> tuple[list[SSEEvent], SSEReader]:
    reader = SSEReader()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events.extend(reader.feed(chunk))
    events.extend(reader.close())
    return events, reader


def datas(events: list[SSEEvent]) -> list[str]:
    return [e.data for e in events]


# --- line endings and field syntax ------------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"])
def test_each_line_ending(eol: bytes) -> None:
    stream = eol.join([b"data: one", b"", b"data: two", b"", b""])
    events, reader = read_all(stream)
    assert datas(events) == ["one", "two"]
    assert reader.faults == []
    assert reader.lines == ["data: one", "", "data: two", ""]


def test_mixed_line_endings_in_one_stream() -> None:
    events, reader = read_all(b"data: a\r\n\rdata: b\n\r\ndata: c\r\r")
    assert datas(events) == ["a", "b", "c"]
    assert reader.faults == []


@pytest.mark.parametrize(
    ("stream", "payloads"),
    [
        pytest.param(b"data:x\n\n", ["x"], id="no_space_after_colon"),
        pytest.param(b"data:  two spaces\n\n", [" two spaces"], id="only_one_leading_space_is_removed"),
        pytest.param(b"data\n\n", [""], id="field_without_colon_is_an_empty_data_line"),
        pytest.param(b'data: {"a": "b:c"}\n\n', ['{"a": "b:c"}'], id="value_may_contain_colons"),
    ],
)
def test_data_field_syntax(stream: bytes, payloads: list[str]) -> None:
    events, reader = read_all(stream)
    assert datas(events) == payloads
    assert reader.faults == []


def test_multi_line_data_joined_with_newline() -> None:
    events, _ = read_all(b"data: first\ndata:second\ndata: third\n\n")
    assert datas(events) == ["first\nsecond\nthird"]
    assert events[0].line == 1


def test_comments_are_counted_and_ignored() -> None:
    events, reader = read_all(b": keep-alive\n:\ndata: x\n: inside an event\n\n: trailing\n")
    assert datas(events) == ["x"]
    assert reader.comments == 4
    assert reader.faults == []


def test_event_id_and_retry_fields() -> None:
    events, reader = read_all(b"event: message\nid: 42\nretry: 3000\ndata: hello\n\ndata: next\n\n")
    assert events[0] == SSEEvent(data="hello", event="message", id="42", line=1)
    # The event type resets after dispatch; the last event id persists (WHATWG).
    assert events[1] == SSEEvent(data="next", event=None, id="42", line=6)
    assert reader.faults == []


def test_id_with_nul_is_ignored() -> None:
    events, _ = read_all(b"id: 1\ndata: a\n\nid: x\x00y\ndata: b\n\n")
    assert [e.id for e in events] == ["1", "1"]


def test_non_integer_retry_is_a_fault() -> None:
    events, reader = read_all(b"retry: soon\ndata: x\n\n")
    assert datas(events) == ["x"]
    assert len(reader.faults) == 1
    assert reader.faults[0].line == 1
    assert "retry" in reader.faults[0].message and "soon" in reader.faults[0].message


@pytest.mark.parametrize("value", ["", "1.5", "-1", "²", "１２"])
def test_retry_must_be_ascii_digits(value: str) -> None:
    _, reader = read_all(f"retry: {value}\ndata: x\n\n".encode())
    assert [f.line for f in reader.faults] == [1]


def test_blank_lines_without_data_dispatch_nothing() -> None:
    events, reader = read_all(b"\n\n\nevent: lonely\n\n\n")
    assert events == []
    assert reader.faults == []


def test_bom_at_start_is_skipped() -> None:
    events, reader = read_all(b"\xef\xbb\xbfdata: x\n\n")
    assert datas(events) == ["x"]
    assert reader.faults == []
    assert reader.lines[0] == "data: x"


def test_bom_split_across_feeds() -> None:
    events, reader = read_all(b"\xef", b"\xbb", b"\xbfdata: x\n\n")
    assert datas(events) == ["x"]
    assert reader.faults == []


def test_bom_after_start_is_not_skipped() -> None:
    events, reader = read_all(b"data: x\n\n\xef\xbb\xbfdata: y\n\n")
    assert datas(events) == ["x"]
    assert len(reader.faults) == 1 and reader.faults[0].line == 3


# --- chunk boundaries ------------------------------------------------------------------------


def test_crlf_split_across_feeds_is_one_line_break() -> None:
    reader = SSEReader()
    assert reader.feed(b"data: x\r") == []
    assert reader.feed(b"\n") == []
    events = reader.feed(b"\r\n")
    assert datas(events) == ["x"]
    assert reader.lines == ["data: x", ""]
    assert reader.lines_seen == 2


def test_cr_at_end_of_feed_then_lf_after_empty_feeds() -> None:
    reader = SSEReader()
    reader.feed(b"data: x\r")
    reader.feed(b"")
    events = reader.feed(b"\n\n")
    assert datas(events) == ["x"]
    assert reader.lines == ["data: x", ""]


def test_lone_cr_at_end_of_feed_then_text() -> None:
    reader = SSEReader()
    reader.feed(b"data: a\r")
    events = reader.feed(b"\rdata: b\r\r")
    assert datas(events) == ["a", "b"]
    assert reader.lines == ["data: a", "", "data: b", ""]


def test_cr_cr_lf_is_two_line_breaks() -> None:
    # CR, then CRLF: the second CR starts a new (empty) line, so this dispatches.
    events, reader = read_all(b"data: x\r", b"\r\n")
    assert datas(events) == ["x"]
    assert reader.lines == ["data: x", ""]


def test_multibyte_character_split_across_feeds() -> None:
    payload = "héllo → 世界 🙂".encode()
    stream = b"data: " + payload + b"\n\n"
    events, _ = read_all(*(stream[i : i + 1] for i in range(len(stream))))
    assert datas(events) == ["héllo → 世界 🙂"]


def test_events_are_returned_by_the_feed_that_completes_them() -> None:
    reader = SSEReader()
    assert reader.feed(b"data: a\n") == []
    assert datas(reader.feed(b"\ndata: b")) == ["a"]
    assert datas(reader.feed(b"\n\n")) == ["b"]
    assert reader.close() == []


def test_long_line_in_small_chunks_is_read_whole() -> None:
    # How fast this goes (linear, not quadratic, in the line length) is measured by bench/bench_sse.py.
    stream = b"data: " + b"x" * 200_000 + b"\n\n"
    reader = SSEReader()
    events = [e for i in range(0, len(stream), 1024) for e in reader.feed(stream[i : i + 1024])]
    assert [len(e.data) for e in events] == [200_000]


# --- faults ------------------------------------------------------------------------------------


def test_unterminated_last_event_is_dropped_and_reported() -> None:
    events, reader = read_all(b"data: kept\n\ndata: lost\n")
    assert datas(events) == ["kept"]
    assert len(reader.faults) == 1
    assert reader.faults[0].line == 3
    assert "blank line" in reader.faults[0].message


def test_unterminated_last_line_is_dropped_and_reported() -> None:
    events, reader = read_all(b"data: kept\n\ndata: [DONE]")
    assert datas(events) == ["kept"]
    assert [f.line for f in reader.faults] == [3]
    assert reader.lines[-1] == "data: [DONE]"


def test_close_on_clean_stream_reports_nothing() -> None:
    events, reader = read_all(b"data: a\n\n")
    assert datas(events) == ["a"]
    assert reader.faults == []


def test_non_field_line_is_a_fault_not_an_exception() -> None:
    events, reader = read_all(b'data: a\n\n{"not": "sse"}\ndata: b\n\n')
    assert datas(events) == ["a", "b"]
    assert len(reader.faults) == 1
    fault = reader.faults[0]
    assert fault.line == 3
    assert "not an SSE field line" in fault.message
    assert '{"not": "sse"}' in fault.message


def test_long_bad_line_is_shortened_in_the_fault() -> None:
    _, reader = read_all(b"x" * 500 + b"\n\n")
    assert len(reader.faults) == 1
    assert len(reader.faults[0].message) < 200
    assert "..." in reader.faults[0].message


def test_invalid_utf8_raises_sse_error() -> None:
    reader = SSEReader()
    reader.feed(b"data: ok\n\n")
    with pytest.raises(SSEError, match="not valid UTF-8 at line 3"):
        reader.feed(b"data: \xff\xfe\n\n")


def test_stream_ending_inside_a_utf8_sequence_raises_sse_error() -> None:
    reader = SSEReader()
    reader.feed(b"data: \xe4\xb8")
    with pytest.raises(SSEError, match="ends inside a UTF-8 sequence"):
        reader.close()


def test_encoded_surrogate_is_invalid_utf8() -> None:
    with pytest.raises(SSEError):
        SSEReader().feed(b"data: \xed\xa0\x80\n\n")


def test_kept_lines_are_capped_but_all_are_counted() -> None:
    reader = SSEReader(keep_lines=3)
    events = reader.feed(b"data: a\n\ndata: b\n\ndata: c\n\n")
    assert datas(events) == ["a", "b", "c"]
    assert reader.lines == ["data: a", "", "data: b"]
    assert reader.lines_seen == 6


# --- properties ---------------------------------------------------------------------------------

# Field values: any text without line breaks and without surrogates (not encodable as UTF-8).
_value = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=20)
_name = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"), min_size=1, max_size=8)
_event = st.tuples(st.lists(_value, min_size=1, max_size=4), st.none() | _name, st.none() | _name)
"""(data lines, event type or None, event id or None)."""
_EOLS = ("\n", "\r", "\r\n")


@st.composite
def framed_stream(draw: st.DrawFn) -> tuple[list[str], bytes]:
    """A legal SSE encoding of a random event sequence, and the payloads it must yield."""
    events = draw(st.lists(_event, max_size=6))
    lines: list[str] = []

    def comment() -> None:
        if draw(st.booleans()):
            lines.append(":" + draw(_value))

    def field(name: str, value: str) -> None:
        # The space after the colon is optional unless the value itself starts with one.
        space = " " if value.startswith(" ") or draw(st.booleans()) else ""
        lines.append(f"{name}:{space}{value}")

    comment()
    for data, event_type, event_id in events:
        fields = [("data", v) for v in data]
        if event_type is not None:
            fields.insert(draw(st.integers(0, len(fields))), ("event", event_type))
        if event_id is not None:
            fields.insert(draw(st.integers(0, len(fields))), ("id", event_id))
        if draw(st.booleans()):
            fields.insert(draw(st.integers(0, len(fields))), ("retry", str(draw(st.integers(0, 99999)))))
        for name, value in fields:
            field(name, value)
            comment()
        lines.append("")  # the blank line that dispatches
        comment()

    text_parts: list[str] = []
    previous_eol = ""
    for line in lines:
        choices: tuple[str, ...] = _EOLS
        if line == "" and previous_eol == "\r":
            # "\r" + "" + "\n" would be a single CRLF, not two line breaks.
            choices = ("\r", "\r\n")
        eol = draw(st.sampled_from(choices))
        text_parts.append(line + eol)
        previous_eol = eol
    if draw(st.booleans()):
        text_parts.insert(0, "\ufeff")
    expected = ["\n".join(data) for data, _, _ in events]
    return expected, "".join(text_parts).encode("utf-8")


@st.composite
def chunked(draw: st.DrawFn, data: bytes) -> list[bytes]:
    cuts = sorted(set(draw(st.lists(st.integers(0, len(data)), max_size=12))))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def feed_chunks(chunks: list[bytes]) -> tuple[list[SSEEvent], SSEReader]:
    return read_all(*chunks)


@PROPERTY_SETTINGS
@given(st.data(), framed_stream())
def test_any_legal_framing_yields_the_same_payloads(data: st.DataObject, framed: tuple[list[str], bytes]) -> None:
    expected, stream = framed
    chunks = data.draw(chunked(stream))
    events, reader = feed_chunks(chunks)
    assert datas(events) == expected
    assert reader.faults == []


def reference_parse(text: str) -> tuple[list[str], list[int]]:
    """An independent, non-incremental reading of the same rules: payloads and fault lines."""
    if text.startswith("\ufeff"):
        text = text[1:]
    parts = re.split(r"\r\n|\r|\n", text)
    complete, tail = parts[:-1], parts[-1]
    payloads: list[str] = []
    faults: list[int] = []
    data: list[str] = []
    pending = False
    for number, line in enumerate(complete + ([tail] if tail else []), start=1):
        if line == "":
            if data:
                payloads.append("\n".join(data))
            data, pending = [], False
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
            pending = True
        elif name == "event":
            pending = True
        elif name == "retry":
            if not (value.isascii() and value.isdigit()):
                faults.append(number)
        elif name != "id":
            faults.append(number)
    if pending:
        faults.append(-1)  # the unterminated-event fault
    return payloads, faults


_sse_text = st.lists(
    st.one_of(
        st.sampled_from(["data: a", "data:b", "data", "event: e", "id: 1", "retry: 5", "retry: x", "retry: ²", ": c", "", "bad",
                         "\r", "\n", "\r\n", "é", "\u2028", "\ufeff"]),
        _value,
    ),
    max_size=30,
).map("".join)


@PROPERTY_SETTINGS
@given(st.data(), _sse_text)
def test_chunked_feeding_matches_one_shot_and_reference(data: st.DataObject, text: str) -> None:
    stream = text.encode("utf-8")
    whole_events, whole = read_all(stream)
    chunks = data.draw(chunked(stream))
    events, reader = feed_chunks(chunks)

    assert events == whole_events
    assert reader.faults == whole.faults
    assert reader.lines == whole.lines
    assert reader.comments == whole.comments

    payloads, fault_lines = reference_parse(text)
    assert datas(events) == payloads
    got = [f.line for f in reader.faults if "blank line" not in f.message]
    assert got == [n for n in fault_lines if n != -1]
    assert any("blank line" in f.message for f in reader.faults) == (-1 in fault_lines)


@PROPERTY_SETTINGS
@given(st.data(), st.binary(max_size=300))
def test_arbitrary_bytes_only_ever_raise_sse_error(data: st.DataObject, blob: bytes) -> None:
    chunks = data.draw(chunked(blob))
    reader = SSEReader()
    try:
        for chunk in chunks:
            for event in reader.feed(chunk):
                assert isinstance(event.data, str)
        reader.close()
    except SSEError:
        return
    # No error: the bytes were UTF-8, and the reader agrees with a one-shot read.
    blob.decode("utf-8")
    assert reader.lines == read_all(blob)[1].lines
