"""report.html: one self-contained page (inline CSS and JS, nothing fetched) with the matrix and its evidence.

Every provider-supplied string is hostile. Server-side text goes through ``html.escape(quote=True)``
after :func:`visible` has made control and bidi-override characters visible; the evidence travels in
a ``<script type="application/json">`` block with ``< > &`` U+2028 U+2029 escaped, and the page's
script only ever inserts it with ``textContent``. A Content-Security-Policy pins the page's own
style and script by hash, so even a rendering mistake could not run or load anything else.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import urllib.parse
from datetime import datetime, timezone
from typing import Any

from ..results import CheckInfo, ProviderRun, RunResult, WorseCheck
from ..verdict import STATUS_ORDER, Exchange, RequestRecord, Status, Verdict
from ..matrix import matrix_providers, ordered_checks, score, skipped_providers, verdict_index
from ..redact import SECRET_HEADERS
from ..text import clip, one_line, visible

BODY_CAP = 20_000
"""Most characters of any one body (request, response, SSE lines, curl command) the page shows."""
TEXT_CAP = 4_000
"""Most characters of any other single evidence string (header value, URL, note, message)."""
NAME_CAP = 200
TITLE_CAP = 300

GLYPH: dict[Status, str] = {
    Status.PASS: "✓",
    Status.FAIL: "✗",
    Status.WARN: "!",
    Status.UNSUPPORTED: "⊘",
    Status.SKIP: "–",
    Status.ERROR: "?",
}

MEANING: dict[Status, str] = {
    Status.PASS: "Conformant.",
    Status.FAIL: "Accepted but non-conformant: a client written for OpenAI would break or be misled.",
    Status.WARN: "Works, with a tolerated deviation (a strict-spec-only violation, or model behaviour).",
    Status.UNSUPPORTED: "Cleanly refused with a well-formed 4xx error: the feature is absent, honestly.",
    Status.SKIP: "Not applicable, or a prerequisite check did not pass.",
    Status.ERROR: "Inconclusive: network failure, timeout, repeated 429/5xx, interrupted run.",
}

_RESERVED_IDS = frozenset(
    {"evidence", "panel", "panel-title", "panel-body", "panel-close", "filter", "section", "search", "matrix",
     "legend", "run", "skipped", "notes", "shown", "tip", "sources", "comparison"}
)
_DROP_FROM_CURL = frozenset({"content-length", "host"})


def esc(text: object, limit: int | None = None) -> str:
    """Text for HTML element content or a quoted attribute value.

    ``=`` is written as ``&#61;`` as well, so planted markup such as ``onerror=`` does not even
    appear verbatim in the file (it renders the same).
    """
    text = str(text)
    if limit is not None:
        text = clip(text, limit)
    return html.escape(visible(text), quote=True).replace("=", "&#61;")


def t(text: object, limit: int = TEXT_CAP) -> str:
    """A string for the evidence JSON: cut, control/bidi characters made visible."""
    return visible(clip(str(text), limit))


def script_json(data: Any) -> str:
    """JSON that cannot end or confuse the ``<script>`` element it sits in.

    ``< > &`` U+2028 U+2029 (and ``=``, so planted ``onerror=`` is not even verbatim) only ever occur
    inside JSON strings, where their ``\\uXXXX`` escapes mean the same thing.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
        .replace("=", "\\u003d")
    )


