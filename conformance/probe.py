"""What a check works with: requests to the provider (evidence recorded automatically),
shared requests, schema validation, and the vocabulary of outcomes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .client import Auth, HTTPResult, ProviderClient, StreamResult
from .config import ProviderConfig
from .settings import Settings
from .validate import COMPAT, validate
from .verdict import Exchange, SchemaIssue, Status

T = TypeVar("T", HTTPResult, StreamResult)
CHAT_PATH = "/chat/completions"


@dataclass(frozen=True)
class Outcome:
    status: Status
    summary: str
    dependents_may_run: bool = False
    """A failed prerequisite that found a way round (e.g. the base URL that does work), so the
    checks depending on it can still be judged instead of skipped."""


def passed(summary: str) -> Outcome:
    return Outcome(Status.PASS, summary)


def failed(summary: str, *, dependents_may_run: bool = False) -> Outcome:
    return Outcome(Status.FAIL, summary, dependents_may_run)


def warned(summary: str) -> Outcome:
    return Outcome(Status.WARN, summary)


def unsupported(summary: str) -> Outcome:
    return Outcome(Status.UNSUPPORTED, summary)


def skipped(summary: str) -> Outcome:
    return Outcome(Status.SKIP, summary)


def inconclusive(summary: str) -> Outcome:
    return Outcome(Status.ERROR, summary)


class SharedRequests:
    """One provider's memo of requests that prove several checks (sent once, awaited by many)."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def get(self, key: str, factory: Callable[[], Awaitable[T]]) -> asyncio.Task[T]:
        if key not in self._tasks:
            self._tasks[key] = asyncio.ensure_future(factory())
        return self._tasks[key]

    def forget_all(self) -> None:
        """Later users send afresh (after the way of talking to the provider changed)."""
        self._tasks.clear()


