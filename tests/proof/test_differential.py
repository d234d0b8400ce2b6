"""Differential tests: random valid flows, compiled, run and compared with the interpreter.

Each example is compiled with `flowc.compile_source`, imported from a folder and run on the
virtual clock (`vloop`), then checked (`checks`): the value or exception the interpreter
expects, the very calls it expects (retries and skips included), the observer's events, every
node started exactly when its last predecessor finished unless a limit or pool was full,
retries after their backoff, limits, pools and rates never exceeded, fail-fast, no task
pending and no pool slot held at the end. The generated modules of the examples drawn in
typing-safe mode are type-checked with one `mypy --strict` run, and a few examples also run
on a real event loop.

Default: 120 flows of up to 30 nodes (derandomized, so CI is reproducible). `FLOWC_LONG=1` (or
`pytest --long`): 1,200 flows of up to 60 nodes, at random. A failing example is printed as
JSON; with `FLOWC_SAVE_FAILURES=DIR` it is also written there, ready to be added to
`regressions/`, whose every file is replayed by `test_regression`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from . import steplib
from .checks import Checker, Run
from .expect import Fail, Ok
from .flowgen import Example, examples
from .harness import Built, prove
from .interp import Ambiguous

LONG = os.environ.get("FLOWC_LONG") == "1"
HERE = Path(__file__).parent
REGRESSIONS = HERE / "regressions"
MAX_NODES = 60 if LONG else 30
TESTS = HERE.parent

FLOWS = settings(
    max_examples=1200 if LONG else 120,
    deadline=None,
    derandomize=not LONG,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def report(example: Example, problems: list[str]) -> str:
    folder = os.environ.get("FLOWC_SAVE_FAILURES")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        path = Path(folder) / f"failure_{abs(hash(example.text)) % 10**8}.json"
        path.write_text(example.to_json(), encoding="utf-8")
    return "\n".join(problems[:12]) + "\n\nexample:\n" + example.text + "\njson:\n" + example.to_json()


def test_random_flows(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Random flows compiled, run and checked; then one `mypy --strict` run over the
    generated modules (and their typed steps) of every example drawn in typing-safe mode."""
    typed = tmp_path_factory.mktemp("typed")
    checked: list[str] = []

    @FLOWS
    @given(
        st.booleans().flatmap(lambda safe: st.tuples(st.just(safe), examples(max_nodes=MAX_NODES, typing_safe=safe)))
    )
    def flows(drawn: tuple[bool, Example]) -> None:
        safe, example = drawn
        folder = typed if safe and len(checked) < 30 else tmp_path_factory.mktemp("flows", numbered=True)
        try:
            problems = prove(example, folder)
        except Ambiguous:
            reject()
        assert not problems, report(example, problems)
        if folder == typed:
            checked.append(example.text)

    flows()
    files = sorted(str(p) for p in typed.glob("*_flow.py"))
    assert len(files) >= 10, "too few typing-safe examples"
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--show-error-codes", *files],
        capture_output=True,
        text=True,
        env={"MYPYPATH": f"{TESTS}:{typed}", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        cwd=typed,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


@settings(max_examples=10, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(examples(max_nodes=25))
def test_random_flows_on_a_real_loop(tmp_path_factory: pytest.TempPathFactory, example: Example) -> None:
    """Without timeouts or rates (whose outcome would depend on real timing), the same
    values, exceptions and calls on a plain `asyncio.run`, delays scaled down to 1/50."""
    if "timeout" in example.text or " rate " in example.text:
        reject()
    folder = tmp_path_factory.mktemp("real", numbered=True)
    built = Built(example, folder)
    try:
        expectation = built.expect()
    except Ambiguous:
        reject()
    module = built.load()
    try:
        run = run_real(example, module)
    finally:
        built.unload()
    actual = Counter((r.key, r.attempt) for r in run.trace.records)
    outcome = expectation.outcome
    if isinstance(outcome, Ok):
        assert run.error is None, report(example, [repr(run.error)])
        assert steplib.canon(run.value) == steplib.canon(outcome.value), report(example, ["values differ"])
        assert actual == expectation.calls, report(example, ["calls differ"])
    else:
        assert isinstance(outcome, Fail)
        assert run.error is not None and steplib.canon(run.error) in outcome.candidates, report(
            example, [repr(run.error)]
        )
        assert not actual - expectation.calls, report(example, ["unexpected calls"])
    assert not run.pending and not any(run.busy_pools.values())
    assert not run.trace.anomalies, run.trace.anomalies


def run_real(example: Example, module: Any) -> Run:
    run = Run()
    flow = getattr(module, example.top)
    pools = {name: value for name, value in vars(module).items() if type(value).__name__ == "_Pool"}

    async def main() -> None:
        run.trace = steplib.reset(example.scripts, asyncio.get_running_loop())
        kwargs: dict[str, Any] = dict(example.inputs)
        if example.observe:
            kwargs["observer"] = steplib.Observer()
        try:
            run.value = await flow(**kwargs)
        except Exception as error:
            run.error = error
        current = asyncio.current_task()
        run.pending = sorted(t.get_name() for t in asyncio.all_tasks() if t is not current)
        run.busy_pools = {name: pool.in_use() for name, pool in pools.items()}

    steplib.SCALE = 0.02
    try:
        asyncio.run(main())
    finally:
        steplib.SCALE = 1.0
    return run


def regression_files() -> list[Any]:
    params = []
    for path in sorted(REGRESSIONS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        marks = [pytest.mark.xfail(strict=True, reason=data["xfail"])] if data.get("xfail") else []
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


@pytest.mark.parametrize("path", regression_files())
def test_regression(path: Path, tmp_path: Path) -> None:
    """Every shrunk failure found so far, replayed exactly."""
    example = Example.from_json(path.read_text(encoding="utf-8"))
    problems = prove(example, tmp_path, name=f"regression_{path.stem}")
    assert not problems, "\n".join(problems)


def test_checker_catches_a_wrong_value(tmp_path: Path) -> None:
    """The checks can fail: a run whose value is off is reported, and so is a late start."""
    example = Example.from_json((REGRESSIONS / "diamond.json").read_text(encoding="utf-8"))
    built = Built(example, tmp_path)
    expectation = built.expect()
    from .harness import execute

    module = built.load()
    try:
        run = execute(example, module)
    finally:
        built.unload()
    assert Checker(expectation, run, False).check() == []
    run.value = [run.value]
    assert any("value" in p for p in Checker(expectation, run, False).check())
    run.value = run.value[0]
    late = max(run.trace.records, key=lambda r: r.start)
    late.start += 0.001
    assert any("could start" in p or "before" in p for p in Checker(expectation, run, False).check())
