"""``conformance badge``: one self-contained SVG per provider, its colour from the worst verdict
(among the required checks with --require, else among the applicable ones), safe for any name.

The badges rendered in Chromium are in test_browser.py.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.cli import ExitCode, main
from conformance.report import render_json
from conformance.report.badge import COLOURS, LABEL_COLOUR, NAME_CHARS, Badge, badge_filename, badge_of, badges, render_badge
from conformance.results import RunResult
from conformance.verdict import Status
from tests.reports.test_reports import make_result

SVG = "{http://www.w3.org/2000/svg}"
ALLOWED = {"svg", "title", "rect", "g", "text"}
ATTRIBUTES = {"width", "height", "viewBox", "role", "aria-label", "x", "y", "rx", "fill", "text-anchor", "font-family",
              "font-size", "textLength", "lengthAdjust"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))


def texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in parse(svg).iter(f"{SVG}text")]


def message_fill(svg: str) -> str:
    rects = list(parse(svg).iter(f"{SVG}rect"))
    return rects[1].get("fill") or ""


def assert_self_contained(svg: str) -> None:
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    for el in root.iter():
        assert el.tag.removeprefix(SVG) in ALLOWED, el.tag
        for name, value in el.attrib.items():
            # no href, src, style, event handler or anything else that could point somewhere or run
            assert name in ATTRIBUTES, (el.tag, name)
            if name == "fill":
                assert re.fullmatch(r"#[0-9a-f]{6}|#fff", value), value  # a colour, never url(...)
    # The only URL is the SVG namespace; no style, script, font, image or link of any kind.
    assert re.findall(r"https?://[^\"' ]+", svg) == ["http://www.w3.org/2000/svg"]
    for word in ("<script", "<style", "<image", "<a ", "<foreignObject", "@import", "@font-face", "<!ENTITY", "<!DOCTYPE"):
        assert word.lower() not in svg.lower(), word


def save(result: RunResult, path: Path) -> Path:
    path.write_text(render_json(result), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------ colour rule


def test_without_requirements_the_colour_is_the_worst_applicable_verdict() -> None:
    result = make_result()
    # alpha: pass ×3, warn, fail, skip; beta: pass ×2, unsupported, error, fail, skip
    assert badge_of(result, "alpha") == Badge("alpha", 3, 5, "fail", required=False)
    for v in result.verdicts:
        if v.status == Status.FAIL:
            v.status = Status.PASS
    assert badge_of(result, "alpha").worst == "warn"
    assert badge_of(result, "beta").worst == "error"  # error is worse than unsupported
    for v in result.verdicts:
        if v.provider == "alpha" and v.status == Status.WARN:
            v.status = Status.PASS
    clean = badge_of(result, "alpha")
    assert clean.worst == "pass" and clean.message == "5/5 · pass"  # its skip does not make it grey
    for v in result.verdicts:
        if v.provider == "alpha":
            v.status = Status.SKIP
    assert badge_of(result, "alpha").worst == "skip"


def test_with_requirements_the_colour_is_the_worst_verdict_among_them_skip_and_missing_included() -> None:
    result = make_result()
    assert badge_of(result, "alpha", {"chat.basic", "chat.stop"}).worst == "warn"
    beta = badge_of(result, "beta", {"chat.basic", "chat.stop"})
    assert beta.worst == "pass" and beta.message == "2/5 · required: pass"  # the score stays the whole run's
    assert badge_of(result, "alpha", {"chat.basic", "tools.parallel"}).worst == "skip"  # a skipped requirement counts
    result.verdicts = [v for v in result.verdicts if not (v.provider == "beta" and v.check_id == "chat.stop")]
    missing = badge_of(result, "beta", {"chat.basic", "chat.stop"})
    assert missing.worst == "missing" and missing.colour == COLOURS["fail"]


def test_a_provider_that_did_not_run_gets_a_grey_not_run_badge() -> None:
    made = dict(badges(make_result()))
    assert list(made) == ["alpha.svg", "beta.svg", "gamma.svg"]
    gamma = made["gamma.svg"]
    assert not gamma.ran and gamma.message == "not run" and gamma.colour == COLOURS["none"]
    assert texts(render_badge(gamma)) == ["gamma", "not run"]


def test_the_svg_says_in_words_what_the_colour_says() -> None:
    svg = render_badge(badge_of(make_result(), "alpha"))
    assert texts(svg) == ["alpha", "3/5 · fail"]
    assert message_fill(svg) == COLOURS["fail"] and parse(svg).find(f"{SVG}rect").get("fill") == LABEL_COLOUR  # type: ignore[union-attr]
    root = parse(svg)
    title = "OpenAI compatibility of alpha: 3 of 5 applicable checks passed; worst verdict among its applicable checks: fail"
    assert root.get("aria-label") == title and root.get("role") == "img"
    assert "".join(root.find(f"{SVG}title").itertext()) == title  # type: ignore[union-attr]
    assert_self_contained(svg)
    one = Badge("solo", 1, 1, "pass", required=True)
    assert "1 of 1 applicable check passed; worst verdict among its required checks: pass" in one.title


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("colour", sorted({*COLOURS.values(), LABEL_COLOUR}))
def test_white_text_is_legible_on_every_colour(colour: str) -> None:
    assert (1.05 / (_luminance(colour) + 0.05)) >= 4.5, colour  # WCAG AA for normal text


def test_colours_tell_the_verdicts_apart() -> None:
    shown = [COLOURS[s.value] for s in Status]
    assert len(set(shown)) == len(shown)


def test_the_text_fits_its_box() -> None:
    long = render_badge(Badge("w" * 500, 10, 20, "warn", required=False))
    label, message = parse(long).iter(f"{SVG}text")
    assert "".join(label.itertext()) == "w" * (NAME_CHARS - 1) + "…"
    width = int(parse(long).get("width") or 0)
    rects = list(parse(long).iter(f"{SVG}rect"))
    label_w = int(rects[1].get("x") or 0)
    assert int(label.get("textLength") or 0) < label_w < width
    assert label_w + int(message.get("textLength") or 0) < width


# ------------------------------------------------------------------------------- hostile names

HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    "\"><svg onload=alert(2)>",
    "]]><!ENTITY x SYSTEM 'file:///etc/passwd'>&x;",
    "../../../etc/passwd",
    "..",
    ".hidden",
    " ",
    "CON",
    "a/b\\c:d*e?f\"g<h>i|j",
    "\u202egnp.exe",
    "ctrl\x00\x1b[31m\x07",
    "Ünïcödé 名前",
    "Same",
    "same",
    "x" * 500,
]


@pytest.fixture
def hostile() -> RunResult:
    result = make_result()
    template = [v for v in result.verdicts if v.provider == "alpha"]
    result.providers = []
    result.verdicts = []
    for n, name in enumerate(HOSTILE_NAMES):
        from dataclasses import replace

        result.providers.append(replace(make_result().providers[0], name=name, models={"chat": name}))
        result.verdicts += [replace(v, provider=name, summary=name) for v in template]
        if n % 2:
            result.verdicts[-1].status = Status.ERROR
    return result


def test_hostile_names_are_escaped_and_files_stay_in_the_out_dir(hostile: RunResult, tmp_path: Path) -> None:
    out = tmp_path / "badges"
    assert main(["badge", str(save(hostile, tmp_path / "results.json")), "--out", str(out)]) == ExitCode.OK
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == len(HOSTILE_NAMES) == len({f.lower() for f in files})  # one each, unique even case-blind
    for name in files:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.svg", name) and len(name) <= 90, name
    assert {"script_alert_1_script.svg", "etc_passwd.svg", "provider.svg", "Same.svg", "same-2.svg", "Unicode.svg"} <= set(files)
    labels = []
    for path in out.iterdir():
        svg = path.read_text(encoding="utf-8")
        assert_self_contained(svg)
        for raw in ("<script", "<svg onload", "\u202e", "\x00", "\x1b", "<!ENTITY"):
            assert raw not in svg.split(">", 1)[1], (path.name, raw)  # after the root element's own start tag
        labels.append(texts(svg)[0])
    assert "<script>alert(1)</script>" in labels  # shown as text, escaped in the XML
    assert "\\u202egnp.exe" in labels  # a direction override is made visible
    assert "ctrl\\u0000\\u001b[31m\\u0007" in labels  # controls too


def test_badge_filename_rules() -> None:
    assert badge_filename("acme") == "acme.svg"
    assert badge_filename("../x") == "x.svg" and badge_filename("...") == "provider.svg"
    assert badge_filename("Acme", ["acme.svg"]) == "Acme-2.svg"
    assert badge_filename("acme", ["acme.svg", "ACME-2.svg"]) == "acme-3.svg"
    assert badge_filename("café crème") == "cafe_creme.svg"


# ------------------------------------------------------------------------------------------ CLI


def test_cli_writes_one_badge_per_provider_and_names_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = save(make_result(), tmp_path / "results.json")
    out = tmp_path / "deep" / "badges"
    assert main(["badge", str(results), "--out", str(out)]) == ExitCode.OK
    assert sorted(p.name for p in out.iterdir()) == ["alpha.svg", "beta.svg", "gamma.svg"]
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"badge: alpha: 3/5 · fail -> {out / 'alpha.svg'}",
        f"badge: beta: 2/5 · fail -> {out / 'beta.svg'}",
        f"badge: gamma: not run -> {out / 'gamma.svg'}",
    ]
    assert main(["badge", str(results), "--out", str(out), "--require", "chat.*"]) == ExitCode.OK
    assert texts((out / "alpha.svg").read_text(encoding="utf-8")) == ["alpha", "3/5 · required: warn"]
    assert message_fill((out / "beta.svg").read_text(encoding="utf-8")) == COLOURS["pass"]


def test_cli_several_files_are_merged_like_report(tmp_path: Path) -> None:
    whole = make_result()
    a, b = make_result(), make_result()
    a.providers, a.verdicts = whole.providers[:1], [v for v in whole.verdicts if v.provider == "alpha"]
    b.providers, b.verdicts = whole.providers[1:2], [v for v in whole.verdicts if v.provider == "beta"]
    out = tmp_path / "badges"
    assert main(["badge", str(save(a, tmp_path / "a.json")), str(save(b, tmp_path / "b.json")), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["alpha.svg", "beta.svg"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "results file not found"),
        ("{not json", "not valid JSON at $ (line 1, column 2)"),
        ('{"schema_version": 1}', "not a valid results file at $"),
    ],
)
def test_cli_a_bad_results_file_is_exit_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   content: str | None, message: str) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    out = tmp_path / "badges"
    assert main(["badge", str(bad), "--out", str(out)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"conformance: error: {bad}: ") and message in err, err
    assert not out.exists()


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = save(make_result(), tmp_path / "results.json")
    assert main(["badge", str(results), "--out", str(tmp_path / "o"), "--require", "nope.*"]) == ExitCode.USAGE
    assert "--require 'nope.*' matches no check" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert main(["badge", str(results), "--out", str(blocker)]) == ExitCode.USAGE
    assert "is a file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["badge"])
    assert exited.value.code == 2
    assert "RESULTS.json" in capsys.readouterr().err


def test_badges_of_the_demo_run(demo_run: RunResult, tmp_path: Path) -> None:
    """The real demo: the reference and the legal-but-unusual flavour are green, the deviant ones red."""
    made = {b.provider: b for _, b in badges(demo_run)}
    assert {name: b.worst for name, b in made.items()} == {
        "reference": "pass", "lenient-local": "fail", "old-gateway": "fail", "picky-proxy": "fail", "unusual-but-legal": "pass",
    }
    data = json.loads(render_json(demo_run))
    assert [p["name"] for p in data["providers"]] == list(made)
