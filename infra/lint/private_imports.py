"""No private name crosses a module boundary: `make lint` fails on `from odwolaj.x import _name`, on
`import odwolaj.x._module`, and on `module._name` where `module` is an odwolaj module imported by
name. A name with a leading underscore belongs to its module; another module that needs it needs a
public name. (Ruff's PLC2701 does the same for other packages but not inside one's own.)

    python infra/lint/private_imports.py PATH...    (files or folders; prints each use, exits 1 if any)
"""
from __future__ import annotations

import ast
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "odwolaj"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _ours(module: str | None) -> bool:
    return module is not None and (module == PACKAGE or module.startswith(PACKAGE + "."))


def violations(source: str, filename: str = "<source>") -> Iterator[tuple[int, str]]:
    """(line, what) for each private name of an odwolaj module that this source uses."""
    tree = ast.parse(source, filename)
    modules: set[str] = set()  # local names bound to odwolaj modules
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _ours(alias.name):
                    if any(_private(part) for part in alias.name.split(".")):
                        yield node.lineno, f"import {alias.name}"
                    modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _ours(node.module):
            assert node.module is not None
            if any(_private(part) for part in node.module.split(".")):
                yield node.lineno, f"from {node.module} import ..."
            for alias in node.names:
                if _private(alias.name):
                    yield node.lineno, f"from {node.module} import {alias.name}"
                elif _is_module(f"{node.module}.{alias.name}"):
                    modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name)
                and node.value.id in modules):
            yield node.lineno, f"{node.value.id}.{node.attr}"


def python_files(paths: list[str]) -> Iterator[Path]:
    for path in map(Path, paths):
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def main(paths: list[str]) -> int:
    found = 0
    for path in python_files(paths):
        for line, what in sorted(violations(path.read_text(encoding="utf-8"), str(path))):
            print(f"{path}:{line}: private name used across modules: {what}")
            found += 1
    if found:
        print(f"{found} private name(s) used outside their module: give each a public name in its module.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["."]))
