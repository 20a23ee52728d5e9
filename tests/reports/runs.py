"""The runs the report tests render: real runs (in-process runner, real loopback HTTP) of the demo
providers, and of two hostile providers (the reference's ``hostile_content`` flavour and a
crafted provider that plants markup everywhere it can).

``tests/reports/conftest.py`` makes each a session fixture, so the browser tests and the static
report tests share one run of each.
"""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import replace
from pathlib import Path

from conformance.checklist import all_checks
from conformance.config import ProviderConfig, load_config
from conformance.redact import Redactor
from conformance.results import RunResult
from conformance.runner import RunState, run_checks
from conformance.settings import Settings
from tests.support.crafted import CraftedProvider, Reply, Request
from tests.support.keys import planted_key
from tests.support.paths import REPO_ROOT

DEMO_PROVIDERS = REPO_ROOT / "providers.demo.yaml"

# A key planted in every provider: the embedded servers demand exactly it, and the hostile
# server echoes it back, so finding no slice of it in a report proves the redaction held.
# Hex only after "sk-": no 8-character slice of it can occur in ordinary text by chance.
PLANTED_KEY = planted_key()

RLO = "\u202e"
PAYLOADS = [
    "<script>window.__pwned=1;document.title='PWNED';alert(1)</script>",
    "</script><script>window.__pwned=2</script>",
    "</textarea><textarea>",
    "</style><style>body{display:none}</style>",
    "<img src=x onerror=\"window.__pwned=3\">",
    "<svg onload=window.__pwned=4></svg>",
    "<iframe srcdoc='<script>parent.__pwned=5</script>'></iframe>",
    "<a href=\"javascript:window.__pwned=6\">click</a>",
    "javascript:alert(7)",
    "<meta http-equiv=refresh content=\"0;url=javascript:alert(8)\">",
    "<base href=\"https://evil.example/\">",
    "<!-- ]]> --!> <![CDATA[",
    f"{RLO}gnp.exe{RLO} \u2066isolate\u2069 \u200fmark",
    "\u2028line\u2029para & &amp; &lt; \"quoted\" 'single' `tick` | pipe",
]
HOSTILE = " ".join(PAYLOADS)
BIG_BYTES = 5 * 1024 * 1024
"""A 5 MB body: more than the client keeps (max_body_bytes) and far more than the evidence shows."""
ALLOWED_TAGS = frozenset(
    [
        "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "h4", "h5", "p", "main", "section",
        "table", "thead", "tbody", "tr", "th", "td", "span", "a", "dl", "dt", "dd", "div", "label",
        "select", "option", "input", "button", "dialog", "script", "strong", "ul", "li", "code", "details", "summary",
    ]
)
"""Every element report.html's own template uses; anything else in the file was planted."""


def run(providers: list[ProviderConfig]) -> RunResult:
    """The whole checklist against ``providers``, as ``conformance run`` does it, in-process."""
    redactor = Redactor()
    for provider in providers:
        redactor.add(provider.api_key)
    state = RunState(providers=providers, checks=all_checks(), redactor=redactor)
    return asyncio.run(run_checks(state))


def demo_result() -> RunResult:
    """The demo matrix (reference + deviant flavours) with :data:`PLANTED_KEY` as every key."""
    providers = [replace(p, api_key=PLANTED_KEY, settings=_no_retries(p.settings)) for p in load_config(DEMO_PROVIDERS).providers]
    return run(providers)


GATEWAY = "gateway"
GATEWAY_MODELS = 3
GROUPED_PROVIDERS = f"""
providers:
  - name: reference
    base_url: embedded:reference
    models: {{chat: reference-chat, vision: reference-vision}}
  - name: {GATEWAY}
    base_url: embedded:reference?models={GATEWAY_MODELS}&deviate=no_done
    models: {{chat: "*"}}
  - name: picky-proxy
    base_url: embedded:reference?deviate=error_html
    models: {{chat: reference-chat, vision: reference-vision}}
"""
"""A gateway swept model by model (``"*"``: its columns ``gateway/reference-chat-01``, ...), between
two providers that are their own columns; its streams end without [DONE], so its models have
failures to list under "what will break"."""


def grouped_result(tmp: Path) -> RunResult:
    """A run of :data:`GROUPED_PROVIDERS`, the gateway's models read from its ``GET /models`` as
    ``conformance run`` reads them; ``tmp`` is a folder for the providers file."""
    path = tmp / "providers.yaml"
    path.write_text(GROUPED_PROVIDERS, encoding="utf-8")
    providers = [replace(p, api_key=PLANTED_KEY, settings=_no_retries(p.settings)) for p in load_config(path).providers]
    return run(providers)


HOSTILE_GROUP = PAYLOADS[0] + " " + RLO + "gnp.exe"


