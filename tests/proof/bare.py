"""Runs generated modules with nothing but the standard library (and `proof`'s own
stdlib-only modules), for interpreters where neither flowc nor hypothesis is installed.

`python bare.py BATCH` runs a batch written by `write_batch`: the samples (each flow with its
inputs) and generated examples (each checked against its pickled expectation on the virtual
clock). It prints one JSON object: sample name -> result as JSON shapes (or the error), and
example name -> problems found.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import pickle
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

if __package__ in (None, ""):  # run as a script: `proof` is beside this file
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from proof import steplib  # noqa: E402
from proof.checks import Checker, Run  # noqa: E402
from proof.vloop import VirtualClockLoop, run_virtual  # noqa: E402


def execute(module: ModuleType, top: str, inputs: dict[str, Any], observe: bool, scripts: dict[str, Any]) -> Run:
    """Run a generated example's top flow once on a fresh virtual-clock loop."""
    run = Run()
    flow = getattr(module, top)
    pools = {name: value for name, value in vars(module).items() if type(value).__name__ == "_Pool"}

    async def main(loop: VirtualClockLoop) -> None:
        run.trace = steplib.reset(scripts, loop)
        kwargs = dict(inputs)
        if observe:
            kwargs["observer"] = steplib.Observer()
        loop.running_flow = True
        run.start = loop.time()
        try:
            run.value = await flow(**kwargs)
        except Exception as error:  # a BaseException (cancellation) is a failure of the harness
            run.error = error
        loop.running_flow = False
        run.end = loop.time()
        current = asyncio.current_task()
        run.pending = sorted(t.get_name() for t in asyncio.all_tasks() if t is not current)
        run.busy_pools = {name: pool.in_use() for name, pool in pools.items()}

    run_virtual(main)
    return run


def shapes(value: Any) -> Any:
    """A result in JSON's shapes (named tuples and dataclasses as objects)."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {f: shapes(v) for f, v in zip(value._fields, value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: shapes(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [shapes(v) for v in value]
    if isinstance(value, dict):
        return {str(k): shapes(v) for k, v in value.items()}
    return value


def main(batch: Path) -> dict[str, Any]:
    sys.path.insert(0, str(batch))
    report: dict[str, Any] = {"python": list(sys.version_info[:2])}
    for sample in json.loads((batch / "samples.json").read_text(encoding="utf-8")):
        module = importlib.import_module(sample["module"])
        try:
            report[sample["module"]] = shapes(asyncio.run(getattr(module, sample["flow"])(**sample["inputs"])))
        except Exception as error:
            report[sample["module"]] = f"{type(error).__name__}: {error}"
    with open(batch / "examples.pickle", "rb") as file:
        examples = pickle.load(file)
    for name, top, inputs, observe, scripts, expectation, short in examples:
        module = importlib.import_module(f"{name}_flow")
        run = execute(module, top, inputs, observe, scripts)
        report[name] = Checker(expectation, run, short).check()
    return report


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
