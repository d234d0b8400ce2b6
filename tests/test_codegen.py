"""Code generation as a user meets it: a type error between two steps is a `mypy --strict` error
inside the generated module, at the node that reads the value; a failed compile writes no file;
outputs are replaced atomically, leaving no temporary file."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from clitools import console_script

from flowc import compile_source, runtime_source

STEPS = '''\
"""Typed steps for the hand-off tests."""


async def make_text(x: int) -> str:
    return str(x)


async def take_number(n: int) -> int:
    return n + 1


async def text_length(s: str) -> int:
    return len(s)


async def log(x: int) -> None:
    print(x)
'''

HANDOFF = """\
from handoff_steps import make_text, take_number, text_length, log

flow mismatch(x: int) -> int {
    node a = make_text(x=x)
    node b = take_number(n=a)
    START >> a >> b >> END
    return b
}

flow optional(x: int) -> int {
    node c = take_number(n=x) when x > 0
    node d = take_number(n=c)
    START >> c >> d >> END
    return d
}

flow wrong_return(x: int) -> int {
    node e = make_text(x=x)
    START >> e >> END
    return e
}

flow mapped(words: list[str]) -> list[int] {
    node f = map take_number(n=each words) limit 2
    START >> f >> END
    return f
}

flow well_typed(x: int) -> int {
    node g = make_text(x=x)
    node h = text_length(s=g)
    START >> g >> h >> END
    return h
}

flow side_effect(x: int) -> int {
    node q = log(x=x)
    node r = take_number(n=x)
    START >> [q, r] >> END
    return r
}

flow reads_none(x: int) -> int {
    node s = log(x=x)
    node t = take_number(n=s)
    START >> s >> t >> END
    return t
}
"""

MARK = re.compile(r"\s*# handoff\.flow:(\d+)$")
MYPY_LINE = re.compile(r"^handoff\.py:(\d+): error: (.*)  \[([a-z-]+)\]$")


def where(module: str, line: int) -> tuple[str, str]:
    """The flow whose `async def` holds generated line `line`, and the node whose
    `# handoff.flow:N` comment is the last one before it."""
    tree = ast.parse(module)
    flow = next(
        f.name
        for f in tree.body
        if isinstance(f, ast.AsyncFunctionDef) and f.lineno <= line <= (f.end_lineno or f.lineno)
    )
    lines = module.splitlines()
    for text in reversed(lines[: line - 1]):
        if match := MARK.match(text):
            source_line = HANDOFF.splitlines()[int(match[1]) - 1]
            node = re.match(r"\s*node (\w+) =", source_line)
            assert node is not None, source_line
            return flow, node[1]
    raise AssertionError(f"no source comment before line {line}")


@pytest.mark.parametrize("runtime", ["inline", "shared"])
def test_mypy_reports_a_mismatched_hand_off_in_the_generated_module(runtime: Any, tmp_path: Path) -> None:
    (tmp_path / "handoff_steps.py").write_text(STEPS, encoding="utf-8")
    module = compile_source(HANDOFF, "handoff.flow", runtime=runtime)
    (tmp_path / "handoff.py").write_text(module, encoding="utf-8")
    if runtime == "shared":
        (tmp_path / "_flowc_runtime.py").write_text(runtime_source(), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--show-error-codes", "handoff.py"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"MYPYPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [m for line in result.stdout.splitlines() if (m := MYPY_LINE.match(line))]
    assert errors, result.stdout
    assert len(errors) == result.stdout.count(": error:"), "every error is in the generated module"
    # Each mistake once: every node's call is written once, whether or not a run observes.
    found = sorted((*where(module, int(m[1])), m[3]) for m in errors)
    assert found == [
        ("mapped", "f", "arg-type"),  # each element is a str
        ("mismatch", "b", "arg-type"),  # `a` is a str, `take_number` wants an int
        ("optional", "d", "arg-type"),  # `c` may be skipped: int | None
        ("reads_none", "s", "func-returns-value"),
        ("reads_none", "t", "arg-type"),
        # The flow returns int, `e` is a str: the result is typed where the run ends.
        ("wrong_return", "e", "assignment"),
    ]
    messages = {m[2] for m in errors if where(module, int(m[1])) == ("mismatch", "b")}
    assert messages == {'Argument "n" to "take_number" has incompatible type "str"; expected "int"'}


BROKEN = {
    "syntax.flow": "flow f(x: int) -> int {\n    node a = \n}\n",
    "cycle.flow": textwrap.dedent("""\
        from m import g
        flow f(x: int) -> int {
            node a = g(x=x)
            node b = g(x=a)
            START >> a >> b >> a >> END
            return b
        }
        """),
    "unbound.flow": textwrap.dedent("""\
        from m import g
        flow f(x: int) -> int {
            node a = g(x=x)
            node b = g(x=a)
            START >> [a, b] >> END
            return b
        }
        """),
    "recursion.flow": textwrap.dedent("""\
        flow f(x: int) -> int {
            node a = f(x=x)
            START >> a >> END
            return a
        }
        """),
}

GOOD = textwrap.dedent("""\
    from m import g
    flow ok(x: int) -> int {
        node a = g(x=x)
        START >> a >> END
        return a
    }
    """)


def compile_cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_script(), "compile", *arguments], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_a_failed_compile_writes_nothing(tmp_path: Path) -> None:
    sources = tmp_path / "flows"
    sources.mkdir()
    for name, text in {**BROKEN, "ok.flow": GOOD}.items():
        (sources / name).write_text(text, encoding="utf-8")
    result = compile_cli("flows", "-o", "out", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    for name in BROKEN:
        assert f"flows/{name}:" in result.stderr, name  # each error was found and reported
    # Only the good file's module was written, and nothing beside the sources.
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ok.py"]
    assert sorted(p.name for p in sources.iterdir()) == sorted([*BROKEN, "ok.flow"])


def test_outputs_are_replaced_atomically(tmp_path: Path) -> None:
    (tmp_path / "ok.flow").write_text(GOOD, encoding="utf-8")
    output = tmp_path / "ok.py"
    before = b"# @generated by flowc 0.0.0 from ok.flow. DO NOT EDIT.\n# an older module\n"
    output.write_bytes(before)
    # A reader holding the old file (here: a second link to it) must keep seeing it whole:
    # the new module is written aside and renamed over the old one, never written in place.
    os.link(output, tmp_path / "reader.py")
    assert compile_cli("ok.flow", cwd=tmp_path).returncode == 0
    assert (tmp_path / "reader.py").read_bytes() == before
    assert output.read_text(encoding="utf-8") == compile_source(GOOD, "ok.flow")
    assert not os.path.samefile(output, tmp_path / "reader.py")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.flow", "ok.py", "reader.py"]


ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted([*ROOT.glob("samples/*.py"), *ROOT.glob("tests/golden/*.py")])


ROUTES = {
    # Plain `sync` calls only: `_watch_sync`, no `_call` or `_ready`.
    "only_sync": """
