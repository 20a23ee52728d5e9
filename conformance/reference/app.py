"""The HTTP face of the reference provider: routes, auth, headers and error envelopes."""

from __future__ import annotations

import html
import json
import secrets
import time
from collections.abc import Callable, Sequence
from http import HTTPStatus
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import model, responses
from .concurrency import GatedStreamingResponse, ServerState, stream_body, stream_slot
from .flavour import Flavour
from .requests import ApiError, api_key_header_error, authorization_error, model_not_found, parse_chat_request
from .streaming import SSE_MEDIA_TYPE, error_event_frames, media_type, sse_frames

DEFAULT_MODELS: tuple[str, ...] = ("reference-chat", "reference-vision")
MODEL_CREATED = 1700000000
MODEL_OWNER = "conformance-reference"
API_PREFIX = "/v1"

# Fixed values shaped like OpenAI's: the suite checks that these headers exist and parse.
RATE_LIMIT_HEADERS = {
    "x-ratelimit-limit-requests": "10000",
    "x-ratelimit-limit-tokens": "2000000",
    "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-remaining-tokens": "1999000",
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-reset-tokens": "30ms",
}
OVERLOADED_MESSAGE = "The server is overloaded or not ready yet."
RETRY_AFTER_S = 1
RETRY_AFTER_MS = 50
RATE_LIMITED_MESSAGE = (
    "Rate limit reached for requests per min (RPM): Limit 1, Used 1, Requested 1. Please try again {wait}."
)
NOT_FOUND_DETAIL = {"detail": "Not Found"}
"""FastAPI's body for a route it does not have (model_retrieve_missing)."""

KeyCheck = Callable[[Headers], "ApiError | None"]
"""The 401 for a request's headers, or None if they carry the key."""


def create_app(
    *, api_key: str | None, models: Sequence[str] = DEFAULT_MODELS, flavour: Flavour = Flavour()
) -> Starlette:
    """The provider as an ASGI app. ``api_key=None`` serves without authentication."""
    flavour.check_known()
    model_ids = tuple(models)
    prefix = "" if flavour.has("no_v1") else API_PREFIX
    state = ServerState()
    sampler = model.Sampler()

    def render_error(error: ApiError, headers: dict[str, str] | None = None, request: Request | None = None) -> Response:
        if request is not None and flavour.has("echo_key"):
            error = _echoing_key(error, request)
        return error_response(error, headers, flavour)

    async def list_models(request: Request) -> Response:
        objects = [_model_object(m) for m in model_ids]
        return JSONResponse(objects if flavour.has("models_bare_array") else {"object": "list", "data": objects})

    async def retrieve_model(request: Request) -> Response:
        if flavour.has("model_retrieve_missing"):
            # llama-cpp-python serves GET /models but has no route for one model.
            return JSONResponse(NOT_FOUND_DETAIL, status_code=404)
        model_id = request.path_params["model_id"]
        if model_id not in model_ids:
            return render_error(model_not_found(model_id), request=request)
        return JSONResponse(_model_object(model_id))

    async def chat_completions(request: Request) -> Response:
        started = time.perf_counter()
        number = state.next_chat_request()
        if flavour.has("flaky_every_other") and number % 2 == 0:
            overloaded = ApiError(503, OVERLOADED_MESSAGE, error_type="server_error")
            return render_error(overloaded, _completion_headers(started))
        if number == 1 and (flavour.has("rate_limited_once") or flavour.has("rate_limited_no_retry_after")):
            return render_error(*_rate_limited(started, flavour))
        raw = await request.body()
        try:
            chat = parse_chat_request(raw, model_ids, flavour)
        except ApiError as failure:
            error = _validation_failure(failure, flavour)
            if flavour.has("stream_error_event") and _asks_to_stream(raw):
                # The refusal arrives as a stream: HTTP 200, one error event, then [DONE].
                frames = error_event_frames(error.envelope(), flavour)
                return StreamingResponse(iter(frames), media_type=SSE_MEDIA_TYPE, headers=_completion_headers(started))
            return render_error(error, _completion_headers(started), request)
        results = model.replies(chat, flavour, sampler)
        completion_id = f"chatcmpl-{secrets.token_hex(12)}"
        created = int(time.time())
        headers = _completion_headers(started)
        if flavour.has("echo_key"):
            headers["x-debug-authorization"] = request.headers.get("authorization", "")
        if chat.stream:
            frames = sse_frames(chat, results, completion_id=completion_id, created=created, flavour=flavour)
            return GatedStreamingResponse(
                stream_body(frames, flavour, state),
                slot=stream_slot(flavour, state),
                media_type=media_type(flavour),
                headers={**headers, "cache-control": "no-cache"},
            )
        body = model.completion_body(chat, results, completion_id=completion_id, created=created, flavour=flavour)
        return JSONResponse(body, headers=headers)

    response_store = responses.ResponseStore()

    async def create_response(request: Request) -> Response:
        started = time.perf_counter()
        try:
            parsed = responses.parse_responses_request(await request.body(), model_ids, response_store, flavour)
        except ApiError as failure:
            return render_error(_validation_failure(failure, flavour), _completion_headers(started), request)
        body = responses.create_response(parsed, response_store, flavour, sampler)
        headers = _completion_headers(started)
        if parsed.chat.stream:
            stream_headers = {**headers, "cache-control": "no-cache"}
            return StreamingResponse(responses.sse_frames(body, flavour), media_type="text/event-stream", headers=stream_headers)
        return JSONResponse(body, headers=headers)

    async def routing_error(request: Request, exc: Exception) -> Response:
        """Unknown paths and wrong methods, in the envelope instead of Starlette's plain text."""
        assert isinstance(exc, HTTPException)  # registered for HTTPException only
        return render_error(_routing_failure(request, exc), dict(exc.headers or {}))

    middleware = [Middleware(_RequestId)]
    if api_key is not None and not flavour.has("auth_not_enforced"):
        middleware.append(Middleware(_KeyAuth, check=_key_check(api_key, flavour), prefix=prefix, flavour=flavour))
    if flavour.has("query_param_required"):
        # After the key check, as Azure does: a caller with a good key learns what else is missing.
        middleware.append(Middleware(_RequiredQuery, prefix=prefix, flavour=flavour))
    model_routes = [] if flavour.has("models_absent") else [
        Route(f"{prefix}/models", list_models, methods=["GET"]),
        Route(f"{prefix}/models/{{model_id}}", retrieve_model, methods=["GET"]),
    ]
    responses_routes = [Route(f"{prefix}/responses", create_response, methods=["POST"])] if responses.served(flavour) else []
    app = Starlette(
        routes=[
            *model_routes,
            Route(f"{prefix}/chat/completions", chat_completions, methods=["POST"]),
            *responses_routes,
        ],
        middleware=middleware,
        exception_handlers={HTTPException: routing_error},
    )
    # A trailing slash is a client mistake the suite reports; a redirect would hide it.
    app.router.redirect_slashes = False
    return app


