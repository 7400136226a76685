"""How the domain package's modules import each other: modules per folder, import cycles, and the
longest chain of imports (the deepest path a reader may have to follow from one module down to
another without visiting a module twice). Reads the code with grimp (import-linter's graph), so
imports inside functions count too.

    python infra/scripts/import_chains.py [package]
"""
from __future__ import annotations

import sys
from collections import Counter

import grimp


def longest_chain(graph: grimp.ImportGraph, modules: set[str]) -> list[str]:
    """The longest simple path in the import graph (depth-first; the package is small)."""
    imports = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in modules}
    best: list[str] = []

    def walk(path: list[str], seen: set[str]) -> None:
        nonlocal best
        if len(path) > len(best):
            best = list(path)
        for nxt in imports[path[-1]]:
            if nxt not in seen:
                seen.add(nxt)
                path.append(nxt)
                walk(path, seen)
                path.pop()
                seen.discard(nxt)

    for start in sorted(modules):
        walk([start], {start})
    return best


def cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for nxt in graph.find_modules_directly_imported_by(module) & modules:
            if nxt not in index:
                visit(nxt)
                low[module] = min(low[module], low[nxt])
            elif nxt in stack:
                low[module] = min(low[module], index[nxt])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def main() -> int:
    package = sys.argv[1] if len(sys.argv) > 1 else "odwolaj"
    graph = grimp.build_graph(package, cache_dir=None)
    modules = {m for m in graph.modules if m == package or m.startswith(package + ".")}
    # A package's __init__ holds only its docstring here; count the modules that hold code.
    leaves = [m for m in modules if not graph.find_children(m)]
    folders = Counter(m.rsplit(".", 1)[0] for m in leaves)
    print(f"{len(leaves)} modules in {len(folders)} folders (packages' __init__ not counted):")
    for folder, count in sorted(folders.items()):
        print(f"  {folder.replace('.', '/') + '/':<32}{count:>3}")
    groups = cycles(graph, modules)
    print(f"import cycles: {len(groups)}")
    for group in groups:
        print(f"  {len(group)} modules: {' <-> '.join(m.removeprefix(package + '.') for m in group)}")
    chain = longest_chain(graph, modules)
    print(f"longest import chain: {len(chain) - 1} imports")
    print("  " + " -> ".join(m.removeprefix(package + ".") for m in chain))
    return 0


if __name__ == "__main__":
    sys.exit(main())
