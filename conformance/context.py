"""What a check works with: the provider's facts and the requests it may send. Everything a check
sends or validates through its context becomes that check's evidence, without the check asking.

Judgements (how to read a refusal, a completion, a stream) live in ``conformance.judge``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

from .client import Auth, HTTPResult, ProviderClient, RateLimitAnswer, StreamResult, recording_transport
from .config import ProviderConfig
from .settings import Settings
from .validate import implausible, validate
from .verdict import Exchange, SchemaIssue

T = TypeVar("T", HTTPResult, StreamResult)
CHAT_PATH = "/chat/completions"
RESPONSES_PATH = "/responses"
MIN_OUTPUT_TOKENS = 16
"""The Responses API refuses a max_output_tokens below 16."""
SharedRequest = Callable[["CheckContext"], Awaitable[T]]
"""A request several checks judge (one stream proves framing, [DONE] and content): a module-level
function, which is also its key, so two checks share it by calling the same function."""


@dataclass
class Evidence:
    """What a check saw: the exchanges (every retried attempt too), schema issues and notes."""

    exchanges: list[Exchange] = field(default_factory=list)
    schema_issues: list[SchemaIssue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def code_word() -> str:
    """A code word no model says by chance, fresh each time."""
    return f"{random.choice(['ZEBRA', 'KESTREL', 'MARLIN', 'OSPREY'])}-{random.randint(1000, 9999)}"


class SharedRequests:
    """One provider's memo of shared requests: each is sent once and awaited by every check using it."""

    def __init__(self) -> None:
        self._tasks: dict[Callable[..., Awaitable[Any]], asyncio.Task[Any]] = {}
        self.code_word = code_word()
        """Stated by shared requests that teach the model a fact, and looked for by the checks that
        judge its recall: the same word in every check of this provider's round."""

    def get(self, request: SharedRequest[T], sender: CheckContext) -> asyncio.Task[T]:
        if request not in self._tasks:
            task = asyncio.ensure_future(request(sender))
            # Awaited through a shield: when every check awaiting it was cancelled (Ctrl-C), the task
            # may still fail on a closed client with no one to see it; that is no error of the run.
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._tasks[request] = task
        return self._tasks[request]

    def forget_all(self) -> None:
        """Later users send afresh (after the way of talking to the provider changed)."""
        self._tasks.clear()


