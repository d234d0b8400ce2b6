"""The package's shape: stages that depend one way, no import cycles, lark through its public
API and only in `flowc.syntax`, and `docs/architecture.md` listing every module."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "flowc"

LAYERS = {
    "flowc.source": 0,
    "flowc.codes": 0,
    "flowc.resources": 0,
    "flowc.diagnostics": 1,
    "flowc.syntax": 2,
    "flowc.semantics": 3,
    "flowc.codegen": 4,
    "flowc.compiler": 5,
    "flowc.project": 6,
    "flowc.lsp": 7,
    "flowc.cli": 8,
    "flowc": 9,  # the public API and `__main__`
}
"""A module may import from its own layer's package and from lower layers, never higher:
`cli → lsp → project → compiler → {codegen → semantics → syntax}`, all over the shared leaves."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every module `name` imports (at any depth of its code), absolute, with its line."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from .. import __version__` reads an attribute of the root package, which every
            # submodule's import has run already: not a dependency on the public API.
            # `from . import tree` depends on the module, not on the package's `__init__`.
            attributes = [a.name for a in node.names if not is_module(f"{base}.{a.name}")]
            if attributes and attributes != ["__version__"]:
                yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def internal_imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    return {target for target, _ in imports(name, path) if target in known and target != name}


def layer(name: str) -> tuple[str, int]:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            return prefix, LAYERS[prefix]
    raise AssertionError(f"{name} belongs to no layer")  # pragma: no cover


def test_every_module_has_a_layer() -> None:
    for name in modules():
        layer(name)


def test_stages_depend_one_way() -> None:
    known = modules()
    wrong = []
    for name, path in known.items():
        home, rank = layer(name)
        for target in internal_imports(name, path, known):
            target_home, target_rank = layer(target)
            if target_rank > rank or (target_rank == rank and target_home != home):
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_no_import_cycles() -> None:
    known = modules()
    graph = {name: internal_imports(name, path, known) for name, path in known.items()}
    # A package's `__init__` re-exporting its modules is not a cycle with them.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycles.append(trail[trail.index(target) :] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_only_syntax_imports_lark_and_only_its_public_api() -> None:
    wrong = []
    for name, path in modules().items():
        for target, line in imports(name, path):
            if target != "lark" and not target.startswith("lark."):
                continue
            if not name.startswith("flowc.syntax"):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {target} outside flowc.syntax")
            elif target.count(".") > 1 or (
                target != "lark" and target.split(".")[1][:1] in "_abcdefghijklmnopqrstuvwxyz"
            ):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {target} is not lark's public API")
    assert wrong == []


def test_only_lsp_imports_pygls() -> None:
    """The language server's dependencies stay in `flowc.lsp`: the compiler never needs them."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {target}"
        for name, path in modules().items()
        for target, line in imports(name, path)
        if target.split(".")[0] in ("pygls", "lsprotocol") and not name.startswith("flowc.lsp")
    ]
    assert wrong == []


def test_no_private_names_of_dependencies() -> None:
    """`Token._future_new`, `__future_interface__` and the like: private to lark, free to change."""
    pattern = re.compile(r"\b(?:Token|lark|black|jinja2)\._\w+|__future_interface__")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in modules().values()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


@pytest.fixture(scope="module")
def tree_doc() -> str:
    return (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_docs_list_every_module_once(tree_doc: str) -> None:
    files = [str(path.relative_to(PACKAGE)) for path in sorted(PACKAGE.rglob("*.py")) if path.name != "__init__.py"]
    assert sorted(documented_paths(tree_doc)) == sorted(files)


def documented_paths(doc: str) -> list[str]:
    """`pkg/module.py` for every module line of the doc's first fenced block, the tree: a line
    is `  name.py  what it is` at the root or `    name.py  …` under a `  pkg/` line."""
    tree = doc.split("```", 2)[1]
    paths: list[str] = []
    folder = ""
    for line in tree.splitlines():
        entry = line.split()[0] if line.strip() else ""
        depth = len(line) - len(line.lstrip())
        if entry.endswith("/") and depth == 2:
            folder = entry
        elif entry.endswith(".py") and entry != "__init__.py":
            paths.append((folder if depth > 2 else "") + entry)
    return paths
