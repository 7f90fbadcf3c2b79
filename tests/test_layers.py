"""The module graph: no import cycles between project modules, counting imports inside
functions and under TYPE_CHECKING (the layer contract itself is `lint-imports`, run by
`make lint`; see pyproject.toml and docs/architecture.md)."""

from __future__ import annotations

import grimp


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    modules = sorted(graph.modules)
    imports = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in imports[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles_between_project_modules() -> None:
    graph = grimp.build_graph("sync", "webhooks", exclude_type_checking_imports=False)
    assert _cycles(graph) == []


def test_a_deferred_import_is_a_dependency_too() -> None:
    """grimp reads imports inside functions: `open_store` names its store modules as
    strings (a registry), so the library's store package imports none of them."""
    graph = grimp.build_graph("sync", exclude_type_checking_imports=False)
    assert "sync.audit.jobs" in graph.find_modules_directly_imported_by("sync.cli.watch_cmds")
    assert "sync.operations.rq" in graph.find_modules_directly_imported_by("sync.cli.worker_cmds")
    assert not {m for m in graph.find_modules_directly_imported_by("sync.stores") if ".google" in m}
