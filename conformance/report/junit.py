"""junit.xml: one test suite per provider, one test case per verdict, for CI dashboards."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..results import RunResult
from ..verdict import Status, Verdict
from ..matrix import ordered_checks

# Everything outside the XML 1.0 Char production (C0 controls bar tab/newline/CR, lone surrogates,
# U+FFFE/U+FFFF) makes a document ill-formed, whatever escaping is used: strip it.
_ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MAX_ATTR = 1000
_MAX_LINE = 2000
_MAX_BODY = 50_000


def xml_text(text: object, limit: int | None = None) -> str:
    text = _ILLEGAL_XML.sub("", str(text))
    if limit is not None and len(text) > limit:
        text = text[:limit] + f"… (truncated {len(text) - limit} chars)"
    return text


def _attr(text: object) -> str:
    return xml_text(" ".join(str(text).split()), _MAX_ATTR)


def _seconds(ms: float) -> str:
    return f"{max(ms, 0.0) / 1000:.3f}"


def evidence_text(v: Verdict) -> str:
    """The evidence behind a verdict as plain text lines: summary, notes, schema issues, exchanges."""
    lines = [f"{v.status.value}: {v.summary}"]
    if v.notes:
        lines.append("notes:")
        lines += [f"  - {n}" for n in v.notes]
    if v.schema_issues:
        lines.append("schema issues:")
        for i in v.schema_issues:
            where = f" ({i.where})" if i.where else ""
            lines.append(f"  [{i.level}] {i.schema} {i.path}: {i.message}{where}")
    if v.exchanges:
        lines.append("exchanges:")
        for e in v.exchanges:
            outcome = f"{e.response.status}" if e.response is not None else "no response"
            if e.error:
                outcome += f", error: {e.error}"
            lines.append(f"  {e.label}: {e.request.method} {e.request.url} -> {outcome} ({e.elapsed_ms:.0f} ms)")
    text = "\n".join(xml_text(" ".join(line.splitlines()), _MAX_LINE) for line in lines)
    return xml_text(text, _MAX_BODY)


def render_junit(result: RunResult) -> str:
    root = ET.Element("testsuites", name="conformance")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    checks = ordered_checks(result)
    order = {c.id: i for i, c in enumerate(checks)}

    suites: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for p in result.providers:
        if p.name not in seen:
            seen.add(p.name)
            suites.append((p.name, p.skipped_reason))
    for v in result.verdicts:
        if v.provider not in seen:
            seen.add(v.provider)
            suites.append((v.provider, None))

    for name, skipped_reason in suites:
        classname = xml_text(f"conformance.{name}")
        verdicts = sorted(
            (v for v in result.verdicts if v.provider == name),
            key=lambda v: order.get(v.check_id, len(order)),
        )
        suite = ET.SubElement(root, "testsuite", name=xml_text(name))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        elapsed = 0.0
        if skipped_reason and not verdicts:
            case = ET.SubElement(suite, "testcase", classname=classname, name="provider", time="0.000")
            ET.SubElement(case, "skipped", message=_attr(skipped_reason))
            counts["tests"] += 1
            counts["skipped"] += 1
        for v in verdicts:
            counts["tests"] += 1
            elapsed += v.duration_ms
            case = ET.SubElement(
                suite, "testcase", classname=classname, name=xml_text(v.check_id), time=_seconds(v.duration_ms)
            )
            if v.status == Status.FAIL:
                counts["failures"] += 1
                el = ET.SubElement(case, "failure", message=_attr(v.summary), type="fail")
                el.text = evidence_text(v)
            elif v.status == Status.ERROR:
                counts["errors"] += 1
                el = ET.SubElement(case, "error", message=_attr(v.summary), type="error")
                el.text = evidence_text(v)
            elif v.status == Status.UNSUPPORTED:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=_attr(f"unsupported: {v.summary}"))
            elif v.status == Status.SKIP:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=_attr(v.summary))
            elif v.status == Status.WARN:
                out = ET.SubElement(case, "system-out")
                out.text = evidence_text(v)  # first line: "warn: <summary>"
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", _seconds(elapsed))

    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{max(result.duration_s, 0.0):.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
