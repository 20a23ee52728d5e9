
(function () {
  "use strict";
  // The evidence: one gzipped, base64 chunk per matrix row (html.py's pack_row), parsed and decoded
  // only when a cell of that row is opened, so a page of hundreds of columns opens quickly.
  var packed = null;
  var decodedRows = {};
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
  function plural(count, word) { return count + " " + (count === 1 ? word : word + "s"); }
  // Check titles are Markdown-ish: `spans` in backticks are code. Only backticks are read, and every
  // piece goes in as text; an unmatched last backtick stays a backtick (as html.py's inline_code).
  function withCode(parent, text) {
    var parts = String(text).split("`");
    if (parts.length % 2 === 0) { parts.splice(-2, 2, parts[parts.length - 2] + "`" + parts[parts.length - 1]); }
    parts.forEach(function (part, i) {
      if (i % 2 === 0) { parent.appendChild(document.createTextNode(part)); }
      else if (part === "") { parent.appendChild(document.createTextNode("``")); }
      else { add(parent, el("code", part)); }
    });
    return parent;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function field(parent, label, value) {
    var p = add(parent, el("p"));
    add(p, el("strong", label + ": "));
    p.appendChild(document.createTextNode(String(value)));
    return p;
  }
  function headerLines(pairs) {
    return pairs.map(function (kv) { return kv[0] + ": " + kv[1]; }).join("\n");
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
    title.textContent = ev.check + " \u2014 " + ev.provider;
    var verdict = add(body, el("p", null, "verdict"));
    add(verdict, el("span", ev.glyph + " " + ev.status, "badge st-" + ev.status));
    if (ev.code) {
      verdict.appendChild(document.createTextNode(" "));
      var code = add(verdict, el("code", ev.code, "reason"));
      code.title = "reason code: the cause of this verdict, stable across runs (search for it to find every cell with it)";
    }
    field(body, "Summary", ev.summary);
    if (ev.title) {
      var check = add(body, el("p"));
      add(check, el("strong", "Check: "));
      withCode(check, ev.title);
      if (ev.measures) { check.appendChild(document.createTextNode(" (measures: " + ev.measures + ")")); }
    }
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
      if (x.request.headers.length) { req += "\n" + headerLines(x.request.headers); }
      if (x.request.body !== null) { req += "\n\n" + x.request.body; }
      add(s, el("pre", req));
      if (x.response) {
        var r = x.response;
        add(s, el("h4", "Response"));
        var head = "HTTP " + r.status + (r.headers.length ? "\n" + headerLines(r.headers) : "");
        add(s, el("pre", head));
        if (r.sse !== null) {
          add(s, el("h4", "SSE lines (" + r.sse_count + ")"));
          add(s, el("pre", r.sse));
        } else {
          add(s, el("h4", "Body (" + plural(r.size_bytes, "byte") + " received)"));
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

  function bytesOf(base64) {
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) { bytes[i] = binary.charCodeAt(i); }
    return bytes;
  }
  // A row's cells (provider index -> evidence), decoded once: a Promise, kept for the next cell opened.
  function rowEvidence(row) {
    if (!decodedRows[row]) {
      if (!packed) { packed = JSON.parse(document.getElementById("evidence").textContent); }
      if (typeof DecompressionStream !== "function") {
        return Promise.reject(new Error("this browser cannot decompress (no DecompressionStream)"));
      }
      var chunk = packed.rows[row];
      if (typeof chunk !== "string") { return Promise.reject(new Error("no evidence for this row")); }
      var stream = new Blob([bytesOf(chunk)]).stream().pipeThrough(new DecompressionStream("gzip"));
      decodedRows[row] = new Response(stream).text().then(JSON.parse);
      decodedRows[row].catch(function () { delete decodedRows[row]; });  // a later click tries again
    }
    return decodedRows[row];
  }

  // The dialog opens at once, saying the evidence is being decoded (aria-busy); the evidence replaces
  // that when its row is decoded. "data-shown" names the cell on show, for whoever waits for it.
  var opening = 0;
  function openPanel(key, from) {
    var parts = String(key).split(":");
    var attempt = opening += 1;
    opener = from;
    clear(body);
    title.textContent = "Evidence";
    dialog.removeAttribute("data-shown");
    body.setAttribute("aria-busy", "true");
    add(body, el("p", "Decoding the evidence\u2026", "note"));
    if (typeof dialog.showModal === "function") {
      if (!dialog.open) { dialog.showModal(); }
    } else {
      dialog.setAttribute("open", "");
    }
    dialog.scrollTop = 0;
    document.getElementById("panel-close").focus();
    rowEvidence(parts[1]).then(function (cells) {
      if (attempt !== opening) { return; }  // another cell was opened meanwhile
      var ev = cells[parts[0]];
      if (!ev) { throw new Error("no evidence for this cell"); }
      render(ev);
      body.removeAttribute("aria-busy");
      dialog.setAttribute("data-shown", key);
      dialog.scrollTop = 0;
    }).catch(function (error) {
      if (attempt !== opening) { return; }
      clear(body);
      add(body, el("p", "The evidence could not be shown: " + error.message +
        ". The run's results.json has it too.", "note"));
      body.removeAttribute("aria-busy");
    });
  }
  function closePanel() {
    if (typeof dialog.close === "function") { dialog.close(); } else { dialog.removeAttribute("open"); }
  }
  dialog.addEventListener("close", function () { if (opener) { opener.focus(); } });
  document.getElementById("panel-close").addEventListener("click", closePanel);
  // The matrix cells, and the verdicts listed under "what will break", open the evidence.
  document.addEventListener("click", function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest("button.cell, button.ev") : null;
    if (button) { openPanel(button.getAttribute("data-key"), button); }
    // A link to a folded part (run details, legend) unfolds it, even when the address already names it.
    var link = target && target.closest ? target.closest("a[href^='#']") : null;
    var folded = link ? document.getElementById(link.getAttribute("href").slice(1)) : null;
    if (folded && folded.tagName === "DETAILS") { folded.open = true; }
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
  function hasCode(row, q) {
    return (row.getAttribute("data-codes") || "").toLowerCase().split(" ").some(function (c) {
      return c !== "" && c.indexOf(q) !== -1;
    });
  }
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
      if (ok && q) { ok = row.getAttribute("data-check").toLowerCase().indexOf(q) !== -1 || hasCode(row, q); }
      row.hidden = !ok;
      if (ok) { visibleCount += 1; bySection[row.getAttribute("data-section")] = true; }
    });
    sections.forEach(function (row) { row.hidden = !bySection[row.getAttribute("data-section")]; });
    shown.textContent = visibleCount + " of " + plural(rows.length, "check") + " shown";
  }
  filter.addEventListener("change", apply);
  sectionFilter.addEventListener("change", apply);
  search.addEventListener("input", apply);

  // Following report.html#CHECK_ID (or a section's link) must leave the row below the sticky header
  // row, whatever its height (long provider or model names make it taller): the header's measured
  // height is the rows' scroll-margin-top, so the browser's own fragment scroll lands right too, and
  // reveal() checks where the row ended up.
  var thead = matrix.querySelector("thead");
  var GAP = 12;
  function headHeight() { return thead ? thead.getBoundingClientRect().height : 0; }
  function measureHead() {
    document.documentElement.style.setProperty("--head-h", Math.ceil(headHeight() + GAP) + "px");
  }
  function belowHeader(row) {
    var head = thead ? thead.querySelector("th").getBoundingClientRect() : null;
    var box = row.getBoundingClientRect();
    // The header covers the row only while it is stuck to the top of the window.
    var bottom = head && head.top <= 1 ? head.bottom : 0;
    if (box.top < bottom + GAP) { window.scrollBy(0, box.top - bottom - GAP); }
  }
  function reveal() {
    var id = location.hash.slice(1);
    try { id = decodeURIComponent(id); } catch (e) { /* a malformed %-escape: look the id up as it is */ }
    if (!id) { return; }
    var target = document.getElementById(id) || document.getElementById("check-" + id);
    if (!target) { return; }
    var folded = target.closest ? target.closest("details") : null;
    if (folded) { folded.open = true; }
    var row = target.closest ? target.closest("#matrix tr") : null;
    if (!row) { target.scrollIntoView({ block: "start" }); return; }
    if (row.hidden) {
      filter.value = "all";
      sectionFilter.value = "";
      search.value = "";
      apply();
    }
    measureHead();
    row.scrollIntoView({ block: "start", inline: "nearest" });
    belowHeader(row);
  }
  measureHead();
  window.addEventListener("resize", measureHead);
  window.addEventListener("hashchange", reveal);
  apply();
  if (location.hash) {
    reveal();
    // The browser scrolls to the fragment itself once the page has loaded: check again after it.
    window.addEventListener("load", function () { window.setTimeout(reveal, 0); });
  }
})();
