"""`--types`: real mypy and pyright runs over the generated modules of `tests/cases/types`,
each error expected at its `.flow` line and column, inline as `# T:COLUMN: code`; each
case's rendered errors pinned per checker in `NAME.mypy.err` and `NAME.pyright.err`
(`pytest --update-golden`). The steps the cases call are `typed_steps.py` beside them.

Also the command line around it: exit statuses, `compile --types`, the configuration, a
checker that is not installed; and the run-time check of a `sync` or `thread` callee that
returns an awaitable."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import re
import shutil
import sys
import types
import warnings
from pathlib import Path

import pytest
from clitools import STEPS, TWO, flowc, isolate, write
from test_error_cases import Expected, compare_golden, marked

from flowc import codes
from flowc.cli import typecheck
from flowc.cli.report import Reporter
from flowc.compiler import build
from flowc.diagnostics import Diagnostic
from flowc.source import Source

CASES = Path(__file__).parent / "cases" / "types"
INLINE = re.compile(r"#\s*T:(\d+):\s*([a-z][a-z-]*)")
CHECKERS = ("mypy", "pyright")


def case_files() -> list[Path]:
    return sorted(CASES.glob("*.flow"))


def expectations(text: str) -> list[Expected]:
    return marked(text, INLINE)


def unit(path: Path) -> typecheck.Unit:
    text = path.read_text("utf-8")
    built = build(text, path.name)
    return typecheck.Unit(source=Source(path.name, text), module=built.module, code=built.code, folder=CASES)


@pytest.fixture(scope="module", params=CHECKERS)
def checked(request: pytest.FixtureRequest) -> tuple[str, dict[str, list[Diagnostic]]]:
    """One run of the checker over every case: its errors by case."""
    checker: str = request.param
    units = [unit(path) for path in case_files()]
    results = typecheck.check_types(units, checker, CASES)
    return checker, {path.name: found for path, found in zip(case_files(), results, strict=True)}


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_type_case(path: Path, checked: tuple[str, dict[str, list[Diagnostic]]]) -> None:
    checker, results = checked
    actual = results[path.name]
    found = sorted(Expected(d.span.line, d.span.column, d.code) for d in actual)
    assert found == expectations(path.read_text("utf-8")), f"{checker}:\n" + "\n".join(d.concise() for d in actual)
    for diagnostic in actual:
        assert diagnostic.path == path.name
        assert not diagnostic.message[:1].isupper()
        assert ".py" not in diagnostic.message, "the generated module is never named"


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_type_case_rendering(path: Path, checked: tuple[str, dict[str, list[Diagnostic]]], update_golden: bool) -> None:
    checker, results = checked
    stream = io.StringIO()
    reporter = Reporter(stream)
    source = Source(path.name, path.read_text("utf-8"))
    for diagnostic in results[path.name]:
        reporter.diagnostic(diagnostic, source)
    compare_golden(path.with_suffix(f".{checker}.err"), stream.getvalue().rstrip("\n") + "\n", update_golden)


def test_every_kind_of_hand_off_has_a_case() -> None:
    """Argument (keyword and positional), callee, return, named output, default, `when`,
    fallback call, fallback value, map element, `first(...)` join, awaitable callee; and a
    clean file."""
    written = {path.stem for path in case_files()}
    assert written == {
        "argument",
        "awaitable",
        "clean",
        "condition",
        "fallback",
        "first_join",
        "imports",
        "map_element",
        "returns",
    }
    covered = {e.code for path in case_files() for e in expectations(path.read_text("utf-8"))}
    assert covered == {code.code for code in codes.REGISTRY.values() if code.type_checker}
    assert expectations((CASES / "clean.flow").read_text("utf-8")) == []


def test_one_error_for_one_mistake(checked: tuple[str, dict[str, list[Diagnostic]]]) -> None:
    """No span gets two errors: mypy and pyright may both say more about one mistake (a
    strict checker's "argument type is unknown", the coroutine left unused by a `sync`
    node whose callee is `async def`)."""
    _, results = checked
    for found in results.values():
        spans = [d.span for d in found]
        assert len(spans) == len(set(spans))


# ---------------------------------------------------------------- the command line

MISTYPED = TWO.replace("double(x=prepare)", 'double(x="prepare")')


def project(root: Path, flow: str = TWO) -> None:
    write(root / "flows" / "two.flow", flow)
    write(root / "steps.py", STEPS)


def test_check_types_exit_statuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = isolate(monkeypatch, tmp_path)
    project(root)
    clean = flowc(capsys, "check", "--types", "flows")
    assert clean.code == 0, clean.err
    project(root, MISTYPED)
    assert flowc(capsys, "check", "flows").code == 0, "without --types nothing is type-checked"
    for checker in CHECKERS:
        mistyped = flowc(capsys, "check", "--type-checker", checker, "flows")
        assert mistyped.code == 1
        assert mistyped.err.startswith(
            'flows/two.flow:5:29: error: node `doubled`: argument `x` of `double` expects `int`, `"prepare"` gives `'
        ), mistyped.err  # `str` says mypy, `Literal['prepare']` pyright


def test_compile_types_writes_only_what_type_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = isolate(monkeypatch, tmp_path)
    project(root, MISTYPED)
    write(root / "flows" / "other.flow", TWO.replace("flow two(", "flow other("))
    outcome = flowc(capsys, "compile", "--types", "flows")
    assert outcome.code == 1
    assert "[type]" in outcome.err
    assert not (root / "flows" / "two.py").exists()
    assert (root / "flows" / "other.py").is_file()


def test_compile_types_with_a_shared_runtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The modules are checked with their helpers inline: the runtime file need not exist."""
    root = isolate(monkeypatch, tmp_path)
    project(root, MISTYPED)
    mistyped = flowc(capsys, "compile", "--types", "--runtime", "shared", "flows")
    assert mistyped.code == 1 and "flows/two.flow:5:29: error: node `doubled`" in mistyped.err, mistyped.err
    assert not (root / "flows" / "two.py").exists()
    project(root)
    clean = flowc(capsys, "compile", "--types", "--runtime", "shared", "flows")
    assert clean.code == 0, clean.err
    assert (root / "flows" / "two.py").is_file() and (root / "flows" / "_flowc_runtime.py").is_file()


