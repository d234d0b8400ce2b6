"""Every supported Python: generated modules import, run and type-check on 3.11, 3.12, 3.13.

The modules are compiled once here (the samples, with their steps, and a few random flows of
the proof with their typed steps). Each interpreter found under pyenv or on PATH then runs
them in a subprocess with nothing but the standard library (`tests/proof/bare.py`): every
sample must give its recorded result, and every random flow must pass the proof's checks on
the virtual clock against the reference interpreter's expectation. One `mypy --strict
--python-version X` run per version covers all the modules. A version that is not installed
is skipped, and the skip says so.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from proof.batch import write_batch

from flowc import compile_source, runtime_source

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
VERSIONS = ["3.11", "3.12", "3.13"]


def find_python(version: str) -> str | None:
    """An interpreter of `version` under ~/.pyenv/versions or on PATH, if any works."""
    candidates = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}*/bin/python")), reverse=True)
    candidates += [p for p in [shutil.which(f"python{version}")] if p]
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def python_or_skip(version: str) -> str:
    python = find_python(version)
    if python is None:
        pytest.skip(f"Python {version} is not installed (looked under ~/.pyenv/versions/{version}* and on PATH)")
    return python


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Samples and random flows, compiled into one folder, with what each must give."""
    return write_batch(tmp_path_factory.mktemp("pythons"), flows=6)


@pytest.mark.parametrize("version", VERSIONS)
def test_generated_modules_run(version: str, batch: Path) -> None:
    python = python_or_skip(version)
    result = subprocess.run(
        [python, "-I", str(TESTS / "proof" / "bare.py"), str(batch)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout)
    assert report.pop("python") == [int(p) for p in version.split(".")]
    samples = json.loads((batch / "samples.json").read_text(encoding="utf-8"))
    for sample in samples:
        assert report.pop(sample["module"]) == sample["expected"], sample["module"]
    assert len(report) >= 4, "too few random flows in the batch"
    assert {name: problems for name, problems in report.items() if problems} == {}


@pytest.mark.parametrize("version", VERSIONS)
def test_generated_modules_type_check(version: str, batch: Path) -> None:
    """mypy checks for any target version by itself: no interpreter of that version needed."""
    files = sorted(str(p.name) for p in batch.glob("*_flow.py"))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", version, *files],
        capture_output=True,
        text=True,
        cwd=batch,
        env={"MYPYPATH": f"{batch}:{TESTS}", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


BUILTIN_NODES = """\
from demo.steps import double

flow f(x: int) -> int {
    node PythonFinalizationError = double(x=x)
    node _IncompleteInputError = double(x=PythonFinalizationError)
    node a_future_builtin = double(x=_IncompleteInputError)
    START >> PythonFinalizationError >> _IncompleteInputError >> a_future_builtin >> END
    return a_future_builtin
}
"""


def test_output_does_not_depend_on_the_interpreters_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Node locals keep clear of the builtins of every supported Python, not of the one running
    flowc: `PythonFinalizationError` (3.13) is renamed on 3.11 too, and a builtin the running
    Python adds or lacks changes nothing."""
    import builtins

    from flowc import compile_source

    text = compile_source(BUILTIN_NODES, "b.flow")
    assert "    PythonFinalizationError_ = await (" in text
    assert "    _IncompleteInputError_ = await (" in text
    assert ")(x=PythonFinalizationError_)" in text
    monkeypatch.setattr(builtins, "a_future_builtin", len, raising=False)
    monkeypatch.delattr(builtins, "PythonFinalizationError", raising=False)
    assert compile_source(BUILTIN_NODES, "b.flow") == text


@pytest.mark.parametrize("version", VERSIONS)
def test_the_fixed_builtins_cover_every_supported_python(version: str) -> None:
    from flowc.semantics.names import PYTHON_BUILTINS

    python = python_or_skip(version)
    names = subprocess.run(
        [python, "-I", "-c", "import builtins; print(' '.join(dir(builtins)))"], capture_output=True, text=True
    )
    missing = sorted(set(names.stdout.split()) - PYTHON_BUILTINS)
    assert missing == [], f"add Python {version}'s builtins to flowc.semantics.names.PYTHON_BUILTINS"


@pytest.mark.parametrize("runtime", ["inline", "shared"])
def test_a_module_imported_on_python_3_10_says_which_version_it_needs(runtime: Any, tmp_path: Path) -> None:
    """Python 3.10 could import a module and fail mid-run (`add_note`, `asyncio.timeout`);
    the module refuses to import instead, naming the version it needs (with a shared
    runtime, the runtime file refuses first)."""
    python = python_or_skip("3.10")
    (tmp_path / "old_steps.py").write_text("async def double(x: int) -> int:\n    return 2 * x\n", encoding="utf-8")
    text = "from old_steps import double\nflow f(x: int) -> int {\n    node a = double(x=x)\n    START >> a >> END\n    return a\n}\n"
    (tmp_path / "old_flow.py").write_text(compile_source(text, "old_flow.flow", runtime=runtime), encoding="utf-8")
    if runtime == "shared":
        (tmp_path / "_flowc_runtime.py").write_text(runtime_source(), encoding="utf-8")
    result = subprocess.run(
        [python, "-I", "-c", "import sys; sys.path.insert(0, '.'); import old_flow"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    name = "old_flow" if runtime == "inline" else "_flowc_runtime"
    assert last.startswith(f"ImportError: {name} was generated by flowc for Python 3.11 or newer; this is Python 3.10")
