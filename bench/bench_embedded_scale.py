"""Embedded scale: 50 `embedded:reference` providers against the same 50 served by one external
reference process. Target: embedded / external <= 1.5 (one server for all embedded providers).

    python bench/bench_embedded_scale.py [N]
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import external_reference, providers_file, run_cli, scratch, verdict


def main(count: int = 50) -> bool:
    with scratch() as folder, external_reference() as base:
        tmp = Path(folder)
        (tmp / "e").mkdir()
        (tmp / "x").mkdir()
        embedded = run_cli(providers_file(tmp / "e", ["embedded:reference"] * count), tmp / "e" / "out")
        external = run_cli(providers_file(tmp / "x", [base] * count, external=True), tmp / "x" / "out")
    ratio = embedded.wall_s / external.wall_s
    print(f"{count} providers: embedded {embedded.wall_s:.1f} s ({embedded.max_rss_mb:.0f} MB), "
          f"external {external.wall_s:.1f} s ({external.max_rss_mb:.0f} MB, server in its own process)")
    ok = ratio <= 1.5
    print(f"embedded / external = {ratio:.2f}; target <= 1.5: {verdict(ok)}")
    return ok


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
