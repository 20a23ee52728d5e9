"""junit.xml: one test suite per provider, one test case per verdict, for CI dashboards."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..matrix import ordered_checks
from ..results import RunResult
from ..text import clip
from ..verdict import Status, Verdict
from .evidence import short_evidence

# Everything outside the XML 1.0 Char production (C0 controls bar tab/newline/CR, lone surrogates,
# U+FFFE/U+FFFF) makes a document ill-formed, whatever escaping is used: strip it.
_ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MAX_ATTR = 1000
_MAX_BODY = 50_000


def xml_text(text: object, limit: int | None = None) -> str:
    text = _ILLEGAL_XML.sub("", str(text))
    return text if limit is None else clip(text, limit)


def _attr(text: object) -> str:
    return xml_text(" ".join(str(text).split()), _MAX_ATTR)


def _seconds(ms: float) -> str:
    return f"{max(ms, 0.0) / 1000:.3f}"


def _evidence(v: Verdict) -> str:
    return xml_text(short_evidence(v), _MAX_BODY)


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

    by_provider: dict[str, list[Verdict]] = {}  # one pass over the verdicts, not one per suite
    for v in result.verdicts:
        by_provider.setdefault(v.provider, []).append(v)
    for name, skipped_reason in suites:
        classname = xml_text(f"conformance.{name}")
        verdicts = sorted(by_provider.get(name, []), key=lambda v: order.get(v.check_id, len(order)))
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
                el = ET.SubElement(case, "failure", message=_attr(v.summary), type=_attr(v.code))
                el.text = _evidence(v)
            elif v.status == Status.ERROR:
                counts["errors"] += 1
                el = ET.SubElement(case, "error", message=_attr(v.summary), type=_attr(v.code))
                el.text = _evidence(v)
            elif v.status == Status.UNSUPPORTED:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=_attr(f"{v.code}: {v.summary}"))
            elif v.status == Status.SKIP:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=_attr(v.summary))
            elif v.status == Status.WARN:
                out = ET.SubElement(case, "system-out")
                out.text = _evidence(v)  # first line: "warn/<reason>: <summary>"
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", _seconds(elapsed))

    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{max(result.duration_s, 0.0):.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
