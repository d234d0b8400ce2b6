"""Standalone: generated modules run in a fresh virtual environment where nothing is
installed (`python -m venv --without-pip`), so neither flowc nor lark, jinja2 or black.

The venv runs the same batch as `test_pythons.py` (`tests/proof/bare.py`): every sample with
its steps, and random flows checked against the reference interpreter's expectations.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from proof.batch import write_batch

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv of the running Python's base interpreter, without pip."""
    path = tmp_path_factory.mktemp("venv")
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(path)], check=True, capture_output=True)
    return path / "bin" / "python"


def test_the_venv_has_nothing_installed(venv: Path) -> None:
    probe = "import importlib.util as u; print([m for m in ('flowc', 'lark', 'jinja2', 'black', 'hypothesis') if u.find_spec(m)])"
    result = subprocess.run([str(venv), "-I", "-c", probe], capture_output=True, text=True, cwd=venv.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_generated_modules_run_standalone(venv: Path, tmp_path: Path) -> None:
    batch = write_batch(tmp_path, flows=5)
    # No module of flowc's or of its dependencies is loaded on the way.
    script = (
        "import runpy, sys; sys.argv = ['bare.py', sys.argv[1]]; "
        f"runpy.run_path({str(TESTS / 'proof' / 'bare.py')!r}, run_name='__main__'); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flowc', 'lark', 'jinja2', 'black')); "
        "assert not bad, bad"
    )
    result = subprocess.run([str(venv), "-I", "-c", script, str(batch)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout)
    report.pop("python")
    samples = json.loads((batch / "samples.json").read_text(encoding="utf-8"))
    for sample in samples:
        assert report.pop(sample["module"]) == sample["expected"], sample["module"]
    assert report and {name: problems for name, problems in report.items() if problems} == {}
