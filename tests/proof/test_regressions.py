"""Bugs the proof found, each as the smallest flow that shows it.

The shrunk random examples live in `regressions/*.json` (replayed by
`test_differential.test_regression`); these are the ones that needed a name, a type check or
a warning to show. A test marked `xfail(strict=True)` is a bug still open in a file the proof
does not own: when it is fixed, the test passes, the mark fails the run, and the mark goes.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from flowc import CompileError, compile_source

STEPS = """
import asyncio


async def inc(x: int) -> int:
    await asyncio.sleep(0.001)
    return x + 1


async def notify(x: int) -> None:
    await asyncio.sleep(0)


def boom(x: int) -> int:
    raise ValueError(f"boom {x}")


async def tick(x: int) -> int:
    await asyncio.sleep(0)
    return x


async def tick_fail(x: int) -> int:
    await asyncio.sleep(0)
    raise ValueError(f"tick {x}")
"""

MYPY_CASES = {
    # A bare value as a condition: `_when(run, node, x, ...)` takes a `bool`.
    "when_truthy_value": """
from reg_steps import inc
flow main(x: int) -> int | None {
    node a = inc(x=x) when x
    START >> a >> END
    return a
}
""",
    # `first(a, c)` read by a task (`d`, off the inline path b >> c >> e >> g) reads
    # `a_task.result()` twice; mypy cannot narrow a call, so the value keeps `None`.
    "first_of_a_task_value": """
from reg_steps import inc
flow main(x: int) -> int {
    node a = inc(x=x) when x > 1
    node b = inc(x=x)
    node c = inc(x=b)
    node d = inc(x=first(a, c))
    node e = inc(x=c)
    node g = inc(x=e)
    START >> [a, b]
    b >> c >> e >> g
    [a, c] >> d
    [d, g] >> END
    return g
}
""",
    # A node whose callee returns None: `n = await notify(...)` is a mypy error.
    "none_result": """
from reg_steps import notify, inc
flow tell(x: int) -> None {
    node sent = notify(x=x)
    START >> sent >> END
}
flow main(x: int) -> int {
    node told = tell(x=x)
    node a = inc(x=x)
    START >> [told, a] >> END
    return a
}
""",
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("regressions")
    (path / "reg_steps.py").write_text(STEPS, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def mypy_errors(folder: Path) -> dict[str, list[str]]:
    """One `mypy --strict` run over every case of `MYPY_CASES`: error lines per case."""
    for name, text in MYPY_CASES.items():
        (folder / f"{name}.py").write_text(compile_source(text, f"{name}.flow"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *[f"{n}.py" for n in MYPY_CASES]],
        capture_output=True,
        text=True,
        cwd=folder,
        env={"MYPYPATH": str(folder), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )
    return {
        name: [line for line in result.stdout.splitlines() if line.startswith(f"{name}.py:")] for name in MYPY_CASES
    }


def load(folder: Path, name: str, text: str) -> ModuleType:
    (folder / f"{name}.py").write_text(compile_source(text, f"{name}.flow"), encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        sys.modules.pop(name, None)
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))


def test_when_with_a_bare_value_type_checks(mypy_errors: dict[str, list[str]]) -> None:
    assert mypy_errors["when_truthy_value"] == []


def test_first_of_a_task_value_type_checks(mypy_errors: dict[str, list[str]]) -> None:
    assert mypy_errors["first_of_a_task_value"] == []


def test_a_callee_returning_none_type_checks(mypy_errors: dict[str, list[str]]) -> None:
    assert mypy_errors["none_result"] == []


def test_the_type_check_cases_compile_and_run(folder: Path, mypy_errors: dict[str, list[str]]) -> None:
    """The three flows are valid and run: only their typing is wrong."""
    values = []
    for name in MYPY_CASES:
        module = load(folder, f"{name}_run", MYPY_CASES[name])
        values.append(asyncio.run(module.main(x=3)))
    assert values == [4, 7, 4]


def test_a_node_named_asyncio(folder: Path) -> None:
    module = load(
        folder,
        "node_named_asyncio",
        """
from reg_steps import inc
flow main(x: int) -> int timeout 1s {
    node asyncio = inc(x=x)
    START >> asyncio >> END
    return asyncio
}
""",
    )
    assert asyncio.run(module.main(x=1)) == 2


@pytest.mark.parametrize("name", ["run", "item", "index", "at", "error", "exc"])
def test_a_subflow_named_like_a_local(folder: Path, name: str) -> None:
    module = load(
        folder,
        f"flow_named_{name}",
        f"""
from reg_steps import inc
flow {name}(x: int) -> int {{
    node a = inc(x=x)
    START >> a >> END
    return a
}}
flow main(xs: list[int]) -> list[int] {{
    node b = map {name}(x=each xs)
    node c = {name}(x=1)
    START >> [b, c] >> END
    return b
}}
""",
    )
    assert asyncio.run(module.main(xs=[1, 2])) == [2, 3]


@pytest.mark.parametrize("name", ["_call", "asyncio", "_Run", "NodeInfo"])
def test_a_flow_named_like_a_module_helper_is_rejected(name: str) -> None:
    """The generated module binds these names for itself; a flow of that name would replace
    them, so the front end refuses it, pointing at the name."""
    text = f"""
