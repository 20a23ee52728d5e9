"""``conformance discover``: from nothing but a URL (and a key), find where a vendor's API lives,
how it wants the key, which query parameter it demands, which models answer and whether it
serves the Responses API, with a handful of bounded requests, each printed as it is sent.

The result is a providers.yaml entry to paste (or to run at once with ``--run``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .client import Auth, HTTPResult, ProviderClient
from .redact import Redactor
from .settings import Settings

PROBE_BODY_TOKENS = 1
VISION_HINTS = ("vision", "-vl", "vl-", "llava", "pixtral", "gpt-4o", "gpt-4.1", "gpt-5", "gemini", "claude-3", "gemma-3", "qwen2.5-vl", "omni")
"""Fragments of model ids that usually accept images: a hint, never a verdict."""
_QUERY_PARAM = re.compile(r"(?:query parameter|parameter)\W+['\"`(]?\??([A-Za-z][A-Za-z0-9_.-]*)", re.IGNORECASE)
_VERSION_VALUE = re.compile(r"\b(\d{4}-\d{2}-\d{2}(?:-preview)?)\b")
Say = Callable[[str], None]


@dataclass
class Finding:
    """What discovery established, step by step (None: not found)."""

    given: str
    base_url: str | None = None
    auth: str = Auth.BEARER
    """``bearer``, ``none``, or the header name that carries the key."""
    query: dict[str, str] = field(default_factory=dict)
    models_listed: list[str] | None = None
    """None when GET /models is absent."""
    answering: list[str] = field(default_factory=list)
    tried: dict[str, str] = field(default_factory=dict)
    """Model id → what a one-token chat request got."""
    vision_hint: str | None = None
    responses: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def chat_model(self) -> str | None:
        return self.answering[0] if self.answering else None


def base_candidates(given: str) -> list[str]:
    """The given base, with /v1 added or removed, and a doubled /v1 undone; in that order."""
    base = given.rstrip("/")
    while base.endswith("/v1/v1"):
        base = base[: -len("/v1")]
    forms = [base, base[: -len("/v1")] if base.endswith("/v1") else base + "/v1"]
    if given.rstrip("/") != base:
        forms.insert(0, given.rstrip("/"))
    return list(dict.fromkeys(f for f in forms if f.startswith(("http://", "https://"))))


def demanded_query(result: HTTPResult) -> tuple[str, str | None] | None:
    """A query parameter an error names as required (Azure's api-version), with a value if the message offers one."""
    if result.status not in (400, 404, 422) or "query" not in result.text.lower():
        return None
    match = _QUERY_PARAM.search(result.text)
    if not match:
        return None
    value = _VERSION_VALUE.search(result.text)
    return match.group(1), value.group(1) if value else None


class Discovery:
    """One discovery: its requests go through the suite's client (bounded, redacted) and are printed."""

    def __init__(self, given: str, api_key: str | None, say: Say, *, max_models: int, model: str | None, settings: Settings) -> None:
        self.finding = Finding(given, auth=Auth.BEARER if api_key else Auth.NONE)
        self.api_key = api_key
        self.say = say
        self.max_models = max_models
        self.model = model
        self.settings = settings
        self.redactor = Redactor([api_key] if api_key else [])
        self.sent = 0
        self.listing: HTTPResult | None = None
        """The GET /models that answered at the API's base while locating it, so it is not asked twice."""

    def client(self, base_url: str, auth: str, query: dict[str, str]) -> ProviderClient:
        return ProviderClient(base_url=base_url, api_key=self.api_key, headers={}, settings=self.settings, redactor=self.redactor,
                              auth=auth, query=query)

    async def send(self, client: ProviderClient, method: str, path: str, body: Any = None, *, why: str) -> HTTPResult:
        self.sent += 1
        result = await self._send(client, method, path, body, why=why)
        if method == "GET" and path == "/models" and result.ok:
            self.listing = result
        return result

    async def _send(self, client: ProviderClient, method: str, path: str, body: Any, *, why: str) -> HTTPResult:
        shown = f"{method} {self.redactor.text(client.url(path))}"
        how = "no key" if client.key_scheme == Auth.NONE or not self.api_key else (
            "Authorization: Bearer" if client.key_scheme == Auth.BEARER else f"{client.key_scheme}: header")
        result = await client.send(why, method, path, json_body=body)
        answer = result.error or f"HTTP {result.status}"
        self.say(f"  {self.sent:>2}. {shown} ({how}) → {answer}   [{why}]")
        return result

    async def run(self) -> Finding:
        f = self.finding
        self.say(f"discovering {self.redactor.text(f.given)}")
        refused = await self.locate()
        if refused:
            return f
        if f.base_url is None:
            f.notes.append("no form of the URL answered like an OpenAI-compatible API (GET /models and POST /chat/completions)")
            return f
        await self.find_models()
        await self.try_models()
        await self.try_responses()
        return f

    async def locate(self) -> bool:
        """Where the API lives and how it wants the key: GET /models on each base form in each key
        style (a 404 after the key was taken says the path is wrong; a 401 may say either).
        True when every answer was a refusal of the key (or of no key): nothing further can be learnt."""
        f = self.finding
        styles = [Auth.BEARER, Auth.API_KEY_HEADER, Auth.X_API_KEY_HEADER] if self.api_key else [Auth.NONE]
        taken: list[tuple[str, str, HTTPResult]] = []
        refused: list[tuple[str, HTTPResult]] = []
        for style in styles:
            for base in base_candidates(f.given):
                result = await self.get_models(base, style, {}, why=f"is the API at {base}, key as {style}?")
                demand = demanded_query(result)
                if result.ok or demand is not None:
                    f.base_url = base
                    await self.settle_query(base, style, demand)
                    return False
                if result.status == 404:
                    taken.append((base, style, result))
                elif result.status in (401, 403):
                    refused.append((base, result))
        # No GET /models anywhere: a chat endpoint where the key was taken will do.
        for base, style, listing in taken:
            if await self._chat_answers(base, style):
                f.base_url, f.auth = base, style
                self.listing = listing  # its 404 is the answer to "which models are listed?"
                return False
        if not refused:
            return False
        # Only one form refused while the others had no such route: that form is where the API lives.
        bases = list(dict.fromkeys(base for base, _ in refused))
        if len(bases) == 1:
            f.base_url = bases[0]
        status = refused[0][1].status
        if self.api_key:
            f.notes.append(f"the key was refused in every style tried (HTTP {status}): check the key itself")
        else:
            f.notes.append(f"the API wants a key (HTTP {status} without one): pass --key-env VAR, naming the environment variable that holds it")
        return True

    async def get_models(self, base: str, auth: str, query: dict[str, str], *, why: str) -> HTTPResult:
        client = self.client(base, auth, query)
        try:
            return await self.send(client, "GET", "/models", why=why)
        finally:
            await client.aclose()

    async def _chat_answers(self, base: str, style: str) -> bool:
        """For an API without GET /models: is there a chat endpoint here? A route's 404 is the
        only answer that says no (a 404 about the model id means the route exists)."""
        client = self.client(base, style, {})
        try:
            probe = await self.send(client, "POST", "/chat/completions", {"model": self.model or "probe", "messages": [], "max_tokens": 1},
                                    why="no /models: is there a chat endpoint?")
        finally:
            await client.aclose()
        if probe.error or probe.status in (401, 403):
            return False
        return probe.status != 404 or (isinstance(probe.json, dict) and "model" in probe.text.lower())

    async def settle_query(self, base: str, auth: str, demand: tuple[str, str | None] | None) -> None:
        f = self.finding
        f.auth = auth
        if demand is None:
            return
        name, value = demand
        if value is None:
            f.query[name] = "SET-ME"
            f.notes.append(f"the API demands the query parameter {name!r} but names no value: set it in the entry")
            return
        result = await self.get_models(base, auth, {name: value}, why=f"with {name}={value}, as the error suggests")
        self.listing = result  # what GET /models says with the parameter: the listing step need not ask again
        f.query[name] = value
        if not result.ok and result.status != 404:
            f.notes.append(f"with {name}={value}, GET /models still answers HTTP {result.status}")

    async def find_models(self) -> None:
        f = self.finding
        assert f.base_url is not None
        result = self.listing or await self.get_models(f.base_url, f.auth, f.query, why="which models are listed?")
        data = result.json.get("data") if result.ok and isinstance(result.json, dict) else None
        if isinstance(data, list):
            f.models_listed = [m["id"] for m in data if isinstance(m, dict) and isinstance(m.get("id"), str)]
        else:
            f.notes.append("GET /models lists nothing usable" + (f" (HTTP {result.status})" if result.status else ""))

    async def try_models(self) -> None:
        f = self.finding
        assert f.base_url is not None
        candidates = [self.model] if self.model else (f.models_listed or [])[: self.max_models]
        if not candidates:
            f.notes.append("no model to try: pass --model ID")
            return
        client = self.client(f.base_url, f.auth, f.query)
        try:
            for model in candidates:
                body = {"model": model, "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": PROBE_BODY_TOKENS}
                result = await self.send(client, "POST", "/chat/completions", body, why=f"does {model} answer?")
                f.tried[model] = result.error or f"HTTP {result.status}"
                if result.ok:
                    f.answering.append(model)
        finally:
            await client.aclose()
        listed = [m for m in (f.models_listed or []) if any(h in m.lower() for h in VISION_HINTS)]
        f.vision_hint = listed[0] if listed else None

    async def try_responses(self) -> None:
        f = self.finding
        if f.base_url is None or f.chat_model is None:
            return
        client = self.client(f.base_url, f.auth, f.query)
        try:
            body = {"model": f.chat_model, "input": "Say OK.", "max_output_tokens": 16}
            result = await self.send(client, "POST", "/responses", body, why="is the Responses API served?")
        finally:
            await client.aclose()
        f.responses = "answers" if result.ok else (result.error or f"HTTP {result.status}")


def provider_entry(finding: Finding, name: str, key_env: str | None) -> str:
    """The providers.yaml entry for what was found, ready to paste."""
    lines = [f"  - name: {name}", f"    base_url: {finding.base_url or finding.given}"]
    if key_env and finding.auth != Auth.NONE:
        lines.append(f"    api_key: ${{{key_env}}}")
    if finding.auth not in (Auth.BEARER, Auth.NONE):
        lines.append(f"    auth: {{header: {finding.auth}}}")
    if finding.query:
        lines.append("    query:")
        lines += [f"      {k}: {json.dumps(v)}" for k, v in finding.query.items()]
    lines.append("    models:")
    lines.append(f"      chat: {finding.chat_model or 'SET-ME'}")
    if finding.vision_hint:
        lines.append(f"      # vision: {finding.vision_hint}   # looks like a vision model: uncomment to run the image check")
    return "providers:\n" + "\n".join(lines) + "\n"


def summary(finding: Finding) -> list[str]:
    auth = {Auth.BEARER: "Authorization: Bearer", Auth.NONE: "no key"}.get(finding.auth, f"`{finding.auth}:` header")
    listed = finding.models_listed
    out = [
        f"API at:        {finding.base_url or 'not found'}",
        f"key sent as:   {auth}",
        f"query:         {', '.join(f'{k}={v}' for k, v in finding.query.items()) or 'none needed'}",
        "GET /models:   " + ("absent" if listed is None else f"{len(listed)} model(s)" + (f": {', '.join(listed[:8])}" if listed else "")
                              + (" …" if listed and len(listed) > 8 else "")),
        "answering:     " + (", ".join(finding.answering) or "none of " + (", ".join(f"{m} ({r})" for m, r in finding.tried.items()) or "none tried")),
        f"vision hint:   {finding.vision_hint or 'none'}",
        f"/responses:    {finding.responses or 'not tried'}",
    ]
    return out + [f"note: {n}" for n in finding.notes]
