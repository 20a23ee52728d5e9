"""``conformance discover BASE_URL``: find how to talk to a vendor never seen, and print its
providers.yaml entry (``--run`` audits it at once)."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
from pathlib import Path

from ..checklist import select_checks
from ..discover import Discovery, provider_entry, summary
from ..errors import UsageError
from ..session import Session
from ..settings import Settings
from .common import (
    Commands,
    ExitCode,
    Progress,
    add_color_option,
    add_out_option,
    after_run,
    key_hints,
    positive_int,
    ready_out_dir,
    show,
    usage_line,
)

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "discover", help="find where a vendor's API lives, how it wants the key, which models answer; print a providers.yaml entry",
        description="Sends a handful of bounded requests (each printed) to BASE_URL: the base with and without /v1, the key as "
        "Authorization: Bearer, api-key: or x-api-key:, a query parameter the API demands (read from its error message), "
        "GET /models, a one-token chat request per model (at most --max-models), and POST /responses. Then prints a "
        "ready-to-paste providers.yaml entry and a summary; --run audits that entry at once (exit codes as for run).",
    )
    parser.set_defaults(handler=command)
    parser.add_argument("base_url", metavar="BASE_URL", help="the vendor's API URL, e.g. https://api.example.com (with or without /v1)")
    parser.add_argument("--key-env", metavar="VAR", default=None, help="the environment variable that holds the key (never printed)")
    parser.add_argument("--model", metavar="ID", default=None, help="the model to try, instead of the first ones GET /models lists")
    parser.add_argument("--max-models", metavar="N", type=positive_int, default=3, help="try at most N listed models (default 3)")
    parser.add_argument("--name", metavar="NAME", default="vendor", help="the provider's name in the entry (default vendor)")
    parser.add_argument("--run", action="store_true", help="go straight on to a full audit of the entry")
    add_out_option(parser, "with --run: ")
    add_color_option(parser)


def command(args: argparse.Namespace) -> ExitCode:
    if not re.match(r"^https?://[^/\s?#]+", args.base_url):
        raise UsageError(f"BASE_URL {args.base_url!r} is not accepted: give http:// or https:// and a host, e.g. https://api.example.com/v1")
    if args.key_env is not None and not _ENV_NAME.match(args.key_env):
        raise UsageError(f"--key-env {args.key_env!r} is not an environment variable name (letters, digits and _)")
    key = os.environ.get(args.key_env or "") or None
    if args.key_env and key is None:
        emptiness = "is empty" if args.key_env in os.environ else "is not set"
        raise UsageError(f"--key-env {args.key_env}: the environment variable {args.key_env} {emptiness}")
    if args.run:
        ready_out_dir(args.out)
    discovery = Discovery(args.base_url, key, print, max_models=args.max_models, model=args.model,
                          settings=Settings(timeout_s=30.0, max_retries=0))
    finding = asyncio.run(discovery.run())
    entry = provider_entry(finding, args.name, args.key_env)
    print("\nsummary (" + f"{discovery.sent} request(s) sent)")
    for line in summary(finding):
        print(f"  {line}")
    print("\nproviders.yaml entry:\n")
    print(entry)
    if not args.run:
        return ExitCode.OK
    if finding.base_url is None or finding.chat_model is None:
        raise UsageError("--run: nothing to audit: discovery found no API, or no model that answers (see the summary)")
    with tempfile.TemporaryDirectory(prefix="conformance-discover-") as folder:
        providers = Path(folder) / "providers.yaml"
        providers.write_text(entry, encoding="utf-8")
        session = Session.open(providers)
        state = session.plan(select_checks([]))
        progress = Progress(sys.stderr)
        result, interrupted = session.run(state, progress.update)
        progress.finish()
        after_run(state, interrupted)
    for hint in key_hints(result, session.providers):
        print(hint, file=sys.stderr)
    show(result, args.out, no_color=args.no_color)
    print(usage_line(result))
    return ExitCode.INTERRUPTED if interrupted else ExitCode.OK
