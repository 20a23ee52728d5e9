"""The HTTP face of the reference provider: routes, auth, headers and error envelopes."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import model
from .flavour import Flavour
from .requests import ApiError, authorization_error, model_not_found, parse_chat_request
from .streaming import sse_events

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


def create_app(
    *, api_key: str | None, models: Sequence[str] = DEFAULT_MODELS, flavour: Flavour = Flavour()
) -> Starlette:
    """The provider as an ASGI app. ``api_key=None`` serves without authentication."""
    flavour.check_known()
    model_ids = tuple(models)

    async def list_models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [_model_object(m) for m in model_ids]})

    async def retrieve_model(request: Request) -> Response:
        model_id = request.path_params["model_id"]
        if model_id not in model_ids:
            return error_response(model_not_found(model_id))
        return JSONResponse(_model_object(model_id))

    async def chat_completions(request: Request) -> Response:
        started = time.perf_counter()
        try:
            chat = parse_chat_request(await request.body(), model_ids)
        except ApiError as error:
            return error_response(error, _completion_headers(started))
        result = model.reply(chat, flavour)
        completion_id = f"chatcmpl-{secrets.token_hex(12)}"
        created = int(time.time())
        headers = _completion_headers(started)
        if chat.stream:
            events = sse_events(chat, result, completion_id=completion_id, created=created, flavour=flavour)
            return StreamingResponse(
                events, media_type="text/event-stream", headers={**headers, "cache-control": "no-cache"}
            )
        body = model.completion_body(chat, result, completion_id=completion_id, created=created, flavour=flavour)
        return JSONResponse(body, headers=headers)

    middleware = [Middleware(_RequestId)]
    if api_key is not None:
        middleware.append(Middleware(_BearerAuth, api_key=api_key))
    app = Starlette(
        routes=[
            Route(f"{API_PREFIX}/models", list_models, methods=["GET"]),
            Route(f"{API_PREFIX}/models/{{model_id}}", retrieve_model, methods=["GET"]),
            Route(f"{API_PREFIX}/chat/completions", chat_completions, methods=["POST"]),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: _routing_error},
    )
    # A trailing slash is a client mistake the suite reports; a redirect would hide it.
    app.router.redirect_slashes = False
    return app


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error.envelope(), status_code=error.status, headers=headers)


def _model_object(model_id: str) -> dict[str, object]:
    return {"id": model_id, "object": "model", "created": MODEL_CREATED, "owned_by": MODEL_OWNER}


def _completion_headers(started: float) -> dict[str, str]:
    elapsed_ms = int((time.perf_counter() - started) * 1000)
    return {**RATE_LIMIT_HEADERS, "openai-processing-ms": str(elapsed_ms)}


async def _routing_error(request: Request, exc: HTTPException) -> Response:
    """Unknown paths and wrong methods, in the envelope instead of Starlette's plain text."""
    target = f"({request.method} {request.url.path})"
    if exc.status_code == 404:
        message = f"Invalid URL {target}"
    elif exc.status_code == 405:
        message = f"Invalid method for URL {target}"
    else:
        message = exc.detail
    return error_response(ApiError(exc.status_code, message), dict(exc.headers or {}))


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


class _BearerAuth:
    """Checks the key before routing, so every /v1 path (even an unknown one) demands it.

    Paths outside /v1 are left to 404: a missing ``/v1`` in a client's base URL must
    show up as "not found", not as an auth problem.
    """

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self.api_key = api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == API_PREFIX or path.startswith(f"{API_PREFIX}/")):
            error = authorization_error(Headers(scope=scope).get("authorization"), self.api_key)
            if error is not None:
                await error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)
