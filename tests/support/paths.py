"""Where the repository's own files are, for tests that read them (docs, README, demo providers)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The checkout: the directory holding pyproject.toml, README.md and conformance/."""

assert (REPO_ROOT / "pyproject.toml").is_file(), f"{REPO_ROOT} is not the repository root"