class Probe:
    """Handed to each check; everything it sends or validates becomes that check's evidence."""

    def __init__(self, provider: ProviderConfig, client: ProviderClient, shared: SharedRequests) -> None:
        self.provider = provider
        self.settings: Settings = client.settings
        self.exchanges: list[Exchange] = []
        self.schema_issues: list[SchemaIssue] = []
        self.notes: list[str] = []
        self._client = client
        self._shared = shared

    # --- facts ---------------------------------------------------------------------------
    @property
    def chat_model(self) -> str:
        return self.provider.models["chat"]

    @property
    def vision_model(self) -> str | None:
        return self.provider.models.get("vision")

    @property
    def base_url(self) -> str:
        return self._client.base_url

    def use_base_url(self, base_url: str) -> None:
        """Later checks talk to this base (set when the configured one is wrong but another works)."""
        self._client.base_url = base_url
        self._shared.forget_all()

    def use_key_header(self, auth: str) -> None:
        """Later checks send the key this way (set when Bearer is refused but another header works)."""
        self._client.key_scheme = auth
        # Requests shared so far went out with the refused Bearer key; dependents must not judge those.
        self._shared.forget_all()

    def note(self, text: str) -> None:
        self.notes.append(self._client.redactor.text(text))

    # --- requests ------------------------------------------------------------------------
    def chat_body(self, messages: list[dict[str, Any]] | str, **fields: Any) -> dict[str, Any]:
        """A chat request for the configured model, bounded by the configured reply limit
        unless the caller sets a limit field itself."""
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        body: dict[str, Any] = {"model": self.chat_model, "messages": messages}
        limit_field = self.settings.bound_field
        if limit_field != "none" and "max_tokens" not in fields and "max_completion_tokens" not in fields:
            body[limit_field] = self.settings.reply_tokens
        if self.settings.temperature is not None:
            body["temperature"] = self.settings.temperature
        body.update(fields)
        return {k: v for k, v in body.items() if v is not None}

    async def post_chat(
        self, label: str, body: dict[str, Any] | None = None, *, raw: str | None = None, auth: str = Auth.BEARER,
        base_url: str | None = None,
    ) -> HTTPResult:
        result = await self._client.send(label, "POST", CHAT_PATH, json_body=body, raw_body=raw, auth=auth, base_url=base_url)
        self._record(result)
        return result

    async def get(self, label: str, path: str, *, auth: str = Auth.BEARER) -> HTTPResult:
        result = await self._client.send(label, "GET", path, auth=auth)
        self._record(result)
        return result

    async def stream_chat(
        self, label: str, body: dict[str, Any], *, stop_when: Callable[[StreamResult], bool] | None = None
    ) -> StreamResult:
        result = await self._client.stream(label, CHAT_PATH, {**body, "stream": True}, stop_when=stop_when)
        self._record(result)
        return result

    async def shared(self, key: str, factory: Callable[["Probe"], Awaitable[T]]) -> T:
        """A request several checks judge (e.g. one stream proves framing, [DONE] and content).
        It is sent once per provider; each check that uses it carries its evidence."""
        sender = Probe(self.provider, self._client, self._shared)
        result = await asyncio.shield(self._shared.get(key, lambda: factory(sender)))
        if result.exchange not in self.exchanges:
            self._record(result)
        return result

    def _record(self, result: HTTPResult | StreamResult) -> None:
        """The request becomes evidence, with every attempt when 429/5xx answers were retried, so a
        verdict judged on the last answer still shows what came before it."""
        self.exchanges.extend(result.retried)
        self.exchanges.append(result.exchange)
        if result.retry_note:
            self.note(result.retry_note)

    def url(self, path: str) -> str:
        return self._client.url(path)

    # --- validation ----------------------------------------------------------------------
    def validate(self, schema: str, document: Any, where: str = "response") -> list[SchemaIssue]:
        issues = validate(schema, document, where)
        self.schema_issues.extend(issues)
        return issues

    # --- shared judgements -----------------------------------------------------------------
    def refusal(self, result: HTTPResult, what: str) -> Outcome | None:
        """None when the request was accepted (2xx). Otherwise how to judge the refusal of
        ``what``: a clean, enveloped 4xx is ``unsupported``; anything else is ``fail`` or ``error``."""
        if result.error:
            return inconclusive(f"{what}: {result.error}")
        assert result.status is not None
        if 200 <= result.status < 300:
            return None
        if result.status == 429:
            return inconclusive(f"{what}: rate limited (HTTP 429); try again later or lower max_concurrency")
        if 300 <= result.status < 400:
            # Never followed (see base_url.v1_path): a redirect is not a server error, and says where it goes.
            where = excerpt(result.headers.get("location") or "no Location header", 160)
            return failed(f"{what}: redirected (HTTP {result.status} to {where}); the redirect was not followed")
        if 400 <= result.status < 500:
            problem = self.envelope_problem(result)
            if problem is None:
                return unsupported(f"{what}: refused with HTTP {result.status}: {error_message(result.json)}")
            return failed(f"{what}: refused with HTTP {result.status}, but {problem}")
        return failed(f"{what}: server error HTTP {result.status} (expected 2xx, or a 4xx error if unsupported): {excerpt(result.text)}")

    def stream_refusal(self, result: StreamResult, what: str) -> Outcome | None:
        """None when a stream of data events arrived; otherwise the refusal (judged like
        :meth:`refusal`), the transport failure, or the answer that is not an SSE stream."""
        if result.error_body is not None:
            return self.refusal(result.error_body, what)
        if result.error and not result.chunks:
            return inconclusive(f"{what}: {result.error}")
        if not result.chunks:
            lines = result.exchange.response.sse_lines if result.exchange.response else None
            first = next((line for line in lines or [] if line.strip()), "")
            return failed(
                f"{what}: HTTP {result.status} ({result.content_type or 'no content-type'}) carries no SSE `data:` events"
                + (f"; it starts with {excerpt(first, 100)!r}" if first else "; the body is empty")
            )
        return None

    def cut_by_timeout(self, result: StreamResult, what: str) -> Outcome | None:
        """When ``timeout_s`` ended a stream that was still going: a slow provider is not a wrong one,
        so what never arrived cannot be judged (``error``). None when the stream ended otherwise."""
        if not result.timed_out:
            return None
        return inconclusive(
            f"{what}: the stream was still open when timeout_s ({self.settings.timeout_s:g} s) ran out, after "
            f"{len(result.chunks)} chunk(s); raise timeout_s to judge it"
        )

    def envelope_problem(self, result: HTTPResult) -> str | None:
        """What is wrong with an error response, compared with OpenAI's envelope; None if nothing."""
        if result.content_type != "application/json":
            return f"the content-type is {result.content_type or 'missing'!r}, not application/json: {excerpt(result.text)}"
        if result.json is None:
            return f"the body is not JSON: {excerpt(result.text)}"
        issues = self.validate("error_response", result.json, where=f"HTTP {result.status} body")
        compat = [i for i in issues if i.level == COMPAT]
        if compat:
            return f"the body is not the error envelope {{\"error\": {{\"message\", ...}}}} ({compat[0].path}: {compat[0].message}): {excerpt(result.text)}"
        return None

    @staticmethod
    def json_label_problem(result: HTTPResult) -> str | None:
        """What is wrong with the content-type of a 2xx JSON body; None if a client parses it as JSON.
        The official Node SDK parses only application/json and +json types; any other body reaches
        the app as a string, so a completion served as text/html breaks it whatever the bytes."""
        kind = result.content_type
        if kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json")):
            return None
        return f"HTTP {result.status} serves the JSON body as {kind or 'no content-type'!r}, not application/json (the official Node SDK returns it as a string)"

    def completion_problem(self, result: HTTPResult, what: str) -> Outcome | None:
        """None when the 2xx body is a chat completion a client can use; otherwise a failure."""
        if result.json is None:
            return failed(f"{what}: HTTP {result.status} but the body is not JSON ({result.json_error}): {excerpt(result.text)}")
        if problem := self.json_label_problem(result):
            return failed(f"{what}: {problem}")
        if isinstance(result.json, dict) and "error" in result.json and "choices" not in result.json:
            return failed(f"{what}: HTTP {result.status} carries an error body: {excerpt(result.text)}")
        issues = self.validate("chat_completion", result.json)
        compat = [i for i in issues if i.level == COMPAT]
        if compat:
            first = compat[0]
            more = f" (+{len(compat) - 1} more)" if len(compat) > 1 else ""
            return failed(f"{what}: the completion does not match the schema: {first.path}: {first.message}{more}")
        if not result.json.get("choices"):
            return failed(f"{what}: the completion has no choices")
        return None

    def strict_note(self) -> str:
        """A suffix naming strict-only schema issues, for summaries of otherwise passing checks."""
        strict = [i for i in self.schema_issues if i.level != COMPAT]
        if not strict:
            return ""
        return f"; strict-spec deviations: {strict[0].path}: {strict[0].message}" + (f" (+{len(strict) - 1} more)" if len(strict) > 1 else "")

    def conformant(self, summary: str) -> Outcome:
        """pass, or warn if strict-only schema deviations were seen on the way."""
        return warned(summary + self.strict_note()) if self.strict_note() else passed(summary)


# --- reading documents --------------------------------------------------------------------
def error_body(result: HTTPResult) -> str | None:
    """The error message of a 2xx answer whose body is an error, not a result (None otherwise):
    a refusal sent with a success status, which a verdict must name as such."""
    document = result.json
    if result.ok and isinstance(document, dict) and "error" in document and "choices" not in document:
        return error_message(document) or excerpt(result.text)
    return None


def first_choice(document: Any) -> dict[str, Any]:
    choices = document.get("choices") if isinstance(document, dict) else None
    return choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}


def message_of(document: Any) -> dict[str, Any]:
    message = first_choice(document).get("message")
    return message if isinstance(message, dict) else {}


def content_of(document: Any) -> str:
    content = message_of(document).get("content")
    return content if isinstance(content, str) else ""


def error_message(document: Any) -> str:
    if isinstance(document, dict) and isinstance(document.get("error"), dict):
        return excerpt(str(document["error"].get("message", "")), 160)
    return excerpt(json.dumps(document), 160) if document is not None else ""


def excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
