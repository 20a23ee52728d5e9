"""Serve the reference provider standalone: ``python -m conformance.reference --port 8000 --api-key KEY``.

``--deviate no_done,tool_args_object`` makes it misbehave; ``--list-deviations`` names them all;
``--latency-ms`` and ``--chunk-ms`` make it as slow as a remote model (the benchmarks use them).
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.types import ASGIApp

from .app import create_app
from .flavour import Flavour, describe_deviations
from .pacing import Paced


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.reference",
        description="Serve the OpenAI-compatible reference provider on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument("--api-key", help="the Bearer key clients must send; omit to serve without authentication")
    parser.add_argument("--deviate", default="", help="comma-separated deviations to switch on (see --list-deviations)")
    parser.add_argument("--list-deviations", action="store_true", help="print the known deviations and exit")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before each response starts (default 0)")
    parser.add_argument("--chunk-ms", type=float, default=0.0, help="delay between the parts of a streamed body (default 0)")
    parser.add_argument("--quiet", action="store_true", help="log warnings only (no line per request)")
    args = parser.parse_args(argv)
    if args.list_deviations:
        print(describe_deviations())
        return
    flavour = Flavour(frozenset(name.strip() for name in args.deviate.split(",") if name.strip()))
    try:
        app: ASGIApp = create_app(api_key=args.api_key, flavour=flavour)
    except ValueError as exc:
        parser.error(str(exc))
    if args.latency_ms or args.chunk_ms:
        app = Paced(app, latency_ms=args.latency_ms, chunk_ms=args.chunk_ms)
    base = "" if flavour.has("no_v1") else "/v1"
    print(f"Reference provider: base URL http://127.0.0.1:{args.port}{base}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, lifespan="off", log_level="warning" if args.quiet else "info",
                access_log=not args.quiet)


if __name__ == "__main__":
    main()