class CheckContext:
    """Handed to each check: facts about the provider, requests to it, schema validation."""

    def __init__(self, provider: ProviderConfig, client: ProviderClient, shared: SharedRequests) -> None:
        self.provider = provider
        self.settings: Settings = client.settings
        self.evidence = Evidence()
        self._client = client
        self._shared = shared

    # --- facts ---------------------------------------------------------------------------
    @property
    def chat_model(self) -> str:
        return self.provider.models["chat"]

    @property
    def code_word(self) -> str:
        """The round's code word (see ``SharedRequests.code_word``); ``canary()`` gives a check its own."""
        return self._shared.code_word

    @property
    def vision_model(self) -> str | None:
        return self.provider.models.get("vision")

    @property
    def base_url(self) -> str:
        return self._client.base_url

    @property
    def notes(self) -> list[str]:
        return self.evidence.notes

    @property
    def schema_issues(self) -> list[SchemaIssue]:
        return self.evidence.schema_issues

    def url(self, path: str) -> str:
        return self._client.url(path)

    def use_base_url(self, base_url: str) -> None:
        """Later checks talk to this base (set when the configured one is wrong but another works)."""
        self._client.base_url = base_url
        self._shared.forget_all()

    def use_key_header(self, auth: str) -> None:
        """Later checks send the key this way (set when Bearer is refused but another header works)."""
        self._client.key_scheme = auth
        # Requests shared so far went out with the refused Bearer key; dependents must not judge those.
        self._shared.forget_all()

    def cite(self, exchange: Exchange) -> None:
        """An exchange another check's request made, as evidence of this one (limits.retry_after)."""
        if exchange not in self.evidence.exchanges:
            self.evidence.exchanges.append(exchange)

    def note(self, text: str) -> None:
        self.evidence.notes.append(self._client.redactor.text(text))

    # --- requests ------------------------------------------------------------------------
    def chat_body(self, messages: list[dict[str, Any]] | str, *, reply_tokens: int | None = None, **fields: Any) -> dict[str, Any]:
        """A chat request for the configured model, bounded by the configured reply limit (or
        ``reply_tokens``, for a check that needs only a word) unless the caller sets a limit field
        itself; a field given as None is left out."""
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        body: dict[str, Any] = {"model": self.chat_model, "messages": messages}
        limit_field = self.settings.bound_field
        if limit_field != "none" and "max_tokens" not in fields and "max_completion_tokens" not in fields:
            body[limit_field] = min(reply_tokens, self.settings.reply_tokens) if reply_tokens else self.settings.reply_tokens
        if self.settings.temperature is not None:
            body["temperature"] = self.settings.temperature
        body.update(fields)
        return {k: v for k, v in body.items() if v is not None}

    async def post_chat(
        self, label: str, body: dict[str, Any] | None = None, *, raw: str | None = None, auth: str = Auth.CONFIGURED,
        base_url: str | None = None,
    ) -> HTTPResult:
        result = await self._client.send(label, "POST", CHAT_PATH, json_body=body, raw_body=raw, auth=auth, base_url=base_url)
        self._record(result)
        return result

    def responses_body(self, input: str | list[dict[str, Any]], *, reply_tokens: int | None = None, **fields: Any) -> dict[str, Any]:
        """A Responses API request for the configured model, bounded like :meth:`chat_body`."""
        limit = reply_tokens or self.settings.reply_tokens
        body: dict[str, Any] = {"model": self.chat_model, "input": input, "max_output_tokens": max(limit, MIN_OUTPUT_TOKENS)}
        if self.settings.temperature is not None:
            body["temperature"] = self.settings.temperature
        body.update(fields)
        return {k: v for k, v in body.items() if v is not None}

    async def post_responses(self, label: str, body: dict[str, Any] | None = None, *, raw: str | None = None) -> HTTPResult:
        result = await self._client.send(label, "POST", RESPONSES_PATH, json_body=body, raw_body=raw)
        self._record(result)
        return result

    async def stream_responses(
        self, label: str, body: dict[str, Any], *, stop_when: Callable[[StreamResult], bool] | None = None
    ) -> StreamResult:
        result = await self._client.stream(label, RESPONSES_PATH, {**body, "stream": True}, stop_when=stop_when)
        self._record(result)
        return result

    async def get(self, label: str, path: str, *, auth: str = Auth.CONFIGURED) -> HTTPResult:
        result = await self._client.send(label, "GET", path, auth=auth)
        self._record(result)
        return result

    async def stream_chat(
        self, label: str, body: dict[str, Any], *, stop_when: Callable[[StreamResult], bool] | None = None
    ) -> StreamResult:
        result = await self._client.stream(label, CHAT_PATH, {**body, "stream": True}, stop_when=stop_when)
        self._record(result)
        return result

    async def stream_chat_together(self, label: str, bodies: list[dict[str, Any]]) -> list[StreamResult]:
        """Several streams sent at once (each still takes a concurrency slot), in the order given."""
        sends = [self._client.stream(f"{label} ({i} of {len(bodies)})", CHAT_PATH, {**body, "stream": True})
                 for i, body in enumerate(bodies, start=1)]
        results = await asyncio.gather(*sends)
        for result in results:
            self._record(result)
        return list(results)

    def recording_transport(self, http: ModuleType, label: str) -> Any:
        """A transport (of the httpx-like module ``http``) for another HTTP client, the official SDK:
        what it sends becomes this check's evidence."""
        return recording_transport(http, self._client, label, self.evidence.exchanges)

    @property
    def api_key(self) -> str | None:
        return self._client.api_key

    @property
    def key_header(self) -> str | None:
        """The header the key goes in when the provider refuses it as Bearer (set by auth.bearer), else None."""
        scheme = self._client.key_scheme
        return None if scheme in (Auth.BEARER, Auth.NONE) else scheme

    @property
    def query(self) -> dict[str, str]:
        return dict(self._client.query)

    @property
    def key_scheme(self) -> str:
        """How the key is sent now: ``bearer``, ``none``, or a header name."""
        return self._client.key_scheme

    @property
    def extra_headers(self) -> dict[str, str]:
        return dict(self.provider.headers)

    @property
    def rate_limit_answers(self) -> list[RateLimitAnswer]:
        """Every 429 this provider sent in the run so far (any check's request)."""
        return list(self._client.stats.rate_limited)

    async def shared(self, request: SharedRequest[T]) -> T:
        """The result of a shared request, sent once per provider; each check that uses it carries
        its evidence."""
        sender = CheckContext(self.provider, self._client, self._shared)
        result = await asyncio.shield(self._shared.get(request, sender))
        if result.exchange not in self.evidence.exchanges:
            self._record(result)
        return result

    def _record(self, result: HTTPResult | StreamResult) -> None:
        """The request becomes evidence, with every attempt when 429/5xx answers were retried, so a
        verdict judged on the last answer still shows what came before it."""
        self.evidence.exchanges.extend(result.retried)
        self.evidence.exchanges.append(result.exchange)
        if result.retry_note:
            self.note(result.retry_note)

    # --- validation ----------------------------------------------------------------------
    def validate(self, schema: str, document: Any, where: str = "response", *, plausible: bool = False) -> list[SchemaIssue]:
        """Validate at both levels (and, for the checks that own a document's schema, whether its
        values are plausible); every issue is kept as evidence and returned."""
        issues = validate(schema, document, where)
        if plausible:
            issues += implausible(schema, document, where)
        self.evidence.schema_issues.extend(issues)
        return issues
