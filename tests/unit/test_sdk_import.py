"""The official SDK is imported in a thread of its own, once per process: the
sdk.* checks wait for it without holding up the run's other checks. Each test runs in a fresh
interpreter, where the SDK has not been imported yet."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def fresh(script: str) -> dict[str, object]:
    """Run ``script`` in a new interpreter; it prints one JSON object last."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=120, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


RECORD_IMPORTS = """
    import json, sys, threading
    imported_in = {}

    class Recorder:
        def find_spec(self, name, path=None, target=None):
            if name in ("openai", "openai.types.responses"):
                imported_in.setdefault(name, threading.current_thread().name)
            return None

    sys.meta_path.insert(0, Recorder())
"""


def test_the_sdk_is_imported_off_the_event_loop_thread() -> None:
    result = fresh(RECORD_IMPORTS + """
    import asyncio
    from conformance.sdk import import_ahead, not_installed

    import_ahead()
    outcome = asyncio.run(not_installed())
    print(json.dumps({"outcome": repr(outcome), "threads": imported_in}))
    """)
    assert result["outcome"] == "None"  # installed: nothing to skip
    assert result["threads"] == {"openai": "conformance-sdk-import", "openai.types.responses": "conformance-sdk-import"}


def test_a_check_alone_starts_the_import_itself_and_it_happens_once() -> None:
    result = fresh(RECORD_IMPORTS + """
    import asyncio
    from conformance.sdk import _prepared, not_installed

    async def two_checks():
        return await asyncio.gather(not_installed(), not_installed())

    outcomes = asyncio.run(two_checks())
    print(json.dumps({"outcomes": [repr(o) for o in outcomes], "threads": imported_in, "same": _prepared() is _prepared()}))
    """)
    assert result["outcomes"] == ["None", "None"]
    assert result["threads"] == {"openai": "conformance-sdk-import", "openai.types.responses": "conformance-sdk-import"}
    assert result["same"] is True


def test_without_the_sdk_the_checks_skip_with_the_install_command() -> None:
    result = fresh("""
    import asyncio, json, sys

    class NoOpenAI:
        def find_spec(self, name, path=None, target=None):
            if name == "openai" or name.startswith("openai."):
                raise ModuleNotFoundError(f"No module named {name!r}")
            return None

    sys.meta_path.insert(0, NoOpenAI())
    from conformance.sdk import import_ahead, not_installed

    import_ahead()
    outcome = asyncio.run(not_installed())
    print(json.dumps({"status": outcome.status.value, "code": outcome.code, "summary": outcome.summary}))
    """)
    assert (result["status"], result["code"]) == ("skip", "skip/sdk_not_installed")
    assert "pip install 'openai>=1.40'" in str(result["summary"])