def error_response(error: ApiError, headers: dict[str, str] | None = None, flavour: Flavour = Flavour()) -> Response:
    """An error as this flavour renders it: OpenAI's envelope unless error_html or error_detail."""
    if flavour.has("error_html"):
        return HTMLResponse(_error_page(error), status_code=error.status, headers=headers)
    if flavour.has("error_detail"):
        return JSONResponse({"detail": error.message}, status_code=error.status, headers=headers)
    return JSONResponse(error.envelope(), status_code=error.status, headers=headers)


def _error_page(error: ApiError) -> str:
    """An HTML error page like a reverse proxy or web framework serves."""
    try:
        title = f"{error.status} {HTTPStatus(error.status).phrase}"
    except ValueError:
        title = str(error.status)
    return (
        f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>"
        f"<body><h1>{title}</h1><p>{html.escape(error.message)}</p></body></html>\n"
    )


def _echoing_key(error: ApiError, request: Request) -> ApiError:
    """The error with the caller's key in its message, the way careless providers leak it:
    whole, and as the start and end slices some print to "help" (sk-abcdefgh...wxyz1234)."""
    token = request.headers.get("authorization", "").partition(" ")[2]
    leak = f" (request key {token}; starts {token[:10]}, ends {token[-10:]})" if token else ""
    return ApiError(error.status, error.message + leak, error_type=error.error_type, param=error.param, code=error.code)


def _validation_failure(error: ApiError, flavour: Flavour) -> ApiError:
    """A refused request (400) as flavours that misreport validation errors answer it."""
    if error.status != 400:
        return error
    if flavour.has("error_500_for_bad_request"):
        return ApiError(500, error.message, error_type="server_error")
    if flavour.has("error_200"):
        return ApiError(200, error.message, error_type=error.error_type, param=error.param, code=error.code)
    return error


