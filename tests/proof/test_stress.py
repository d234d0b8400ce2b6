"""The stress harness and the cancellation regressions of issue 20, on Python 3.11, 3.12 and
3.13, each in a subprocess under `-X dev -W error` (`stress.py` says what runs and what is
checked). Default: one round of 200 concurrent runs per interpreter, a few seconds each.
`FLOWC_LONG=1` (or `pytest --long`): ten rounds of 1,000 concurrent runs per interpreter.
A version that is not installed is skipped, and the skip says so.

    python -m pytest tests/proof/test_stress.py -s    # prints the counts of each interpreter
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_pythons import VERSIONS, python_or_skip

from flowc import compile_source

HERE = Path(__file__).resolve().parent
LONG = os.environ.get("FLOWC_LONG") == "1"
ROUNDS, RUNS = (10, 1000) if LONG else (1, 200)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stress")
    text = compile_source((HERE / "stress.flow").read_text(encoding="utf-8"), "stress.flow")
    (out / "stress_flow.py").write_text(text, encoding="utf-8")
    shutil.copy(HERE / "stress_steps.py", out / "stress_steps.py")
    return out


def harness(version: str, folder: Path, *args: str, timeout: float) -> dict[str, object]:
    python = python_or_skip(version)
    result = subprocess.run(
        [python, "-X", "dev", "-W", "error", "-I", str(HERE / "stress.py"), str(folder), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report: dict[str, object] = json.loads(result.stdout)
    return report


@pytest.mark.parametrize("version", VERSIONS)
def test_a_flow_run_from_cleanup_code_surfaces_its_nodes_error(version: str, folder: Path) -> None:
    """After a caught cancellation (`cancelling()` is 1) a run's failing node gives its
    ValueError, not CancelledError, and the count is left at 1. A node failing while starting
    eagerly (3.12+) neither takes back nor loses a pending cancellation of its caller."""
    report = harness(version, folder, "scenarios", timeout=60)
    assert report["cleanup"] == ["ValueError", 1]
    outcome, cancelling, delivered = report["eager"]  # type: ignore[misc]
    assert cancelling == 1
    if version != "3.11":  # 3.11 starts no task eagerly
        assert [outcome, delivered] == ["ValueError", True]


@pytest.mark.parametrize("version", VERSIONS)
def test_stress(version: str, folder: Path) -> None:
    report = harness(version, folder, "stress", str(ROUNDS), str(RUNS), "20", timeout=60 + ROUNDS * 120)
    print(f"\nPython {version}: {report['runs']} runs, {report['violations']} violations, {report['outcomes']}")
    assert report["runs"] == ROUNDS * RUNS
    assert report["violations"] == 0, report["first_violations"]
    outcomes: dict[str, int] = report["outcomes"]  # type: ignore[assignment]
    kinds = {key.split(":")[0] for key in outcomes}
    assert kinds == {"none", "cancel", "wait_for", "timeout", "cleanup"}
    assert outcomes.get("none: value", 0) > 0 and outcomes.get("none: StepError", 0) > 0
