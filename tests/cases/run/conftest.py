"""Run cases: each folder holds `NAME.flow`, its typed steps module `NAME_steps.py` and
`test_run_NAME.py`. Every case is compiled once per session and runtime mode into one folder
(with `--runtime shared`, beside the one `_flowc_runtime.py` they all import), type-checked
together with `mypy --strict` in one run, then imported and executed by its own tests: each
test runs once per mode."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from flowc import compile_source, runtime_source

CASES = Path(__file__).parent


def case_dirs() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if p.is_dir() and (p / f"{p.name}.flow").exists())


@pytest.fixture(scope="session", params=["inline", "shared"])
def run_build(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every run case compiled into one folder (as `NAME_flow.py`), in one runtime mode."""
    mode = request.param
    out = tmp_path_factory.mktemp(f"run_cases_{mode}")
    for case in case_dirs():
        source = case / f"{case.name}.flow"
        text = compile_source(source.read_text(encoding="utf-8"), f"{case.name}.flow", runtime=mode)
        (out / f"{case.name}_flow.py").write_text(text, encoding="utf-8")
    if mode == "shared":
        (out / "_flowc_runtime.py").write_text(runtime_source(), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def mypy_report(run_build: Path) -> dict[str, list[str]]:
    """`mypy --strict` over every generated run-case module: error lines per case."""
    paths = [str(case) for case in case_dirs()] + [str(run_build)]
    env_path = ":".join(paths)
    files = sorted(str(p) for p in [*run_build.glob("*_flow.py"), *run_build.glob("_flowc_runtime.py")])
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--show-error-codes", *files],
        capture_output=True,
        text=True,
        env={"MYPYPATH": env_path, "PATH": "/usr/bin:/bin"},
        cwd=run_build,
    )
    report: dict[str, list[str]] = {case.name: [] for case in case_dirs()}
    for line in result.stdout.splitlines():
        for case in report:
            if f"{case}_flow.py:" in line or f"{case}_steps.py:" in line:
                report[case].append(line)
    if result.returncode not in (0, 1):
        pytest.fail(f"mypy crashed:\n{result.stdout}\n{result.stderr}")
    if "_flowc_runtime.py:" in result.stdout:
        pytest.fail(f"mypy finds errors in the shared runtime:\n{result.stdout}")
    return report


@pytest.fixture
def flow_module(request: pytest.FixtureRequest, run_build: Path) -> Iterator[ModuleType]:
    """The generated module of the case whose test asks for it (the test file's folder)."""
    case = Path(str(request.path)).parent
    sys.path[:0] = [str(case), str(run_build)]
    try:
        yield importlib.import_module(f"{case.name}_flow")
    finally:
        sys.path.remove(str(case))
        sys.path.remove(str(run_build))
        # The other mode's build has modules of the same names.
        sys.modules.pop(f"{case.name}_flow", None)
        sys.modules.pop("_flowc_runtime", None)


@pytest.fixture
def steps(request: pytest.FixtureRequest, flow_module: ModuleType) -> ModuleType:
    """The case's steps module (fresh state is the test's job)."""
    case = Path(str(request.path)).parent
    return importlib.import_module(f"{case.name}_steps")
