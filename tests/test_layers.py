"""The layering of docs/layout.md, enforced: a package imports only the layers below it.

Read from the source with `ast`, so nothing is imported and every import counts: at module top,
under `if TYPE_CHECKING:`, or (refused) inside a function. Extensions build on the core and
never on each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "serbench"

#: Top to bottom: each layer may import the layers after it, never those before it.
LAYERS = ("cli", "extensions", "report", "runner", "cells", "transport", "fidelity", "codecs",
          "payloads", "stats", "results", "common")
#: Top-level modules: the package itself, `python -m serbench`, and the plugin surface.
MODULES = {"__init__": "common", "__main__": "cli", "plugin": "codecs"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str | None:
    """The layer of a `serbench...` module name, or None for `serbench` itself."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    return MODULES.get(parts[1], parts[1])


def imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported serbench module, line, inside a function) of every import in `path`."""
    tree = ast.parse(path.read_text())
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import | ast.ImportFrom):
                if isinstance(child, ast.Import):
                    names = [alias.name for alias in child.names]
                else:
                    names = [child.module] if child.module and not child.level else []
                found.extend((n, child.lineno, in_function) for n in names
                             if n == "serbench" or n.startswith("serbench."))
            visit(child, inner)

    visit(tree, False)
    return found


SOURCES = sorted(ROOT.rglob("*.py"))


def test_every_top_level_entry_has_a_layer() -> None:
    entries = {p.stem if p.suffix == ".py" else p.name for p in ROOT.iterdir()
               if (p.suffix == ".py" or (p / "__init__.py").exists())}
    assert entries <= set(LAYERS) | set(MODULES), entries - set(LAYERS) - set(MODULES)
    assert len(entries - {"__init__", "__main__"}) <= 14


def upward_imports(path: Path, here: str | None = None) -> list[str]:
    """Every import in `path` (module `here`) of a layer above its own, or of another
    extension."""
    here = here or module_name(path)
    mine = layer_of(here)
    wrong = []
    for name, line, _ in imports(path):
        theirs = layer_of(name)
        if mine is None or theirs is None:
            continue
        if theirs == mine == "extensions":
            if len(name.split(".")) > 2 and name.split(".")[2] != here.split(".")[2]:
                wrong.append(f"{path}:{line}: {here} imports another extension, {name}")
        elif theirs != mine and LAYERS.index(theirs) < LAYERS.index(mine):
            wrong.append(f"{path}:{line}: {here} ({mine}) imports {name} ({theirs}), above it")
    return wrong


def test_imports_go_down_the_layers_only() -> None:
    assert [line for path in SOURCES for line in upward_imports(path)] == []


def test_serbench_imports_are_at_module_top() -> None:
    """Only a third-party library may be imported inside a function (lazily, so a worker or
    `serbench --help` does not pay for what it never uses): the graph reads from the tops."""
    local = [f"{path}:{line}: {name}" for path in SOURCES
             for name, line, inside in imports(path) if inside]
    assert local == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The rules above can fail: an upward import and a local import are both found."""
    bad = tmp_path / "bad.py"
    bad.write_text("from serbench.cli.main import main\n\n"
                   "def f():\n    from serbench.report import build\n")
    assert imports(bad) == [("serbench.cli.main", 1, False), ("serbench.report", 4, True)]
    assert [w.split(": ", 1)[1] for w in upward_imports(bad, "serbench.common.bad")] == [
        "serbench.common.bad (common) imports serbench.cli.main (cli), above it",
        "serbench.common.bad (common) imports serbench.report (report), above it"]
    beside = tmp_path / "beside.py"
    beside.write_text("from serbench.extensions.fleet.merge import read_fleet\n")
    assert len(upward_imports(beside, "serbench.extensions.load.bad")) == 1
    assert upward_imports(beside, "serbench.extensions.fleet.bad") == []


def test_the_tour_lists_every_module() -> None:
    """docs/layout.md names every module of the package, so the map cannot go stale silently."""
    tour = (ROOT.parent / "docs" / "layout.md").read_text()
    missing = [str(p.relative_to(ROOT.parent)) for p in SOURCES
               if f"`{p.relative_to(ROOT.parent)}`" not in tour]
    assert missing == []