from reg_steps import inc
flow {name}(x: int) -> int timeout 1s {{
    node a = inc(x=x) retry 1
    START >> a >> END
    return a
}}
"""
    with pytest.raises(CompileError) as caught:
        compile_source(text, "helper.flow")
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("reserved-name", 3, 6)


def test_a_node_named_like_a_module_helper_is_renamed(folder: Path) -> None:
    module = load(
        folder,
        "node_named_helpers",
        """
from reg_steps import inc
flow main(x: int) -> int timeout 1s {
    node _call = inc(x=x) retry 1
    node _Run = inc(x=_call) timeout 1s
    node NodeInfo = inc(x=_Run)
    START >> _call >> _Run >> NodeInfo >> END
    return NodeInfo
}
""",
    )
    assert asyncio.run(module.main(x=1)) == 4


def test_no_coroutine_left_unawaited_by_fail_fast(folder: Path) -> None:
    module = load(
        folder,
        "unawaited",
        """
from reg_steps import inc, boom
flow main(x: int) -> int {
    node a = boom(x=x) sync
    node b = inc(x=x) fallback 0
    START >> [a, b] >> END
    return b
}
""",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError):
            asyncio.run(module.main(x=1))
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []


@pytest.fixture(autouse=True)
def no_leftover_modules() -> Iterator[None]:
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith(
            ("flow_named_", "node_named_", "unawaited", "reg_steps", "note_names", "result_forward")
        ) or name.endswith("_run"):
            sys.modules.pop(name, None)


def test_the_note_names_the_node_that_failed_not_the_one_that_read_it(folder: Path) -> None:
    """`c` reads `a`, which fails after a suspension; `c` (an eager task from 3.12) awaits the
    failed task before any bookkeeping ran: the note must still name `a`."""
    module = load(
        folder,
        "note_names_the_failure",
        """
from reg_steps import inc, tick, tick_fail
flow main(x: int) -> int {
    node a = tick_fail(x=x)
    node b = tick(x=x)
    node c = inc(x=a)
    node d = inc(x=b)
    node e = inc(x=d)
    START >> [a, b]
    [a, b] >> c >> END
    b >> d >> e >> END
    return c
}
""",
    )
    with pytest.raises(ValueError) as caught:
        asyncio.run(module.main(x=1))
    assert caught.value.__notes__ == ["flowc: in flow `main`, node `a` (note_names_the_failure.flow:4)"]


def test_a_dotted_import_without_alias_binds_its_first_name(tmp_path: Path) -> None:
    """`import pkg.a` is copied as written (it binds `pkg`), never as `import pkg.a as pkg`;
    `import pkg.a as a` is written `from pkg import a` (as ruff's default rules want it)."""
    (tmp_path / "dotpkg").mkdir()
    (tmp_path / "dotpkg" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "dotpkg" / "up.py").write_text("async def inc(x: int) -> int:\n    return x + 1\n", "utf-8")
    (tmp_path / "dotpkg" / "down.py").write_text("async def dec(x: int) -> int:\n    return x - 10\n", "utf-8")
    text = """
import dotpkg.up
import dotpkg.down
import dotpkg.up as up
flow main(x: int) -> int {
    node a = dotpkg.up.inc(x=x)
    node b = dotpkg.down.dec(x=a)
    node c = up.inc(x=b)
    START >> a >> b >> c >> END
    return c
}
"""
    module = load(tmp_path, "dotted_imports", text)
    try:
        assert asyncio.run(module.main(x=1)) == -7
    finally:
        for name in ("dotted_imports", "dotpkg", "dotpkg.up", "dotpkg.down"):
            sys.modules.pop(name, None)
    source = compile_source(text, "dotted_imports.flow")
    assert "\nimport dotpkg.down\nimport dotpkg.up\nfrom dotpkg import up\n" in source


def test_result_classes_may_name_each_other_and_themselves(folder: Path) -> None:
    """A result class's field typed by a later result class, or by its own, imports fine."""
    module = load(
        folder,
        "result_forward",
        """
from reg_steps import inc
flow a(p: BResult) -> (b: BResult, n: int, prev: AResult | None) {
    return b=p, n=1, prev=None
}
flow b(x: int) -> (v: int, w: int) {
    node i = inc(x=x)
    START >> i >> END
    return v=i, w=x
}
""",
    )
    pair = asyncio.run(module.b(x=1))
    assert asyncio.run(module.a(p=pair)) == (pair, 1, None)


def test_a_file_name_with_a_newline_or_quote_cannot_break_the_header() -> None:
    text = "from reg_steps import inc\nflow main(x: int) -> int {\n    node a = inc(x=x)\n    START >> a >> END\n    return a\n}\n"
    source = compile_source(text, 'odd/a\nb"c.flow')
    assert source.startswith("# @generated by flowc ") and "from odd/a?b?c.flow. DO NOT EDIT.\n" in source
    compile(source, "odd.py", "exec")