def host_of(base_url: str) -> str:
    """The host (and port, if any) of a base URL; ``embedded`` for the in-process reference server."""
    if base_url.startswith("embedded:"):
        return "embedded"
    try:
        parts = urllib.parse.urlsplit(base_url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "?"
    if not host:
        return "—"
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


def when(stamp: str) -> str:
    """``2024-05-01 12:00 UTC`` from an ISO 8601 stamp; the text as given if it does not parse."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def provider_started(result: RunResult, provider: str) -> str:
    """When the run that made this provider's column started (its own run, in a merged result)."""
    source = result.source_of(provider)
    return source.started_at if source else result.started_at


def chat_model(p: ProviderRun) -> str:
    if "chat" in p.models:
        return p.models["chat"]
    return next(iter(p.models.values()), "—")


def shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def curl_command(request: RequestRecord) -> str:
    """The request as a curl command line; credentials come from ``$API_KEY``, never the record."""
    method = request.method if re.fullmatch(r"[A-Z]+", request.method or "") else shell_quote(request.method)
    parts = [f"curl -sS -X {method} {shell_quote(request.url)}"]
    for name, value in request.headers.items():
        lname = name.lower()
        if lname in _DROP_FROM_CURL:
            continue
        if lname == "authorization":
            parts.append('-H "Authorization: Bearer $API_KEY"')
        elif lname in SECRET_HEADERS:
            parts.append(f'-H "{lname}: $API_KEY"')
        else:
            parts.append("-H " + shell_quote(f"{name}: {value}"))
    if request.body is not None:
        data = request.body if isinstance(request.body, str) else json.dumps(request.body, ensure_ascii=False)
        parts.append("--data-raw " + shell_quote(data))
    return " \\\n  ".join(parts)


def _pretty_body(body: Any) -> str | None:
    if body is None:
        return None
    if isinstance(body, str):
        return body
    try:
        return json.dumps(body, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(body)


def _headers(headers: dict[str, str]) -> list[list[str]]:
    return [[t(k, NAME_CAP), t(v)] for k, v in list(headers.items())[:200]]


def _exchange(e: Exchange) -> dict[str, Any]:
    body = _pretty_body(e.request.body)
    out: dict[str, Any] = {
        "label": t(e.label, NAME_CAP),
        "request": {
            "method": t(e.request.method, NAME_CAP),
            "url": t(e.request.url),
            "headers": _headers(e.request.headers),
            "body": None if body is None else t(body, BODY_CAP),
        },
        "response": None,
        "error": None if e.error is None else t(e.error, BODY_CAP),
        "elapsed_ms": round(float(e.elapsed_ms), 1),
        "curl": t(curl_command(e.request), BODY_CAP),
    }
    r = e.response
    if r is not None:
        notes: list[str] = []
        response: dict[str, Any] = {
            "status": r.status,
            "headers": _headers(r.headers),
            "size_bytes": r.size_bytes,
            "truncated": bool(r.truncated),
            "notes": notes,
            "body": None,
            "sse": None,
        }
        if r.sse_lines:
            response["sse"] = t("\n".join(r.sse_lines), BODY_CAP)
            response["sse_count"] = len(r.sse_lines)
            shown = f"{len(r.sse_lines)} lines"
        else:
            response["body"] = t(r.body, BODY_CAP)
            shown = f"{min(len(r.body), BODY_CAP)} characters"
        if r.truncated:
            notes.append(f"truncated: {r.size_bytes} bytes were received; the evidence keeps the first {shown}")
        out["response"] = response
    return out


def _evidence(v: Verdict, check: CheckInfo) -> dict[str, Any]:
    return {
        "check": t(v.check_id, NAME_CAP),
        "title": t(check.title, NAME_CAP),
        "measures": t(check.measures, NAME_CAP),
        "provider": t(v.provider, NAME_CAP),
        "status": v.status.value,
        "glyph": GLYPH[v.status],
        "summary": t(v.summary, BODY_CAP),
        "notes": [t(n) for n in v.notes],
        "issues": [
            {
                "schema": t(i.schema, NAME_CAP),
                "level": t(i.level, NAME_CAP),
                "path": t(i.path),
                "message": t(i.message),
                "where": t(i.where, NAME_CAP),
            }
            for i in v.schema_issues
        ],
        "duration_ms": round(float(v.duration_ms), 1),
        "exchanges": [_exchange(e) for e in v.exchanges],
    }


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


CSS = """
:root { --fg:#1b1f24; --muted:#59636e; --line:#d0d7de; --bg:#fff; --head:#f3f5f8; --focus:#0b57d0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: var(--fg); background: var(--bg); margin: 0 1rem 3rem; }
h1 { font-size: 1.4rem; margin: 1rem 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.25rem 0 .4rem; }
.muted, .meta { color: var(--muted); }
.warnbox { border: 2px solid #a15c00; background: #fff4e0; padding: .4rem .7rem; }
table.plain { border-collapse: collapse; }
table.plain th, table.plain td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
table.plain td.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.legend { display: grid; grid-template-columns: max-content 1fr; gap: .25rem .75rem; margin: 0; }
dl.legend dt { padding: .15rem .5rem; border-radius: 4px; }
dl.legend dd { margin: 0; align-self: center; }
.controls { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin: 1rem 0 .5rem; }
.controls input, .controls select { font: inherit; padding: .2rem .35rem; }
#matrix { border-collapse: separate; border-spacing: 0; }
#matrix th, #matrix td { border-bottom: 1px solid var(--line); border-right: 1px solid var(--line); padding: 0; }
#matrix thead th { position: sticky; top: 0; z-index: 2; background: var(--head); vertical-align: bottom;
  padding: .4rem .6rem; text-align: center; min-width: 8.5rem; font-weight: normal; border-top: 1px solid var(--line); }
#matrix thead th.corner { left: 0; z-index: 3; text-align: left; }
#matrix .pname { display: block; font-weight: 700; overflow-wrap: anywhere; }
#matrix .phost, #matrix .pmodel { display: block; color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
#matrix .pdate { display: block; color: var(--muted); font-size: 12px; }
#matrix .pscore { display: block; font-weight: 700; margin-top: .15rem; }
#matrix th.rowhead { position: sticky; left: 0; z-index: 1; background: var(--bg); text-align: left;
  padding: .3rem .6rem; font-weight: normal; border-left: 1px solid var(--line); }
#matrix th.rowhead a { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: inherit; }
#matrix th.rowhead .ctitle { display: block; color: var(--muted); font-size: 12px; max-width: 24rem; }
#matrix .measures { font-size: 11px; border: 1px solid var(--muted); border-radius: 3px; padding: 0 .25rem; margin-left: .3rem; color: var(--muted); }
#matrix tr.section th { position: sticky; left: 0; background: #e6ebf1; text-align: left; padding: .35rem .6rem;
  font-weight: 700; border-left: 1px solid var(--line); }
#matrix tr:target th.rowhead, #matrix tr:target td, #matrix th.rowhead:target { box-shadow: inset 0 0 0 3px var(--focus); }
button.cell { display: block; width: 100%; min-height: 2.2rem; border: 0; margin: 0; padding: .3rem .5rem;
  font: inherit; cursor: pointer; text-align: center; }
button.cell:hover { filter: brightness(.95); text-decoration: underline; }
button.cell:focus-visible, button:focus-visible, a:focus-visible { outline: 3px solid var(--focus); outline-offset: -3px; }
.glyph { display: inline-block; min-width: 1.1em; font-weight: 700; }
.st-pass { background: #dcf5e3; color: #0b5a23; }
.st-fail { background: #fbd4d4; color: #8c0f0f; font-weight: 700; }
.st-warn { background: #fff0c2; color: #634700; }
.st-unsupported { background: #e3e6fb; color: #2b3480; }
.st-skip { background: #f2f2f2; color: #555; }
.st-error { background: #fde1c8; color: #7a3300; font-weight: 700; }
td.worse { box-shadow: inset 0 0 0 3px #5b2a86; }
.worse-mark { display: block; font-size: .8em; font-weight: 700; color: #5b2a86; }
.st-none { color: var(--muted); display: block; text-align: center; padding: .3rem; }
[hidden] { display: none !important; }
dialog#panel { width: min(72rem, 96vw); max-width: 96vw; max-height: 92vh; padding: 0; overflow: auto;
  border: 1px solid var(--line); border-radius: 6px; }
dialog#panel::backdrop { background: rgba(0, 0, 0, .4); }
.panel-head { position: sticky; top: 0; display: flex; gap: 1rem; justify-content: space-between; align-items: center;
  padding: .5rem 1rem; background: var(--head); border-bottom: 1px solid var(--line); }
.panel-head h2 { margin: 0; overflow-wrap: anywhere; }
#panel-body { padding: .25rem 1rem 1rem; }
#panel-body section { border-top: 1px solid var(--line); margin-top: .75rem; }
#panel-body h3 { font-size: 1rem; margin: .6rem 0 .3rem; overflow-wrap: anywhere; }
#panel-body h4 { font-size: .9rem; margin: .5rem 0 .2rem; }
#panel-body p { margin: .25rem 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: .1rem .5rem; border-radius: 4px; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f8fa; border: 1px solid var(--line); padding: .5rem;
  max-height: 28rem; overflow: auto; margin: .2rem 0; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.note { color: #7a3300; font-style: italic; }
#tip { position: absolute; z-index: 5; max-width: 28rem; padding: .3rem .55rem; border-radius: 4px; pointer-events: none;
  background: #1b1f24; color: #fff; font-size: 12px; overflow-wrap: anywhere; box-shadow: 0 2px 6px rgba(0, 0, 0, .3); }
@media print { .controls, dialog { display: none; } #matrix thead th, #matrix th.rowhead { position: static; } }
"""

JS = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("evidence").textContent);
  var dialog = document.getElementById("panel");
  var title = document.getElementById("panel-title");
  var body = document.getElementById("panel-body");
  var opener = null;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function field(parent, label, value) {
    var p = add(parent, el("p"));
    add(p, el("strong", label + ": "));
    p.appendChild(document.createTextNode(String(value)));
    return p;
  }
  function headerLines(pairs) {
    return pairs.map(function (kv) { return kv[0] + ": " + kv[1]; }).join("\\n");
  }
  function copyText(text, pre, button) {
    function selectIt() {
      var range = document.createRange();
      range.selectNodeContents(pre);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      button.textContent = ok ? "Copied" : "Selected: press Ctrl+C";
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; }, selectIt);
    } else {
      selectIt();
    }
  }

  function render(ev) {
    clear(body);
    title.textContent = ev.check + " \\u2014 " + ev.provider;
    add(body, el("p", ev.glyph + " " + ev.status, "badge st-" + ev.status));
    field(body, "Summary", ev.summary);
    if (ev.title) { field(body, "Check", ev.title + (ev.measures ? " (measures: " + ev.measures + ")" : "")); }
    field(body, "Duration", ev.duration_ms + " ms");
    if (ev.notes.length) {
      var ns = add(body, el("section"));
      add(ns, el("h3", "Notes"));
      var ul = add(ns, el("ul"));
      ev.notes.forEach(function (n) { add(ul, el("li", n)); });
    }
    if (ev.issues.length) {
      var is = add(body, el("section"));
      add(is, el("h3", "Schema issues (" + ev.issues.length + ")"));
      var table = add(is, el("table", null, "plain"));
      var hr = add(add(table, el("thead")), el("tr"));
      ["Level", "JSON path", "Message", "Where", "Schema"].forEach(function (h) { add(hr, el("th", h)); });
      var tb = add(table, el("tbody"));
      ev.issues.forEach(function (i) {
        var tr = add(tb, el("tr"));
        [i.level, i.path, i.message, i.where, i.schema].forEach(function (c) { add(tr, el("td", c)); });
      });
    }
    ev.exchanges.forEach(function (x, n) {
      var s = add(body, el("section"));
      add(s, el("h3", "Exchange " + (n + 1) + ": " + x.label));
      add(s, el("h4", "Request"));
      var req = x.request.method + " " + x.request.url;
      if (x.request.headers.length) { req += "\\n" + headerLines(x.request.headers); }
      if (x.request.body !== null) { req += "\\n\\n" + x.request.body; }
      add(s, el("pre", req));
      if (x.response) {
        var r = x.response;
        add(s, el("h4", "Response"));
        var head = "HTTP " + r.status + (r.headers.length ? "\\n" + headerLines(r.headers) : "");
        add(s, el("pre", head));
        if (r.sse !== null) {
          add(s, el("h4", "SSE lines (" + r.sse_count + ")"));
          add(s, el("pre", r.sse));
        } else {
          add(s, el("h4", "Body (" + r.size_bytes + " bytes received)"));
          add(s, el("pre", r.body === "" ? "(empty)" : r.body));
        }
        r.notes.forEach(function (note) { add(s, el("p", note, "note")); });
      } else {
        add(s, el("p", "No response.", "note"));
      }
      if (x.error !== null) { field(s, "Error", x.error); }
      field(s, "Elapsed", x.elapsed_ms + " ms");
      add(s, el("h4", "Copy as curl"));
      var pre = el("pre", x.curl);
      var button = add(s, el("button", "Copy"));
      button.type = "button";
      button.addEventListener("click", function () { copyText(x.curl, pre, button); });
      add(s, pre);
    });
  }

  function openPanel(key, from) {
    var ev = data.cells[key];
    if (!ev) { return; }
    opener = from;
    render(ev);
    if (typeof dialog.showModal === "function") {
      if (!dialog.open) { dialog.showModal(); }
    } else {
      dialog.setAttribute("open", "");
    }
    dialog.scrollTop = 0;
    document.getElementById("panel-close").focus();
  }
  function closePanel() {
    if (typeof dialog.close === "function") { dialog.close(); } else { dialog.removeAttribute("open"); }
  }
  dialog.addEventListener("close", function () { if (opener) { opener.focus(); } });
  document.getElementById("panel-close").addEventListener("click", closePanel);
  document.getElementById("matrix").addEventListener("click", function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest("button.cell") : null;
    if (button) { openPanel(button.getAttribute("data-key"), button); }
  });

  // Hover shows the native title; keyboard focus gets the same one-line summary in a tooltip,
  // because browsers show title only to mouse users.
  var tip = document.getElementById("tip");
  var pointer = false;
  document.addEventListener("mousedown", function () { pointer = true; }, true);
  document.addEventListener("keydown", function () { pointer = false; }, true);
  function hideTip(button) {
    tip.hidden = true;
    if (button) { button.removeAttribute("aria-describedby"); }
  }
  var matrix = document.getElementById("matrix");
  matrix.addEventListener("focusin", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("button.cell") : null;
    if (!button || pointer) { hideTip(null); return; }
    tip.textContent = button.getAttribute("title");
    tip.hidden = false;
    var box = button.getBoundingClientRect();
    var left = Math.max(0, Math.min(box.left, document.documentElement.clientWidth - tip.offsetWidth - 8));
    tip.style.left = (left + window.scrollX) + "px";
    tip.style.top = (box.bottom + window.scrollY + 4) + "px";
    button.setAttribute("aria-describedby", "tip");
  });
  matrix.addEventListener("focusout", function (event) { hideTip(event.target); });

  var filter = document.getElementById("filter");
  var sectionFilter = document.getElementById("section");
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#matrix tr.check"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("#matrix tr.section"));
  function apply() {
    var mode = filter.value;
    var wanted = sectionFilter.value;
    var q = search.value.trim().toLowerCase();
    var visibleCount = 0;
    var bySection = {};
    rows.forEach(function (row) {
      var ok = true;
      var statuses = (row.getAttribute("data-statuses") || "").split(" ");
      if (mode === "failures") { ok = row.getAttribute("data-fail") === "1"; }
      else if (mode === "diff") { ok = row.getAttribute("data-diff") === "1"; }
      else if (mode === "worse") { ok = row.getAttribute("data-worse") === "1"; }
      else if (mode === "notpass") { ok = statuses.some(function (s) { return s !== "pass"; }); }
      else if (mode !== "all") { ok = statuses.indexOf(mode) !== -1; }
      if (ok && wanted) { ok = row.getAttribute("data-section") === wanted; }
      if (ok && q) { ok = row.getAttribute("data-check").toLowerCase().indexOf(q) !== -1; }
      row.hidden = !ok;
      if (ok) { visibleCount += 1; bySection[row.getAttribute("data-section")] = true; }
    });
    sections.forEach(function (row) { row.hidden = !bySection[row.getAttribute("data-section")]; });
    shown.textContent = visibleCount + " of " + rows.length + " checks shown";
  }
  filter.addEventListener("change", apply);
  sectionFilter.addEventListener("change", apply);
  search.addEventListener("input", apply);

  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) { return; }
    var target = document.getElementById(id) || document.getElementById("check-" + id);
    var row = target && target.closest ? target.closest("tr") : null;
    if (row && row.hidden) {
      filter.value = "all";
      sectionFilter.value = "";
      search.value = "";
      apply();
    }
    if (target) { target.scrollIntoView({ block: "center" }); }
  }
  window.addEventListener("hashchange", reveal);
  apply();
  if (location.hash) { reveal(); }
})();
"""


def _cell(v: Verdict | None, key: str, worse: WorseCheck | None = None) -> str:
    """One matrix cell; ``worse`` marks it as a regression against the run's comparison baseline
    (a mark in words as well as an outline, so it reads in greyscale too)."""
    mark = f'<span class="worse-mark">▼ was {esc(worse.before, NAME_CAP)}</span>' if worse else ""
    worse_class = " worse" if worse else ""
    if v is None:
        return f'<td class="{worse_class.strip()}"><span class="st-none" title="no verdict">· none</span>{mark}</td>'
    glyph, word = GLYPH[v.status], v.status.value
    regression = f"worse than the baseline (was {worse.before}): " if worse else ""
    return (
        f'<td class="st-{word}{worse_class}"><button type="button" class="cell st-{word}" data-key="{esc(key)}" '
        f'title="{esc(regression + one_line(v.summary, TITLE_CAP))}">'
        f'<span class="glyph" aria-hidden="true">{glyph}</span> {word}{mark}</button></td>'
    )


def _comparison_note(result: RunResult) -> str:
    if result.comparison is None:
        return ""
    count = len(result.comparison.worse)
    return (
        f'<section id="comparison"><h2>Compared with a baseline</h2><p>Baseline: '
        f'{esc(result.comparison.baseline, TEXT_CAP)}. {count} cell{"s" if count != 1 else ""} '
        "worse than the baseline, outlined and marked ▼ (the filter can show only their rows).</p></section>\n"
    )


def render_html(result: RunResult) -> str:
    providers = matrix_providers(result)
    checks = ordered_checks(result)
    index = verdict_index(result)

    worse = {(w.provider, w.check_id): w for w in result.comparison.worse} if result.comparison else {}
    cells: dict[str, Any] = {}
    rows: list[str] = []
    section = None
    ncols = len(providers) + 1
    for ci, check in enumerate(checks):
        if check.section != section:
            section = check.section
            rows.append(
                f'<tr class="section" data-section="{esc(section)}">'
                f'<th colspan="{ncols}" scope="rowgroup">{esc(section, NAME_CAP)}</th></tr>'
            )
        verdicts = [index.get((p.name, check.id)) for p in providers]
        statuses = {v.status if v else None for v in verdicts}
        fail = any(v is not None and v.status in (Status.FAIL, Status.ERROR) for v in verdicts)
        diff = len(statuses) > 1
        row_worse = any((p.name, check.id) in worse for p in providers)
        present = " ".join(sorted({v.status.value if v else "none" for v in verdicts}))
        bare_id = "" if check.id in _RESERVED_IDS else f' id="{esc(check.id)}"'
        measures = (
            f'<span class="measures" title="measures what the model chose to say">{esc(check.measures)}</span>'
            if check.measures == "model" else ""
        )
        row = [
            f'<tr class="check" id="check-{esc(check.id)}" data-check="{esc(check.id)}" '
            f'data-section="{esc(check.section)}" data-fail="{int(fail)}" data-diff="{int(diff)}" '
            f'data-statuses="{present}" data-worse="{int(row_worse)}">',
            f'<th scope="row" class="rowhead"{bare_id}><a href="#check-{esc(check.id)}">{esc(check.id, NAME_CAP)}</a>'
            f'{measures}'
            + (f'<span class="ctitle">{esc(check.title, NAME_CAP)}</span>' if check.title else "")
            + "</th>",
        ]
        for pi, v in enumerate(verdicts):
            key = f"{pi}:{ci}"
            if v is not None:
                cells[key] = _evidence(v, check)
            row.append(_cell(v, key, worse.get((providers[pi].name, check.id))))
        row.append("</tr>")
        rows.append("".join(row))

    head = ['<tr><th scope="col" class="corner">Check</th>']
    for p in providers:
        passed, applicable = score(result, p.name)
        head.append(
            f'<th scope="col"><span class="pname">{esc(p.name, NAME_CAP)}</span>'
            f'<span class="phost" title="host of the base URL">{esc(host_of(p.base_url), NAME_CAP)}</span>'
            f'<span class="pmodel" title="chat model">{esc(chat_model(p), NAME_CAP)}</span>'
            f'<span class="pdate" title="run started {esc(provider_started(result, p.name), NAME_CAP)}">'
            f'{esc(when(provider_started(result, p.name)), NAME_CAP)}</span>'
            f'<span class="pscore" title="passed / applicable (not skip)">{passed}/{applicable}</span></th>'
        )
    head.append("</tr>")

    legend = "".join(
        f'<dt class="st-{s.value}"><span class="glyph" aria-hidden="true">{GLYPH[s]}</span> {s.value}</dt>'
        f"<dd>{esc(MEANING[s])}</dd>"
        for s in STATUS_ORDER
    )

    run_rows = []
    for p in result.providers:
        passed, applicable = score(result, p.name)
        models = ", ".join(f"{k}={v}" for k, v in p.models.items())
        run_rows.append(
            f"<tr><td>{esc(p.name, NAME_CAP)}</td><td>{esc(host_of(p.base_url), NAME_CAP)}</td>"
            f"<td>{esc(when(provider_started(result, p.name)), NAME_CAP)}</td>"
            f"<td>{esc(models, 1000)}</td><td class=\"num\">{int(p.requests)}</td>"
            f"<td class=\"num\">{int(p.tokens)}</td>"
            f"<td class=\"num\">{'skipped' if p.skipped_reason else f'{passed}/{applicable}'}</td></tr>"
        )

    sources_html = ""
    if result.sources:
        items = "".join(
            f"<tr><td>{esc(src.file, TEXT_CAP)}</td><td>{esc(src.tool_version, NAME_CAP)}</td>"
            f"<td>{esc(when(src.started_at), NAME_CAP)}</td><td class=\"num\">{float(src.duration_s):.1f} s</td>"
            f"<td>{esc(', '.join(src.providers), TEXT_CAP)}</td>"
            f"<td>{'yes' if src.interrupted else 'no'}</td></tr>"
            for src in result.sources
        )
        sources_html = (
            f'<section id="sources"><h2>Merged from {len(result.sources)} run{"s" if len(result.sources) != 1 else ""}</h2>'
            '<table class="plain"><thead><tr>'
            '<th scope="col">Results file</th><th scope="col">Tool version</th><th scope="col">Started</th>'
            '<th scope="col">Duration</th><th scope="col">Providers</th><th scope="col">Interrupted</th>'
            f"</tr></thead><tbody>{items}</tbody></table></section>\n"
        )

    section_options = "".join(
        f'<option value="{esc(name)}">{esc(name, NAME_CAP)}</option>'
        for name in dict.fromkeys(c.section for c in checks)
    )

    skipped = skipped_providers(result)
    skipped_html = ""
    if skipped:
        items = "".join(
            f"<li><strong>{esc(p.name, NAME_CAP)}</strong>: {esc(one_line(p.skipped_reason or ''), TEXT_CAP)}</li>"
            for p in skipped
        )
        skipped_html = f'<section id="skipped"><h2>Skipped providers</h2><ul>{items}</ul></section>'

    notes_html = ""
    if result.notes:
        items = "".join(f"<li>{esc(n, TEXT_CAP)}</li>" for n in result.notes)
        notes_html = f'<section id="notes"><h2>Notes</h2><ul>{items}</ul></section>'

    interrupted = (
        '<p class="warnbox"><strong>! Interrupted run:</strong> some checks did not complete.</p>'
        if result.interrupted else ""
    )

    evidence = script_json({"cells": cells})
    csp = (
        f"default-src 'none'; style-src {_csp_hash(CSS)}; script-src {_csp_hash(JS)}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    version = esc(result.tool_version, NAME_CAP)
    runs = f"{len(result.sources)} run" + ("s" if len(result.sources) != 1 else "")
    merged = f" · merged from {runs}" if result.sources else ""
    return "".join(
        [
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">\n',
            '<meta name="referrer" content="no-referrer">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            f"<title>OpenAI compatibility matrix — conformance {version}</title>\n",
            f"<style>{CSS}</style>\n</head>\n<body>\n",
            "<header>\n<h1>OpenAI compatibility matrix</h1>\n",
            f'<p class="meta">conformance {version} · started {esc(result.started_at, NAME_CAP)} · '
            f"finished {esc(result.finished_at, NAME_CAP)} · duration {result.duration_s:.1f} s{merged}</p>\n",
            interrupted,
            "</header>\n<main>\n",
            '<section id="run"><h2>Run</h2><table class="plain"><thead><tr><th scope="col">Provider</th>'
            '<th scope="col">Host</th><th scope="col">Run started</th><th scope="col">Models</th><th scope="col">Requests</th>'
            '<th scope="col">Tokens</th><th scope="col">Score</th></tr></thead><tbody>',
            "".join(run_rows),
            "</tbody></table></section>\n",
            sources_html,
            skipped_html,
            notes_html,
            _comparison_note(result),
            f'<section id="legend"><h2>Legend</h2><dl class="legend">{legend}</dl>'
            '<p class="muted">Score = passed / applicable, where applicable = every verdict that is not skip. '
            "Select a cell (click, or Tab and Enter) to see its evidence.</p></section>\n",
            '<div class="controls" role="search">'
            '<label>Show <select id="filter"><option value="all">all checks</option>'
            '<option value="failures">only failures (fail + error)</option>'
            '<option value="diff">only differences between providers</option>'
            + ('<option value="worse">only checks worse than the baseline</option>' if worse else "")
            + '<option value="notpass">anything but pass</option>'
            '<option value="warn">with a warn</option><option value="unsupported">with an unsupported</option>'
            '<option value="skip">with a skip</option></select></label>'
            f'<label>Section <select id="section"><option value="">all sections</option>{section_options}</select></label>'
            '<label>Check id <input id="search" type="search" placeholder="e.g. tools." autocomplete="off"></label>'
            '<span id="shown" class="muted" aria-live="polite"></span></div>\n',
            '<table id="matrix"><thead>',
            "".join(head),
            "</thead><tbody>\n",
            "\n".join(rows),
            "\n</tbody></table>\n</main>\n",
            '<dialog id="panel" aria-labelledby="panel-title"><div class="panel-head">'
            '<h2 id="panel-title">Evidence</h2><button type="button" id="panel-close">Close</button></div>'
            '<div id="panel-body"></div></dialog>\n'
            '<div id="tip" role="tooltip" hidden></div>\n',
            f'<script type="application/json" id="evidence">{evidence}</script>\n',
            f"<script>{JS}</script>\n",
            "</body>\n</html>\n",
        ]
    )
