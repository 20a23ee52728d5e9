"""Cost: requests and tokens per check for a full run on the reference provider.

Target: requests <= checks + 5 (every check costs about one request; sharing pays for the rest).

    python bench/bench_cost.py
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from common import providers_file, run_cli, scratch, verdict


def main() -> bool:
    with scratch() as folder:
        tmp = Path(folder)
        measure = run_cli(providers_file(tmp, ["embedded:reference"]), tmp / "out")
    results = measure.results
    checks = len(results["checks"])
    provider = results["providers"][0]
    per_check: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    for r in results["results"]:
        for e in r["exchanges"]:
            # A shared request is evidence of every check that judges it: count it once, for the first.
            key = (e["request"]["url"], e["label"])
            if key not in seen:
                seen.add(key)
                per_check[r["check_id"]] += 1
    print("requests per check (a shared request counted for the first check that shows it):")
    for check, count in sorted(per_check.items(), key=lambda kv: (-kv[1], kv[0])):
        if count > 1:
            print(f"  {count:>3}  {check}")
    print(f"  (the other {sum(1 for c in per_check.values() if c == 1)} checks: 1 request each; "
          f"{checks - len(per_check)} checks: none of their own)")
    requests, tokens = provider["requests"], provider["tokens"]
    ok = requests <= checks + 5
    print(f"cost: {requests} requests, {tokens} tokens for {checks} checks; target requests <= checks + 5 = {checks + 5}: {verdict(ok)}")
    return ok


if __name__ == "__main__":
    main()
