"""Serve the reference provider standalone: ``python -m conformance.reference --port 8000 --api-key KEY``."""

from __future__ import annotations

import argparse

import uvicorn

from .app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.reference",
        description="Serve the OpenAI-compatible reference provider on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument("--api-key", help="the Bearer key clients must send; omit to serve without authentication")
    args = parser.parse_args(argv)
    app = create_app(api_key=args.api_key)
    print(f"Reference provider: base URL http://127.0.0.1:{args.port}/v1", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, lifespan="off", log_level="info")


if __name__ == "__main__":
    main()
