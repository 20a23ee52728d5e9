"""The house rules that keep the data path readable: one import package, and no import cycle
inside it (function-level imports count: a late import is a cycle held apart, not removed)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import conformance

PACKAGE = Path(conformance.__file__).parent


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package is its ``__init__``)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imported(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The package's own modules that ``name`` imports, anywhere in its body."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # ``from pkg import sub`` imports the submodule when there is one, else a name from pkg.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # ``import conformance.x.y`` names a module, maybe via its package
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imported(name, path, set(known))) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each a cycle to report."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_the_import_parser_sees_late_and_relative_imports() -> None:
    graph = import_graph()
    # cli imports its subcommand modules with `from . import ...`; session imports the runner.
    assert "conformance.cli.run" in graph["conformance.cli"]
    assert "conformance.runner" in graph["conformance.session"]
    assert "conformance.registry" in graph["conformance.probes.chat.basic"]


def top_level_imports(path: Path) -> set[str]:
    """Names of the outside packages a module imports (``httpx``, ``socket``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_probes_never_build_reports_or_touch_sockets() -> None:
    """A check reads like its checklist line: it asks its context for requests and never renders."""
    graph, files = import_graph(), modules()
    for name, targets in graph.items():
        if not name.startswith("conformance.probes"):
            continue
        layers_above = ("conformance.report", "conformance.cli", "conformance.session", "conformance.runner")
        banned = {t for t in targets if any(t == layer or t.startswith(layer + ".") for layer in layers_above)}
        assert not banned, f"{name} imports {banned}"
        outside = top_level_imports(files[name]) & {"httpx", "socket", "http", "urllib", "asyncio"}
        assert not outside, f"{name} imports {outside}: requests go through its CheckContext"