def _rate_limited(started: float, flavour: Flavour) -> tuple[ApiError, dict[str, str]]:
    """OpenAI's 429 for a spent request budget, with its retry headers unless rate_limited_no_retry_after."""
    headers = {**_completion_headers(started), "x-ratelimit-remaining-requests": "0"}
    if flavour.has("rate_limited_no_retry_after"):
        # Nothing says when to come back: no Retry-After, no retry-after-ms, no x-ratelimit-reset-*.
        headers = {key: value for key, value in headers.items() if not key.startswith("x-ratelimit-reset-")}
        wait = "later"
    else:
        headers.update({"retry-after": str(RETRY_AFTER_S), "retry-after-ms": str(RETRY_AFTER_MS)})
        headers["x-ratelimit-reset-requests"] = f"{RETRY_AFTER_MS}ms"
        wait = f"in {RETRY_AFTER_MS}ms"
    message = RATE_LIMITED_MESSAGE.format(wait=wait)
    return ApiError(429, message, error_type="requests", code="rate_limit_exceeded"), headers


def _asks_to_stream(body: bytes) -> bool:
    """Whether a (refused) request body asked for a stream; False when it is not even JSON."""
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("stream") is True


def _routing_failure(request: Request, exc: HTTPException) -> ApiError:
    target = f"({request.method} {request.url.path})"
    if exc.status_code == 404:
        message = f"Invalid URL {target}"
    elif exc.status_code == 405:
        message = f"Invalid method for URL {target}"
    else:
        message = exc.detail
    return ApiError(exc.status_code, message)


def _key_check(api_key: str, flavour: Flavour) -> KeyCheck:
    if flavour.has("api_key_header"):
        return lambda headers: api_key_header_error(headers.get("api-key"), api_key)
    return lambda headers: authorization_error(headers.get("authorization"), api_key)


def _model_object(model_id: str) -> dict[str, object]:
    return {"id": model_id, "object": "model", "created": MODEL_CREATED, "owned_by": MODEL_OWNER}


def _completion_headers(started: float) -> dict[str, str]:
    elapsed_ms = int((time.perf_counter() - started) * 1000)
    return {**RATE_LIMIT_HEADERS, "openai-processing-ms": str(elapsed_ms)}


class _RequestId:
    """Adds ``x-request-id`` to every response, errors included, like OpenAI does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req_{secrets.token_hex(16)}"

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("x-request-id", request_id)
            await send(message)

        await self.app(scope, receive, send_with_id)


REQUIRED_QUERY = "api-version"
SUPPORTED_API_VERSIONS = ("2024-10-21", "2025-04-01-preview")


class _RequiredQuery:
    """Under ``query_param_required``: every API request must carry ``?api-version=`` with a
    supported value (Azure OpenAI's rule), and the 400 says which values are."""

    def __init__(self, app: ASGIApp, prefix: str, flavour: Flavour) -> None:
        self.app = app
        self.prefix = prefix
        self.flavour = flavour

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == self.prefix or path.startswith(f"{self.prefix}/")):
            given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(REQUIRED_QUERY, [])
            if not given or given[0] not in SUPPORTED_API_VERSIONS:
                what = "Missing required" if not given else "Unsupported value for the"
                error = ApiError(
                    400, f"{what} query parameter '{REQUIRED_QUERY}'. Supported versions: {', '.join(SUPPORTED_API_VERSIONS)}.",
                    param=REQUIRED_QUERY, code="missing_query_parameter" if not given else "unsupported_api_version",
                )
                await error_response(error, flavour=self.flavour)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _KeyAuth:
    """Checks the key before routing, so every API path (even an unknown one) demands it.

    Paths outside /v1 are left to 404: a missing ``/v1`` in a client's base URL must
    show up as "not found", not as an auth problem. (Under ``no_v1`` the prefix is empty:
    the API is at the root, so every path demands the key.)
    """

    def __init__(self, app: ASGIApp, check: KeyCheck, prefix: str, flavour: Flavour) -> None:
        self.app = app
        self.check = check
        self.prefix = prefix
        self.flavour = flavour

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == self.prefix or path.startswith(f"{self.prefix}/")):
            error = self.check(Headers(scope=scope))
            if error is not None:
                await error_response(error, flavour=self.flavour)(scope, receive, send)
                return
        await self.app(scope, receive, send)
