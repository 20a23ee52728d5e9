"""PackedExchanges: a decided verdict's evidence kept compressed until the reports read it.

Covered: the round trip gives back every field exactly (any text, lone surrogates included, nested
JSON bodies with floats, None, booleans, big integers; SSE lines; missing responses); length and
truthiness without unpacking; equality with the list it was packed from; each read is a fresh list
(editing one does not change the verdict); a run's verdicts come out packed and their reports still
hold the evidence.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.report.json_report import render_json
from conformance.results import RunResult
from conformance.verdict import Exchange, PackedExchanges, RequestRecord, ResponseRecord

_text = st.text(max_size=40)  # any code point, lone surrogates included
_json: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)
_headers = st.dictionaries(_text, _text, max_size=4)
_response = st.builds(
    ResponseRecord, status=st.integers(100, 599), headers=_headers, body=_text, truncated=st.booleans(),
    size_bytes=st.integers(0, 10**9), sse_lines=st.none() | st.lists(_text, max_size=6),
)
_exchange = st.builds(
    Exchange,
    label=_text,
    request=st.builds(RequestRecord, method=st.sampled_from(["GET", "POST"]), url=_text, headers=_headers, body=_json),
    response=st.none() | _response,
    error=st.none() | _text,
    elapsed_ms=st.floats(0, 1e6),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_exchange, max_size=4))
def test_the_round_trip_gives_back_every_field(exchanges: list[Exchange]) -> None:
    packed = PackedExchanges(exchanges)
    assert packed.unpacked() == exchanges
    # What results.json writes from the packed form, without building the objects, is what it writes from them.
    as_written = json.dumps([e.to_dict() for e in exchanges], indent=2, ensure_ascii=False)
    assert json.dumps(packed.dicts(), indent=2, ensure_ascii=False) == as_written
    assert len(packed) == len(exchanges) and bool(packed) == bool(exchanges)
    assert packed == exchanges and list(packed) == exchanges
    if exchanges:
        assert packed[0] == exchanges[0] and packed[-1:] == exchanges[-1:]


def test_each_read_is_a_fresh_list() -> None:
    exchange = Exchange("a", RequestRecord("GET", "http://x/v1/models", {}), ResponseRecord(200, {}, body="ok"))
    packed = PackedExchanges([exchange])
    first = packed[0]
    assert first.response is not None
    first.response.body = "edited"
    assert packed[0].response is not None and packed[0].response.body == "ok"


def test_a_run_keeps_its_verdicts_evidence_packed_and_reports_it_whole(demo_run: RunResult) -> None:
    assert all(isinstance(v.exchanges, PackedExchanges) for v in demo_run.verdicts)
    written = json.loads(render_json(demo_run))["results"]
    assert sum(len(v["exchanges"]) for v in written) == sum(len(v.exchanges) for v in demo_run.verdicts) > 0
    streamed = [e for v in written for e in v["exchanges"] if e["response"] and e["response"]["sse_lines"]]
    assert any(line.startswith("data: ") for e in streamed for line in e["response"]["sse_lines"])
