"""The sections of `runtime.py` that generated modules copy: their code, the stdlib imports
they need and the other sections they use."""

from __future__ import annotations

import ast
import builtins
import functools
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    code: str
    needs: tuple[str, ...]
    imports: tuple[str, ...]
    defines: tuple[str, ...]


def parse_sections(text: str) -> dict[str, Section]:
    """Split runtime text at `# flowc:begin NAME` / `# flowc:end NAME` markers; what each
    section needs (other sections, the file's imports) is read from the names its code uses."""
    lines = text.splitlines()
    head = lines[: next((i for i, line in enumerate(lines) if line.startswith("# flowc:begin ")), len(lines))]
    imports = file_imports("\n".join(head))
    bodies: dict[str, str] = {}
    i = 0
    while i < len(lines):
        if not lines[i].startswith("# flowc:begin "):
            i += 1
            continue
        name = lines[i].split()[-1]
        end = lines.index(f"# flowc:end {name}", i)
        bodies[name] = "\n".join(lines[i + 1 : end]).strip("\n")
        i = end + 1
    defined = {name: tuple(definitions(code)) for name, code in bodies.items()}
    owner = {d: name for name, names in defined.items() for d in names}
    sections: dict[str, Section] = {}
    for name, code in bodies.items():
        used = names_used(code)
        needs = sorted({owner[u] for u in used if u in owner} - {name})
        wanted = sorted({imports[u] for u in used if u in imports})
        sections[name] = Section(name, code, tuple(needs), tuple(wanted), defined[name])
    return sections


def file_imports(code: str) -> dict[str, str]:
    """Each name the import statements of `code` bind → its import statement, one name each."""
    bound: dict[str, str] = {}
    for statement in ast.parse(code).body:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                line = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                bound[alias.asname or alias.name] = line
        elif isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                line = f"from {statement.module} import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                bound[alias.asname or alias.name] = line
    return bound


def definitions(code: str) -> list[str]:
    names: list[str] = []
    for statement in ast.parse(code).body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(statement.name)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


def names_used(code: str) -> set[str]:
    return {node.id for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Name)}


@functools.cache
def load_sections() -> dict[str, Section]:
    text = resources.files("flowc.codegen").joinpath("runtime.py").read_text(encoding="utf-8")
    return parse_sections(text)


def select(sections: dict[str, Section], wanted: set[str]) -> list[Section]:
    """The wanted sections and everything they need, in the order of `runtime.py`."""
    chosen: set[str] = set()
    stack = sorted(wanted)
    while stack:
        name = stack.pop()
        if name not in chosen:
            chosen.add(name)
            stack.extend(sections[name].needs)
    return [section for name, section in sections.items() if name in chosen]


@functools.cache
def module_names() -> dict[str, tuple[str, str | None] | None]:
    """Every name a generated module binds for itself, whichever sections it copies: the
    stdlib names it imports (name -> (module, imported name or None)) and its helpers (-> None).
    A `.flow` file cannot give a flow, import or parameter one of these names, except by
    importing the very same thing."""
    names: dict[str, tuple[str, str | None] | None] = {
        "asyncio": ("asyncio", None),
        "_NamedTuple": ("typing", "NamedTuple"),
    }
    for section in load_sections().values():
        for line in section.imports:
            names.update(imported(line))
        names.update(dict.fromkeys(section.defines))
        # Builtins the helpers call (`isinstance`, `min`, …): a module-level name would hide them.
        names.update(dict.fromkeys(builtins_used(section.code)))
    for name in FLOW_BODY_NAMES:
        names.setdefault(name, None)
    return names


FLOW_BODY_NAMES = ("asyncio", "NodeInfo", "FlowObserver", "FlowJournal", "bool", "BaseException")
"""Module-level names a generated flow function's own body uses, besides the `_` helpers:
a parameter of that name would hide them."""


def builtins_used(code: str) -> set[str]:
    return {
        node.id
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and hasattr(builtins, node.id)
    }


def imported(line: str) -> dict[str, tuple[str, str | None]]:
    """What an `import a [as b]` or `from a import b [as c]` line binds."""
    statement = ast.parse(line).body[0]
    if isinstance(statement, ast.Import):
        return {a.asname or a.name: (a.name, None) for a in statement.names}
    assert isinstance(statement, ast.ImportFrom) and statement.module is not None
    return {a.asname or a.name: (statement.module, a.name) for a in statement.names}
