"""Merge several results.json files into one matrix (``conformance report A.json B.json``).

Typical use: a CI matrix runs one provider per job, and a final job merges their results into
one report. Rules, chosen so that re-running one provider and merging it last simply updates it:

- providers combine; when two files have a provider of the same name, the **later file wins**
  (its column keeps the position of the first one) and the merged run says so in its notes;
- checks are unioned, in checklist order; a check one run did not make shows as "no verdict";
- each run's own metadata (tool version, start, end, duration, interrupted) is kept per source
  in ``sources``, and the merged ``run`` spans them: earliest start, latest end, summed duration;
  ``tool.version`` is the version that did the merge.

Giving one file re-renders it unchanged (no ``sources`` added).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .checklist import check_ids
from .errors import UsageError
from .matrix import section_rank
from .report.json_report import load_results
from .results import CheckInfo, ProviderRun, RunResult, RunSource
from .verdict import Verdict


@dataclass(frozen=True)
class Loaded:
    """One results file as read: its name (as given) and its content."""

    file: str
    result: RunResult


def load_many(paths: list[Path]) -> list[Loaded]:
    """Read and validate every file; a bad one is a :class:`UsageError` that names it."""
    loaded = []
    for path in paths:
        try:
            loaded.append(Loaded(str(path), load_results(Path(path))))
        except FileNotFoundError:
            raise UsageError(f"{path}: results file not found") from None
        except IsADirectoryError:
            raise UsageError(f"{path}: is a directory, not a results file (try {Path(path) / 'results.json'})") from None
        except OSError as exc:
            raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except ValueError as exc:
            # load_results already names the file and the JSON path of the first problem.
            raise UsageError(str(exc)) from None
    return loaded


def load_one(path: Path) -> RunResult:
    """One results file (errors name the file and the JSON path of the problem)."""
    return load_many([path])[0].result


def _sources_of(item: Loaded) -> list[RunSource]:
    """The runs inside one file: its own ``sources`` if it is already a merge, else the file itself."""
    r = item.result
    if r.sources:
        return [replace(s, providers=list(s.providers)) for s in r.sources]
    return [
        RunSource(
            file=item.file,
            tool_version=r.tool_version,
            started_at=r.started_at,
            finished_at=r.finished_at,
            duration_s=r.duration_s,
            interrupted=r.interrupted,
            providers=[p.name for p in r.providers],
        )
    ]


def _checklist_rank() -> dict[str, int]:
    return {check_id: i for i, check_id in enumerate(check_ids())}


def _union_checks(results: list[RunResult]) -> list[CheckInfo]:
    """Every check any run listed, in checklist order (unknown ids after known ones, as first seen)."""
    by_id: dict[str, CheckInfo] = {}
    first_seen: dict[str, int] = {}
    for r in results:
        for c in r.checks:
            first_seen.setdefault(c.id, len(first_seen))
            by_id[c.id] = c  # the later file's title wins: it is the newer description
    check_rank = _checklist_rank()
    return sorted(
        by_id.values(),
        key=lambda c: (
            section_rank(c.section),
            check_rank.get(c.id, len(check_rank)),
            first_seen[c.id],
        ),
    )


def _instant(stamp: str) -> tuple[int, float, str]:
    """Sort key for ISO 8601 stamps from different machines; unparsable ones sort first, as text."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return (0, 0.0, stamp)
    if moment.tzinfo is None:  # results.json stamps are UTC; read a hand-made naive one as UTC too
        moment = moment.replace(tzinfo=UTC)
    return (1, moment.timestamp(), stamp)


def merge(items: list[Loaded]) -> RunResult:
    """One matrix from several runs (see the module docstring for the rules)."""
    if not items:
        raise UsageError("no results file given")
    if len(items) == 1:
        return items[0].result  # re-rendering one file: keep it exactly as it was

    providers: dict[str, ProviderRun] = {}
    verdicts: dict[str, list[Verdict]] = {}
    origin: dict[str, str] = {}
    sources: list[RunSource] = []
    notes: list[str] = []
    for item in items:
        r = item.result
        for note in r.notes:
            notes.append(f"{item.file}: {note}")
        item_sources = _sources_of(item)
        names = [p.name for p in r.providers] + [v.provider for v in r.verdicts]
        for name in dict.fromkeys(names):
            if name in origin:
                notes.append(f"provider {name!r} from {origin[name]} was replaced by the one from {item.file}")
                for s in sources:
                    if name in s.providers:
                        s.providers.remove(name)
            origin[name] = item.file
        for p in r.providers:
            # Assigning to an existing key keeps the column where the provider first appeared.
            providers[p.name] = p
        for name in dict.fromkeys(names):
            verdicts[name] = [v for v in r.verdicts if v.provider == name]
        sources.extend(item_sources)

    kept_sources = [s for s in sources if s.providers] or sources
    return RunResult(
        tool_version=__version__,
        started_at=min((s.started_at for s in kept_sources), key=_instant),
        finished_at=max((s.finished_at for s in kept_sources), key=_instant),
        duration_s=sum(s.duration_s for s in kept_sources),
        providers=list(providers.values()),
        checks=_union_checks([i.result for i in items]),
        verdicts=[v for name in verdicts for v in verdicts[name]],
        interrupted=any(s.interrupted for s in kept_sources),
        notes=notes,
        sources=kept_sources,
    )