from steps import f, g

flow only_sync(x: int) -> int {
    node a = f(x=x) sync
    node b = g(x=a) sync
    START >> a >> b >> END
    return b
}
""",
    # A plain `sync` node in a task goes through `_call` (with `_ready`); one inline is watched.
    "sync_task": """
from steps import f, g, h

flow sync_task(x: int) -> int {
    node a = f(x=x) sync
    node b = g(x=x) sync
    node c = h(x=a, y=b)
    START >> [a, b] >> c >> END
    return c
}
""",
    # A map of plain `sync` elements: `_watch_sync` and `_ready`, the map's `_map_all`.
    "sync_map": """
from steps import f

flow sync_map(xs: list[int]) -> list[int] {
    node e = map f(x=each xs) sync
    START >> e >> END
    return e
}
""",
}
"""Small modules whose calls take each route: watched, guarded or a map's elements."""

ROUTED = {"_call", "_ready", "_watch", "_watch_sync", "_map", "_map_all", "_map_collect", "_after"}
ROUTES_HELPERS = {
    "only_sync.flow": ["_watch_sync"],
    "sync_task.flow": ["_call", "_ready", "_watch", "_watch_sync"],
    "sync_map.flow": ["_map", "_map_all", "_ready", "_watch_sync"],
}


def test_a_module_holds_exactly_the_helpers_it_uses() -> None:
    """Every helper, type variable and standard-library name a generated module copies or
    imports is read in it (pyright strict and ruff would report the others as unused)."""
    from flowc.codegen.sections import module_names

    own = {name for name in module_names() if name.startswith("_")}
    texts = {path.name: path.read_text(encoding="utf-8") for path in MODULES}
    texts |= {f"{name}.flow": compile_source(source, f"{name}.flow") for name, source in ROUTES.items()}
    for name, text in texts.items():
        tree = ast.parse(text)
        bound: set[str] = set()
        for statement in tree.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(statement.name)
            elif isinstance(statement, ast.Assign):
                bound |= {t.id for t in statement.targets if isinstance(t, ast.Name)}
            elif isinstance(statement, (ast.Import, ast.ImportFrom)):
                bound |= {alias.asname or alias.name for alias in statement.names}
        read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
        unused = sorted((bound & own) - read)
        assert unused == [], f"{name}: {unused}"
        if name in ROUTES_HELPERS:
            assert sorted(bound & ROUTED) == ROUTES_HELPERS[name], name


def test_imports_are_written_as_isort_writes_them_and_only_if_used() -> None:
    text = textwrap.dedent("""\
        from steps import zeta, Alpha, beta, UNUSED
        import pkg.llm as llm
        from typing import Any
        flow f(x: Any) -> Alpha {
            node a = zeta(x=x)
            node b = llm.ask(x=a) retry 1 on beta
            START >> a >> b >> END
            return b
        }
        """)
    module = compile_source(text, "f.flow")
    head = module[: module.index("\nif sys.hexversion")]
    assert "UNUSED" not in module
    assert "\nfrom typing import Any\nfrom typing import NamedTuple as _NamedTuple" not in head  # no result class
    assert "\nfrom typing import Any\n" in head and head.index("from typing import Any") < head.index("\nfrom pkg")
    assert head.endswith("\n\nfrom pkg import llm\nfrom steps import Alpha, beta, zeta\n")


def test_a_node_named_l_gets_a_local_ruff_accepts(tmp_path: Path) -> None:
    text = "from m import f\nflow g(x: int) -> int {\n    node l = f(x=x)\n    node O = f(x=l)\n    START >> l >> O >> END\n    return O\n}\n"
    module = compile_source(text, "g.flow")
    watched = "f if observer is None and journal is None else _watch(run, _g__{}, f)"
    assert f"l_ = await (\n            {watched.format('l')}\n        )(x=x)" in module
    assert f"O_ = await (\n            {watched.format('O')}\n        )(x=l_)" in module
    (tmp_path / "g.py").write_text(module, encoding="utf-8")
    ruff = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--select", "E741", "g.py"]
    result = subprocess.run(ruff, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout
