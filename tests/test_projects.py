"""Projects of many `.flow` files: imports of flows and pools between files, as data.

`cases/projects/errors/NAME/` each hold a `main.flow` and the files it imports under `app/`;
`flowc check main.flow` run there must print exactly `main.err` (`pytest --update-golden`
rewrites it). `cases/projects/shop/` is a package of flows that import a pool and a flow from
each other: compiled in both runtime modes, type-checked, and run.
"""

from __future__ import annotations

import asyncio
import importlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from clitools import flowc, isolate, mypy_strict, write

from flowc.project import Project

CASES = Path(__file__).parent / "cases" / "projects"
ERRORS = sorted(p for p in (CASES / "errors").iterdir() if (p / "main.flow").is_file())


@pytest.mark.parametrize("case", ERRORS, ids=[p.name for p in ERRORS])
def test_error_project(
    case: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], update_golden: bool
) -> None:
    monkeypatch.chdir(case)
    before = sorted(case.rglob("*"))
    result = flowc(capsys, "check", "--isolated", "--color", "never", "-q", "main.flow")
    assert result.code == 1
    golden = case / "main.err"
    if update_golden:
        golden.write_text(result.err, encoding="utf-8")
    assert result.err == golden.read_text(encoding="utf-8")
    assert sorted(case.rglob("*")) == before, "checking writes nothing"


# ---------------------------------------------------------------- the shop


