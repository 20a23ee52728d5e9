"""What `pip install .` puts on a machine: exactly one import package, `conformance`, with its
data files (schemas, the report's CSS and JS, the default providers file, py.typed)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "--wheel-dir", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    (built,) = out.glob("conformance-*.whl")
    return built


def test_the_wheel_holds_one_import_package_and_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"conformance"}
    for needed in (
        "conformance/py.typed",
        "conformance/default_providers.yaml",
        "conformance/schemas/results.schema.json",
        "conformance/schemas/providers.schema.json",
        "conformance/schemas/compat/chat_completion.json",
        "conformance/schemas/strict/chat_completion_chunk.json",
        "conformance/probes/streaming/done.py",
        "conformance/report/resources/report.css",
        "conformance/report/resources/report.js",
    ):
        assert needed in names, needed


def test_installing_the_wheel_adds_only_conformance_to_site_packages(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    before = set(p.name for p in site.iterdir())
    # --no-deps: the point is what this distribution adds; its dependencies are other projects.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)],
                   check=True, capture_output=True, text=True)
    added = {p.name for p in site.iterdir()} - before
    assert {a for a in added if not a.endswith(".dist-info")} == {"conformance"}, added
    located = subprocess.run([str(python), "-c", "import conformance, sys; print(conformance.__file__)"],
                             check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    assert located.startswith(str(site))
