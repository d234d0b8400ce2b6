"""CI's second job installs the lowest allowed version of every runtime dependency: its pins
come from pyproject.toml through `.ci/lowest.py`, and must be exactly the declared bounds."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
LOWEST = ROOT / ".ci" / "lowest.py"
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def lowest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lowest", LOWEST)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lowest_pins_are_the_declared_lower_bounds() -> None:
    declared = [Requirement(r) for r in tomllib.loads(PYPROJECT)["project"]["dependencies"]]
    expected = [f"{r.name}=={next(s.version for s in r.specifier if s.operator == '>=')}" for r in declared]
    printed = subprocess.run([sys.executable, str(LOWEST)], capture_output=True, text=True, check=True).stdout
    assert printed.split() == expected
    assert {r.name for r in declared} >= {"lark", "jinja2", "black", "watchfiles"}


def test_every_runtime_dependency_has_an_upper_bound() -> None:
    """An upgrade past the tested range could change the generated code."""
    for requirement in tomllib.loads(PYPROJECT)["project"]["dependencies"]:
        assert any(s.operator == "<" for s in Requirement(requirement).specifier), requirement


@pytest.mark.parametrize("dependency", ["black", "black<27", "black==26.1", "black>=26.1,>=26.3"])
def test_a_dependency_without_one_lower_bound_is_refused(dependency: str) -> None:
    pyproject = f'[project]\ndependencies = ["lark>=1.1.9,<2", "{dependency}"]\n'
    with pytest.raises(ValueError, match="black needs exactly one `>=` lower bound"):
        lowest().lowest_pins(pyproject)


def test_ci_installs_the_pins_of_lowest_py() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python .ci/lowest.py >" in script
    assert "flowc compile --check samples/" in script
    lowest_job = script[script.index("python .ci/lowest.py >") :]
    assert "tests/test_cli_watch.py" in lowest_job, "the watch test runs on the lowest watchfiles"