def grouped_hostile(hostile: RunResult) -> RunResult:
    """A copy of :func:`hostile_result`'s run whose two providers are models of one gateway, the
    gateway and both models named with payloads: the group headers get them too."""
    result = copy.deepcopy(hostile)
    names = {
        "hostile-flavour": f"{HOSTILE_GROUP}/{PAYLOADS[4]}",
        "hostile-server": f"{HOSTILE_GROUP}/{PAYLOADS[7]}{PAYLOADS[12]}",
    }
    for p in result.providers:
        p.name, p.group = names[p.name], HOSTILE_GROUP
    for v in result.verdicts:
        v.provider = names[v.provider]
    return result


def _no_retries(settings: Settings) -> Settings:
    # old-gateway answers malformed requests with a deliberate HTTP 500; retrying it with backoff
    # costs seconds and changes no verdict the report tests look at.
    return replace(settings, max_retries=0)


def hostile_result() -> RunResult:
    """Hostile content two ways: the reference's ``hostile_content`` flavour, and :func:`hostile_provider`."""
    with CraftedProvider(hostile_provider) as server:
        base_url = server.base_url
        providers = [
            ProviderConfig(
                name="hostile-flavour",
                base_url="embedded:reference?deviate=hostile_content",
                models={"chat": "reference-chat", "vision": "reference-vision"},
                api_key=PLANTED_KEY,
            ),
            ProviderConfig(
                name="hostile-server",
                base_url=base_url,
                models={"chat": "hostile-chat", "vision": "hostile-vision"},
                api_key=PLANTED_KEY,
            ),
        ]
        return run(providers)


def hostile_provider(request: Request) -> Reply:
    """A provider that puts markup, script, bidi overrides and 5 MB bodies everywhere it can.

    It accepts any request (so the checks get far), echoes the caller's Authorization header
    back (as providers do in "invalid key" messages), and answers tool requests and their
    streams with 5 MB bodies. Replies are otherwise well-formed, so the evidence shows them.
    """
    auth = request.headers.get("authorization", "")
    headers = {
        "X-Evil": "<script>window.__pwned=9</script> javascript:alert(9)",
        # Raw UTF-8 bytes of an RLO in a header value (headers are sent as latin-1).
        "X-Bidi": f"{RLO}txt.exe".encode().decode("latin-1"),
        "X-Echo-Auth": auth,
    }
    if request.method == "GET":
        if request.path.rstrip("/").endswith("/models"):
            data = {
                "object": "list",
                "data": [
                    {"id": "hostile-chat", "object": "model", "created": 0, "owned_by": HOSTILE},
                    {"id": "hostile-vision", "object": "model", "created": 0, "owned_by": HOSTILE},
                    {"id": HOSTILE, "object": "model", "created": 0, "owned_by": "x"},
                ],
            }
            return Reply(json.dumps(data), headers=headers)
        return Reply(f"<html><body>{HOSTILE}</body></html>", 404, "text/html", headers)
    body = request.body
    if not (isinstance(body, dict) and isinstance(body.get("messages"), list)):
        return Reply(f"<html><body>{HOSTILE} you sent {auth}</body></html>", 400, "text/html", headers)
    huge = bool(body.get("tools"))
    content = f"{HOSTILE} (you sent {auth})"
    if body.get("stream"):
        return Reply(_hostile_stream(content, huge), content_type="text/event-stream", headers=headers)
    message = {"role": "assistant", "content": content + ("X" * BIG_BYTES if huge else "")}
    completion = {
        "id": "chatcmpl-<script>", "object": "chat.completion", "created": 0, "model": body.get("model", "?"),
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    return Reply(json.dumps(completion, ensure_ascii=False), headers=headers)


def _hostile_stream(content: str, huge: bool) -> bytes:
    def chunk(delta: dict[str, str], finish: str | None = None) -> bytes:
        data = {
            "id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 0, "model": "hostile-chat",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return b"data: " + json.dumps(data, ensure_ascii=False).encode() + b"\n\n"

    events = [chunk({"role": "assistant", "content": ""}), chunk({"content": content})]
    if huge:
        events.append(chunk({"content": "Y" * BIG_BYTES}))
    events += [b": </script><script>window.__pwned=10</script>\n\n", chunk({}, "stop"), b"data: [DONE]\n\n"]
    return b"".join(events)


HOSTILE_NAMES = {
    "hostile-flavour": "flavour " + PAYLOADS[0] + " " + RLO + "gnp.exe",
    "hostile-server": PAYLOADS[4] + PAYLOADS[7] + " ../../x",
}
HOSTILE_SECTION = PAYLOADS[7]
"""``<a href="javascript:...">click</a>``: it names a section, so it is in ids, links and the overview."""


def renamed(hostile: RunResult) -> RunResult:
    """A copy of :func:`hostile_result`'s run whose providers, check titles and one section are named
    with payloads too: the parts that show them (scores per section, what will break, code spans in
    titles, badges) get them all."""
    result = copy.deepcopy(hostile)
    for p in result.providers:
        p.name = HOSTILE_NAMES[p.name]
    for v in result.verdicts:
        v.provider = HOSTILE_NAMES[v.provider]
    for c in result.checks:
        c.title = f"`{PAYLOADS[0]}` then {PAYLOADS[4]} `{PAYLOADS[1]}"  # within the 200 characters shown
        if c.section == "tools":
            c.section = HOSTILE_SECTION
    return result