@pytest.fixture(params=["inline", "shared"])
def shop(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The shop package compiled in one runtime mode, importable."""
    root = isolate(monkeypatch, tmp_path)
    shutil.copytree(CASES / "shop" / "shop", root / "shop")
    assert flowc_main("compile", "--runtime", request.param, "shop") == 0
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == "shop" or n.startswith("shop.")]:
            del sys.modules[name]


def flowc_main(*args: str) -> int:
    from flowc.cli import main

    return main(list(args))


def load(name: str) -> ModuleType:
    return importlib.import_module(f"shop.{name}")


def test_the_shop_type_checks(shop: Path) -> None:
    result = mypy_strict(shop, "shop")
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_imported_pool_is_one_pool_for_every_module(shop: Path) -> None:
    steps, checkout, orders = load("steps"), load("checkout"), load("orders")
    steps.reset()

    async def both() -> list[float]:
        return list(await asyncio.gather(checkout.checkout(list(range(10)), 7), orders.price_order(list(range(10)))))

    assert asyncio.run(both()) == [sum(range(10)) * 1.5 + 10.5, sum(range(10)) * 1.5]
    # 21 quotes at once from two modules' flows: `pool provider limit 3` holds them all.
    assert steps.peak == 3
    assert load("limits").provider is orders.provider is checkout.provider


def test_configure_pool_of_the_declaring_module_changes_it_for_every_module(shop: Path) -> None:
    steps, checkout, orders, limits = load("steps"), load("checkout"), load("orders"), load("limits")

    async def both() -> list[float]:
        return list(await asyncio.gather(checkout.checkout(list(range(10)), 7), orders.price_order(list(range(10)))))

    limits.configure_pool("provider", limit=5)
    steps.reset()
    asyncio.run(both())
    assert steps.peak == 5
    limits.configure_pool("provider", limit=1)
    steps.reset()
    asyncio.run(both())
    assert steps.peak == 1
    # A module that only imports the pool configures none of its own.
    assert not hasattr(orders, "configure_pool") and not hasattr(checkout, "configure_pool")


def test_an_imported_flow_is_a_sub_flow(shop: Path) -> None:
    checkout = load("checkout")
    events: list[tuple[str, str, str | None]] = []

    class Runs:
        def flow_started(self, run: object) -> None:
            events.append((run.flow, run.run_id, run.parent_run_id))  # type: ignore[attr-defined]

        def node_started(self, node: object, index: object, attempt: object) -> None:
            pass

    asyncio.run(checkout.checkout([1, 2], 3, observer=Runs(), run_id="top"))
    assert events[0] == ("checkout", "top", None)
    assert [(flow, parent) for flow, _, parent in events[1:]] == [("price_order", "top")]


def test_compiling_reads_the_imported_files_and_never_writes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = isolate(monkeypatch, tmp_path)
    shutil.copytree(CASES / "shop" / "shop", root / "shop")
    result = flowc(capsys, "compile", "shop/checkout.flow", "-v")
    assert result.code == 0, result.err
    assert sorted(p.name for p in (root / "shop").glob("*.py")) == ["__init__.py", "checkout.py", "steps.py"]
    assert flowc(capsys, "compile", "shop").code == 0
    assert flowc(capsys, "compile", "--check", "shop").code == 0
    # A change in an imported file that breaks the importer: its module is no longer what
    # its source compiles to, and the error is shown in both files' terms.
    orders = root / "shop" / "orders.flow"
    orders.write_text(orders.read_text(encoding="utf-8").replace("skus", "items"), encoding="utf-8")
    check = flowc(capsys, "compile", "--check", "shop/checkout.flow")
    assert check.code == 1
    assert "shop/checkout.flow:6:33: error: flow `price_order` has no parameter `skus` [subflow-arguments]" in check.err
    # A change in an imported file that leaves the importer as it is: only its own module is stale.
    orders.write_text(orders.read_text(encoding="utf-8").replace("items", "skus") + "\n# a comment\n")
    check = flowc(capsys, "compile", "--check", "shop")
    assert check.code == 1
    assert "shop/orders.py: error: out of date" in check.err and "checkout.py" not in check.err


def test_a_file_of_pools_alone_compiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = isolate(monkeypatch, tmp_path)
    write(root / "limits.flow", "pool llm limit 4 rate 10 per 1s\n")
    assert flowc_main("compile", "limits.flow") == 0
    text = (root / "limits.py").read_text(encoding="utf-8")
    assert "llm = _pool_llm" in text and '"llm",' in text
    assert "class _Run" not in text, "a file without flows runs nothing"


def test_import_roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = isolate(monkeypatch, tmp_path)
    write(root / "src" / "lib" / "limits.flow", "pool llm limit 4\n")
    write(root / "src" / "lib" / "steps.py", "def f(x: int) -> int:\n    return x\n")
    user = "from lib.limits import llm\nfrom lib.steps import f\n\nflow g(x: int) -> int {\n    node a = f(x=x) pool llm\n    START >> a >> END\n    return a\n}\n"
    write(root / "app" / "main.flow", user)
    # Without a configuration file, the working folder is the one root: `lib.limits` is a
    # Python module then, and `llm` no pool.
    plain = flowc(capsys, "check", "app/main.flow")
    assert plain.code == 1 and "no pool named `llm`" in plain.err
    write(root / "pyproject.toml", "[tool.flowc]\n")
    assert flowc(capsys, "check", "app/main.flow").code == 0, "the configuration's folder and its src/"
    write(root / "pyproject.toml", '[tool.flowc]\nimport-roots = ["app"]\n')
    assert flowc(capsys, "check", "app/main.flow").code == 1
    write(root / "pyproject.toml", '[tool.flowc]\nimport-roots = ["app", "src"]\n')
    assert flowc(capsys, "check", "app/main.flow").code == 0


def test_an_unknown_module_in_a_folder_of_flows(tmp_path: Path) -> None:
    """A dotted module is an error only where it cannot be a Python module: its folder, under
    every root, holds `.flow` files and nothing of that name."""
    write(tmp_path / "app" / "orders.flow", "pool p limit 1\n")
    write(tmp_path / "app" / "steps.py", "")
    write(tmp_path / "app" / "models" / "__init__.py", "")
    write(tmp_path / "other" / "app" / "extra.py", "")
    write(tmp_path / "plain" / "helpers.py", "")
    project = Project([tmp_path, tmp_path / "other"], tmp_path)
    found = project.unknown("app.ordrs")
    assert found is not None and found.path == "app" and found.unknown == ("orders", "steps")
    for module in ("app.steps", "app.models", "app.extra", "plain.other", "typing", "app.a-b"):
        assert project.unknown(module) is None, module


def test_the_project_finds_files_by_module_name(tmp_path: Path) -> None:
    write(tmp_path / "a" / "b.flow", "pool p limit 1\n")
    write(tmp_path / "second" / "a" / "b.flow", "pool p limit 1\n")
    project = Project([tmp_path, tmp_path / "second"], tmp_path)
    assert project.find("a.b") == (tmp_path / "a" / "b.flow").resolve()
    assert project.find("a.c") is None and project.find("a.b-c") is None and project.find("") is None


@pytest.mark.parametrize("runtime", ["inline", "shared"])
def test_imports_come_in_isort_sections(
    runtime: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The project's own modules (under an import root) after the others, as ruff's isort
    rule wants them, whether ruff runs from the project's folder or the module's."""
    root = isolate(monkeypatch, tmp_path)
    write(root / "app" / "steps.py", "def s(x: int) -> int:\n    return x\n")
    write(root / "lib" / "__init__.py", "")
    write(root / "lib" / "gen" / "__init__.py", "")
    user = "from app.steps import s\nfrom pydantic import BaseModel\n\nflow a(x: int, m: BaseModel) -> int {\n    node n = s(x=x) sync\n    START >> n >> END\n    return n\n}\n"
    write(root / "app" / "a.flow", user)
    write(root / "lib" / "gen" / "b.flow", user.replace("flow a", "flow b"))
    assert flowc(capsys, "compile", "--runtime", runtime, "app", "lib").code == 0
    text = (root / "app" / "a.py").read_text(encoding="utf-8")
    assert text.index("from pydantic import BaseModel") < text.index("\n\nfrom app.steps import s")
    ruff = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "app/a.py", "lib/gen/b.py"]
    result = subprocess.run(ruff, cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout
    if runtime == "shared":
        # lib/gen is a package: its modules import the runtime relatively.
        assert "from ._flowc_runtime import" in (root / "lib" / "gen" / "b.py").read_text(encoding="utf-8")
