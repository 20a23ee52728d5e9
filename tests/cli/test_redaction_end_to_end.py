"""No key leaves the suite, whatever the key and however the provider echoes it.

A provider that echoes the caller's key (whole, and as "helpful" start/end slices, in error
messages and in a response header) is run through the real command line for random realistic
keys; no output file and no terminal line may hold the key or any 8-character slice of it.
"""

from __future__ import annotations

import contextlib
import io
import os
import string
import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conformance.cli import ExitCode, main
from tests.support.keys import assert_no_key_slice

KEY_ALPHABET = string.ascii_letters + string.digits
keys = st.text(alphabet=KEY_ALPHABET, min_size=24, max_size=48).map(lambda body: "sk-" + body)
PROVIDERS = (
    "providers:\n"
    "  - name: leaky\n"
    "    base_url: embedded:reference?deviate=echo_key\n"
    "    api_key: ${LEAKY_KEY}\n"
    "    models: {chat: reference-chat}\n"
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keys)
def test_no_output_holds_the_key_or_a_slice_of_it(key: str) -> None:
    # Degenerate keys ("sk-000000...") share slices with ordinary output such as timestamps;
    # real keys are random, so ask for some variety instead of special-casing the assertion.
    assume(len(set(key)) >= 12)
    with tempfile.TemporaryDirectory() as tmp:
        providers = Path(tmp) / "providers.yaml"
        providers.write_text(PROVIDERS, encoding="utf-8")
        out = Path(tmp) / "out"
        printed = io.StringIO()
        with mock.patch.dict(os.environ, {"LEAKY_KEY": key}), contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            code = main([
                "run", "--providers", str(providers), "--out", str(out), "--no-color",
                "--check", "auth.*", "--check", "models.unknown_rejected", "--check", "chat.basic", "--check", "errors.*",
            ])
        assert code == ExitCode.OK, printed.getvalue()
        outputs = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
        outputs["terminal"] = printed.getvalue()
        # The echo really happened (the evidence shows where), so the test cannot pass vacuously.
        assert "request key [REDACTED]" in outputs["results.json"]
        assert "x-debug-authorization" in outputs["results.json"]
        for name, text in outputs.items():
            assert_no_key_slice(text, key, name)
