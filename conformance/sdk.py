"""The official ``openai`` Python SDK as a second client (a dependency of the package).

Whatever the schemas say, users ask "does my client work?". The SDK is pointed at the provider
with the suite's base URL, key, headers and timeout, and no retries (nothing is hidden). It
sends through a transport the suite owns, so its requests and responses are recorded and
redacted like every other exchange; the first exception it raises is the finding.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import importlib
import re
import threading
import traceback
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from .budget import BudgetExhausted
from .client import STOPPED_READING
from .context import CheckContext
from .text import excerpt
from .verdict import Outcome, failed, inconclusive, skipped, unsupported

if TYPE_CHECKING:
    from openai import AsyncOpenAI

INSTALL = "python3 -m pip install 'openai>=1.40'"
SDK_REQUESTS_BOUND = 4
"""An SDK check sends at most this many requests: its whole time is bounded by as many timeouts."""
SDK_REASONS = (
    "fail/sdk_raised", "fail/too_long", "fail/server_error", "unsupported/refused", "skip/sdk_not_installed", "error/no_response",
    "error/rate_limited",
)


async def not_installed() -> Outcome | None:
    """``skip`` with the install command when the SDK is absent; None when it can be used. Waits
    (without holding up the run's other checks) for the SDK to be imported."""
    await asyncio.wrap_future(_prepared())
    try:
        import openai  # noqa: F401
    except ImportError:
        return skipped("sdk_not_installed", f"the official openai SDK is not installed; to run this check: {INSTALL}")
    return None


def import_ahead() -> None:
    """Start importing the SDK, in a thread of its own: a run with sdk.* checks calls this as it
    starts, while its first requests wait for the network."""
    _prepared()


@functools.cache
def _prepared() -> concurrent.futures.Future[None]:
    """The SDK imported, once per process, in a thread. Done in the first SDK check instead, that
    (about 0.3 s) held up every check of every provider in flight. Only the import: the models the
    checks meet are built as they meet them, never from two threads at once (building all of them
    ahead cost more CPU and memory than it saved)."""
    done: concurrent.futures.Future[None] = concurrent.futures.Future()

    def prepare() -> None:
        try:
            _import()
        except Exception:  # noqa: BLE001 - not_installed says so if the import fails; any other failure is met again, and reported, by the check
            pass
        finally:
            done.set_result(None)

    threading.Thread(target=prepare, name="conformance-sdk-import", daemon=True).start()
    return done


def _import() -> None:
    # The package is nearly all of the time (its types, and pydantic building many of them); then
    # the modules the checks reach through it.
    for module in ("openai", "openai.lib.streaming.chat", "openai.resources.chat", "openai.resources.responses"):
        importlib.import_module(module)


@asynccontextmanager
async def openai_client(ctx: CheckContext, label: str) -> AsyncIterator[AsyncOpenAI]:
    """An ``AsyncOpenAI`` aimed at the provider as the suite talks to it, recording into ``ctx``."""
    from openai import AsyncOpenAI, DefaultAsyncHttpxClient

    # The SDK's models warn on values of the wrong type (a `created` sent as a string) while building
    # its objects; the schema checks judge those values, and the warning would only clutter the run.
    warnings.filterwarnings("ignore", message="Pydantic serializer warnings", category=UserWarning)

    headers = ctx.extra_headers
    if ctx.key_header and ctx.api_key:
        headers[ctx.key_header] = ctx.api_key
    # Whichever httpx the SDK is built on (httpx, or its fork httpx2 in openai 3): its client class's module.
    module = importlib.import_module(DefaultAsyncHttpxClient.__mro__[1].__module__.split(".")[0])
    http = module.AsyncClient(transport=ctx.recording_transport(module, label), follow_redirects=False, trust_env=False)
    client = AsyncOpenAI(
        base_url=ctx.base_url,
        # The SDK refuses to start without a key; a provider without auth ignores this one.
        api_key=ctx.api_key or "conformance-no-key",
        default_headers=headers,
        default_query=ctx.query,
        timeout=ctx.settings.timeout_s,
        max_retries=0,
        http_client=http,
    )
    try:
        # Per read, the SDK's timeout bounds a stall; this bounds a check's every request together.
        async with asyncio.timeout(ctx.settings.timeout_s * SDK_REQUESTS_BOUND):
            yield client
    finally:
        await client.close()
        await http.aclose()


def sdk_frame(exc: BaseException) -> str:
    """Where in the SDK the exception was raised (its last frame inside the openai package)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/openai/" in f.filename.replace("\\", "/")]
    if not frames:
        return "outside the SDK"
    frame = frames[-1]
    path = frame.filename.replace("\\", "/").split("/openai/", 1)[-1]
    return f"openai/{path}:{frame.lineno} in {frame.name}"


def judge_exception(ctx: CheckContext, exc: Exception, what: str) -> Outcome:
    """The outcome of an exception the SDK raised for ``what``; its details go into the evidence."""
    import openai

    if isinstance(exc, BudgetExhausted):  # not the SDK's doing: the runner makes it the budget's error
        raise exc
    trace = "".join(traceback.format_exception(exc)[-6:])
    # Paths of this machine say nothing to a report's reader: from the package down is enough.
    trace = re.sub(r'File "[^"]*?/((?:openai|conformance)/[^"]*)"', r'File "\1"', trace)
    ctx.note(f"{what}: the SDK raised {type(exc).__module__}.{type(exc).__name__} at {sdk_frame(exc)}:\n{trace}")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 429:
            return inconclusive("rate_limited", f"{what}: rate limited (HTTP 429)")
        if status >= 500:
            return failed("server_error", f"{what}: the provider answered HTTP {status}: {excerpt(str(exc), 160)}")
        return unsupported("refused", f"{what}: refused with HTTP {status}, raised as {type(exc).__name__}: {excerpt(str(exc), 160)}")
    # The suite's own cut (max_body_bytes) reaches here as it is, or wrapped by the SDK in
    # APIConnectionError("Connection error.") with the cut as its cause.
    if cut := next((e for e in (exc, exc.__cause__, exc.__context__) if e is not None and STOPPED_READING in str(e)), None):
        return failed("too_long", f"{what}: {excerpt(str(cut), 160)}: the stream did not end")
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        cause = f" ({excerpt(str(exc.__cause__), 120)})" if exc.__cause__ else ""
        return inconclusive("no_response", f"{what}: {type(exc).__name__}: {excerpt(str(exc), 160)}{cause}")
    if type(exc) is openai.APIError:
        # What the SDK raises for an `{"error": ...}` event in a 200 stream: the same finding as
        # every other stream reader's, under the same code.
        return failed("stream_error", f"{what}: the stream carries an error event, raised by the SDK as APIError: {excerpt(str(exc), 160)}")
    if type(exc).__name__ in ("ReadError", "RemoteProtocolError", "ReadTimeout", "ConnectError", "WriteError"):
        # The HTTP library's own failure mid-stream: the SDK lets it through unwrapped.
        return inconclusive("no_response", f"{what}: {type(exc).__name__}: {excerpt(str(exc), 160)}")
    if isinstance(exc, TimeoutError):
        bound = ctx.settings.timeout_s * SDK_REQUESTS_BOUND
        return inconclusive("no_response", f"{what}: not finished within {bound:g} s (timeout_s × {SDK_REQUESTS_BOUND}), stopped")
    return failed("sdk_raised", f"{what}: the SDK raised {type(exc).__name__}: {excerpt(str(exc), 160)} (at {sdk_frame(exc)})")


async def final_completion(ctx: CheckContext, stream: Any) -> Any:
    """The chat stream helper's final completion. When the reply reached the request's token cap
    (finish_reason ``length``), the helper raises LengthFinishReasonError, with OpenAI as anywhere (it
    will not parse a cut reply), carrying the completion it assembled: that one is judged. Every
    request of the suite caps its reply, so a talkative model must not read as a broken SDK path."""
    import openai

    try:
        return await stream.get_final_completion()
    except openai.LengthFinishReasonError as exc:
        ctx.note(
            "the reply reached the request's token cap (finish_reason length): the SDK's stream helper raises "
            "LengthFinishReasonError from get_final_completion() then, with any provider; the completion it carries is judged"
        )
        return exc.completion


async def final_response(ctx: CheckContext, stream: Any, events: list[Any]) -> Any:
    """The Responses stream helper's final response. A reply cut by the request's max_output_tokens ends
    in ``response.incomplete``, and the helper raises RuntimeError (no response.completed), with OpenAI
    too: the incomplete response the stream carried (``events``, as iterated) is judged instead."""
    try:
        return await stream.get_final_response()
    except RuntimeError:
        incomplete = next((e.response for e in reversed(events) if getattr(e, "type", None) == "response.incomplete"), None)
        reason = field(incomplete, "incomplete_details", "reason")
        if reason != "max_output_tokens":
            raise
        ctx.note(
            "the stream ended in response.incomplete (max_output_tokens: the request's cap): the SDK's stream helper raises "
            "RuntimeError from get_final_response() then, with any provider; the incomplete response is judged"
        )
        return incomplete


def field(obj: Any, *names: str) -> Any:
    """A typed object's nested attribute, None where any step is missing (the SDK builds objects
    without validating, so a missing field is an AttributeError waiting for the app)."""
    for name in names:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj
