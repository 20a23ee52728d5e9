"""Shared by the report tests: real runs (in-process runner, real loopback HTTP) and a hostile server.

Imported by test modules as a plain module (pytest puts ``tests/`` on ``sys.path``). Results are
cached per test session, so the browser tests and the static hostile tests reuse one run each.
"""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conformance.checklist import all_checks
from conformance.config import ProviderConfig, load_config
from conformance.redact import Redactor
from conformance.results import RunResult
from conformance.runner import RunState, run_checks
from conformance.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEMO_PROVIDERS = ROOT / "providers.demo.yaml"

# A key planted in every provider: the embedded servers demand exactly it, and the hostile
# server echoes it back, so finding no slice of it in a report proves the redaction held.
# Hex only after "sk-": no 8-character slice of it can occur in ordinary text by chance.
PLANTED_KEY = "sk-" + secrets.token_hex(24)

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
    "html head meta title style body header h1 h2 p main section table thead tbody tr th td span a dl dt dd "
    "div label select option input button dialog script strong ul li".split()
)
"""Every element report.html's own template uses; anything else in the file was planted."""


def run(providers: list[ProviderConfig]) -> RunResult:
    """The whole checklist against ``providers``, as ``conformance run`` does it, in-process."""
    redactor = Redactor()
    for provider in providers:
        redactor.add(provider.api_key)
    state = RunState(providers=providers, checks=all_checks(), redactor=redactor)
    return asyncio.run(run_checks(state))


@functools.cache
def demo_result() -> RunResult:
    """The demo matrix (reference + deviant flavours) with :data:`PLANTED_KEY` as every key."""
    providers = [replace(p, api_key=PLANTED_KEY, settings=_no_retries(p.settings)) for p in load_config(DEMO_PROVIDERS).providers]
    return run(providers)


def _no_retries(settings: Settings) -> Settings:
    # old-gateway answers malformed requests with a deliberate HTTP 500; retrying it with backoff
    # costs seconds and changes no verdict the report tests look at.
    if "max_retries" in {f.name for f in fields(settings)}:
        return replace(settings, max_retries=0)
    return settings


@functools.cache
def hostile_result() -> RunResult:
    """Hostile content two ways: the reference's ``hostile_content`` flavour, and :class:`HostileHandler`."""
    with hostile_server() as base_url:
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


class HostileHandler(BaseHTTPRequestHandler):
    """A provider that puts markup, script, bidi overrides and 5 MB bodies everywhere it can.

    It accepts any request (so the checks get far), echoes the caller's Authorization header
    back (as providers do in "invalid key" messages), and answers tool requests and their
    streams with 5 MB bodies. Replies are otherwise well-formed, so the evidence shows them.
    """

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        pass  # keep test output clean

    def _hostile_headers(self) -> None:
        self.send_header("X-Evil", "<script>window.__pwned=9</script> javascript:alert(9)")
        # Raw UTF-8 bytes of an RLO in a header value (send_header encodes as latin-1).
        self.send_header("X-Bidi", f"{RLO}txt.exe".encode().decode("latin-1"))
        self.send_header("X-Echo-Auth", self.headers.get("Authorization", ""))

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self._hostile_headers()
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stops reading at its body cap: expected for the 5 MB bodies

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        if self.path.rstrip("/").endswith("/models"):
            data = {
                "object": "list",
                "data": [
                    {"id": "hostile-chat", "object": "model", "created": 0, "owned_by": HOSTILE},
                    {"id": "hostile-vision", "object": "model", "created": 0, "owned_by": HOSTILE},
                    {"id": HOSTILE, "object": "model", "created": 0, "owned_by": "x"},
                ],
            }
            self._send(200, "application/json", json.dumps(data).encode())
        else:
            self._send(404, "text/html", f"<html><body>{HOSTILE}</body></html>".encode())

    def do_POST(self) -> None:  # noqa: N802 (stdlib naming)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            request = json.loads(raw)
            assert isinstance(request, dict) and isinstance(request.get("messages"), list)
        except (ValueError, AssertionError):
            page = f"<html><body>{HOSTILE} you sent {self.headers.get('Authorization', '')}</body></html>"
            self._send(400, "text/html", page.encode())
            return
        huge = bool(request.get("tools"))
        content = f"{HOSTILE} (you sent {self.headers.get('Authorization', '')})"
        if request.get("stream"):
            self._stream(content, huge)
            return
        message = {"role": "assistant", "content": content + ("X" * BIG_BYTES if huge else "")}
        completion = {
            "id": "chatcmpl-<script>", "object": "chat.completion", "created": 0, "model": request.get("model", "?"),
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        self._send(200, "application/json", json.dumps(completion, ensure_ascii=False).encode())

    def _stream(self, content: str, huge: bool) -> None:
        def chunk(delta: dict, finish: str | None = None) -> bytes:
            data = {
                "id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 0, "model": "hostile-chat",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return b"data: " + json.dumps(data, ensure_ascii=False).encode() + b"\n\n"

        events = [chunk({"role": "assistant", "content": ""}), chunk({"content": content})]
        if huge:
            events.append(chunk({"content": "Y" * BIG_BYTES}))
        events += [b": </script><script>window.__pwned=10</script>\n\n", chunk({}, "stop"), b"data: [DONE]\n\n"]
        body = b"".join(events)
        self._send(200, "text/event-stream", body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # The client hangs up at its body cap, by design; anything else is a real error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def hostile_server() -> Iterator[str]:
    """Serve :class:`HostileHandler` on a free loopback port; yields its ``/v1`` base URL."""
    server = _Server(("127.0.0.1", 0), HostileHandler)
    thread = threading.Thread(target=server.serve_forever, name="hostile-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