LIB = """\
from steps import prepare

flow counted(x: int) -> int {
    node c = prepare(x=x)
    START >> c >> END
    return c
}
"""

APP = """\
from lib import counted
from steps import prepare

flow app(x: int) -> int {
    node a = counted(x="one")
    node b = prepare(x=a)
    START >> a >> b >> END
    return b
}
"""


def test_a_flow_imported_from_another_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Checked together, a sub-flow of another file is typed like any callee; checked
    alone, before the other is compiled, its module cannot be found, and the help says so."""
    root = isolate(monkeypatch, tmp_path)
    write(root / "steps.py", STEPS)
    write(root / "lib.flow", LIB)
    write(root / "app.flow", APP)
    together = flowc(capsys, "check", "--types", "app.flow", "lib.flow")
    assert together.code == 1
    assert "app.flow:5:24: error: node `a`: argument `x` of `counted` expects `int`" in together.err, together.err
    alone = flowc(capsys, "check", "--types", "app.flow")
    assert alone.code == 1
    assert "app.flow:1:6: error: cannot find implementation or library stub for module named `lib`" in alone.err
    assert "help: it is the module of `lib.flow`: check the two files together" in alone.err, alone.err


def test_types_from_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = isolate(monkeypatch, tmp_path)
    project(root, MISTYPED)
    write(root / "pyproject.toml", '[tool.flowc]\nsources = ["flows"]\ntypes = true\ntype-checker = "pyright"\n')
    outcome = flowc(capsys, "check")
    assert outcome.code == 1 and "note: pyright: " in outcome.err, outcome.err
    assert flowc(capsys, "check", "--no-types").code == 0
    assert "note: mypy: " in flowc(capsys, "check", "--type-checker", "mypy").err
    write(root / "pyproject.toml", '[tool.flowc]\ntypes = "yes"\n')
    wrong = flowc(capsys, "check", "flows")
    assert wrong.code == 2 and "`types` must be true or false" in wrong.err


def test_a_checker_not_installed_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = isolate(monkeypatch, tmp_path)
    project(root)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mypy" else real(name, *a))
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    mypy = flowc(capsys, "check", "--types", "flows")
    assert mypy.code == 2
    assert "error: `--types` needs the type checker mypy, which is not installed" in mypy.err
    assert "help: install it (`pip install mypy`)" in mypy.err
    pyright = flowc(capsys, "check", "--type-checker", "pyright", "flows")
    assert pyright.code == 2 and "needs pyright, which is not installed" in pyright.err


def test_types_need_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = isolate(monkeypatch, tmp_path)
    for command in ("check", "compile"):
        outcome = flowc(capsys, command, "--types", "-", stdin=TWO.encode())
        assert outcome.code == 2 and "`--types` works on files" in outcome.err
    write(root / "pyproject.toml", "[tool.flowc]\ntypes = true\n")
    assert flowc(capsys, "check", "-", stdin=MISTYPED.encode()).code == 0, "the configuration's types skip stdin"


# ---------------------------------------------------------------- at run time

MISUSE = """\
from misuse_steps import later, plain, after

flow on_loop(x: int) -> int {
    node got = later(x=x) sync
    node next = after(x=got)
    START >> got >> next >> END
    return next
}

flow in_thread(x: int) -> int {
    node got = later(x=x) thread
    node next = after(x=got)
    START >> got >> next >> END
    return next
}

flow fine(x: int) -> int {
    node got = plain(x=x) sync
    node moved = plain(x=got) thread
    START >> got >> moved >> END
    return moved
}
"""

MISUSE_STEPS = """\
ran = []

async def later(x: int) -> int:
    return x

def plain(x: int) -> int:
    return x + 1

async def after(x: object) -> int:
    ran.append(x)
    return 0
"""


def test_an_awaitable_from_a_sync_or_thread_callee_is_a_type_error(monkeypatch: pytest.MonkeyPatch) -> None:
    steps = types.ModuleType("misuse_steps")
    exec(MISUSE_STEPS, steps.__dict__)
    monkeypatch.setitem(sys.modules, "misuse_steps", steps)
    module = types.ModuleType("misuse")
    monkeypatch.setitem(sys.modules, "misuse", module)
    exec(compile(build(MISUSE, "misuse.flow").code, "misuse.py", "exec"), module.__dict__)
    assert asyncio.run(module.fine(1)) == 3
    for flow, mode, line in (("on_loop", "sync", 4), ("in_thread", "thread", 11)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the coroutine is closed: no "never awaited"
            with pytest.raises(TypeError) as caught:
                asyncio.run(getattr(module, flow)(1))
        assert str(caught.value) == (
            f"flowc: in flow `{flow}`, node `got` (misuse.flow:{line}) is `{mode}`, but its callee returned "
            f"coroutine object, an awaitable: the callee is `async def`; drop `{mode}` so that flowc awaits it"
        )
    assert steps.ran == [], "the coroutine is never handed on"
