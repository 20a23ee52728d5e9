"""results.json is written a verdict at a time; the file must be exactly what one ``json.dumps`` of the
whole document gives, whatever the verdicts hold."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from conformance.report import write_reports
from conformance.report.json_report import render_json, render_json_parts
from conformance.results import Comparison, RunResult, RunSource, WorseCheck
from conformance.verdict import Verdict


def whole(result: RunResult) -> str:
    return json.dumps(result.to_dict(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def test_the_pieces_join_into_the_whole_document(demo_run: RunResult) -> None:
    assert len(list(render_json_parts(demo_run))) > len(demo_run.verdicts)
    assert render_json(demo_run) == whole(demo_run)


def test_hostile_text_in_a_verdict_cannot_move_where_the_verdicts_go(hostile_content_run: RunResult) -> None:
    """A summary holding the very text that marks the verdicts' place, and newlines, stays inside its string."""
    first = hostile_content_run.verdicts[0]
    trick = dataclasses.replace(first, summary='\n  "results": []\n', notes=["line\nbreak", '"results": ['])
    result = dataclasses.replace(hostile_content_run, verdicts=[trick, *hostile_content_run.verdicts[1:]])
    assert render_json(result) == whole(result)
    assert json.loads(render_json(result))["results"][0]["summary"] == '\n  "results": []\n'


def test_no_verdicts_and_the_fields_after_them(demo_run: RunResult) -> None:
    empty = dataclasses.replace(demo_run, verdicts=[])
    assert render_json(empty) == whole(empty)
    assert json.loads(render_json(empty))["results"] == []
    merged = dataclasses.replace(
        demo_run,
        sources=[RunSource(file="a.json", tool_version="0.1.0", started_at=demo_run.started_at, finished_at=demo_run.finished_at,
                           duration_s=1.0, interrupted=False, providers=["x"])],
        comparison=Comparison(baseline="old.json", worse=[WorseCheck(provider="x", check_id="chat.basic", before="pass", after="fail")]),
    )
    assert render_json(merged) == whole(merged)


def test_the_written_file_is_the_document(demo_run: RunResult, tmp_path: Path) -> None:
    written = write_reports(demo_run, tmp_path)
    assert written["json"].read_text(encoding="utf-8") == whole(demo_run)


def reference_dict(verdict: Verdict) -> dict[str, Any]:
    """What ``Verdict.to_dict`` gave when it was built on ``dataclasses.asdict`` (a deep copy)."""
    data = dataclasses.asdict(dataclasses.replace(verdict, exchanges=list(verdict.exchanges)))
    data["status"] = verdict.status.value
    reason = data.pop("reason")
    data = {**{k: data.pop(k) for k in ("check_id", "provider", "status", "summary")}, "reason": reason, **data}
    if verdict.runs is None:
        del data["runs"]
    return data


def test_a_verdicts_dict_is_the_dataclass_fields_in_order(demo_run: RunResult, hostile_content_run: RunResult) -> None:
    """to_dict is written out field by field for speed; a field added to a record and not to its
    to_dict would vanish from results.json, so the two are compared key order included."""
    verdicts = [*demo_run.verdicts, *hostile_content_run.verdicts, dataclasses.replace(demo_run.verdicts[0], runs=["pass", "fail"])]
    assert any(e.response is not None and e.response.sse_lines for v in verdicts for e in v.exchanges)
    assert any(v.schema_issues for v in verdicts)
    for verdict in verdicts:
        ours, reference = verdict.to_dict(), reference_dict(verdict)
        assert json.dumps(ours) == json.dumps(reference)
