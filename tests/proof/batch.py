"""A folder of generated modules for other interpreters to run with `bare.py`: every sample
(compiled, with `samples/steps` beside it, its inputs and recorded result) and a few random
flows of the proof (typing-safe, with their steps and pickled expectations)."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from flowc import compile_source

from . import steplib
from .expect import Ok
from .flowgen import Example, examples
from .harness import Built
from .interp import Ambiguous

SAMPLES = Path(__file__).resolve().parent.parent.parent / "samples"


def write_batch(out: Path, flows: int = 8) -> Path:
    shutil.copytree(SAMPLES / "steps", out / "steps")
    samples = []
    for spec in sorted(SAMPLES.glob("*.json")):
        data = json.loads(spec.read_text(encoding="utf-8"))
        source = SAMPLES / f"{spec.stem}.flow"
        module = f"{spec.stem}_flow"
        (out / f"{module}.py").write_text(compile_source(source.read_text("utf-8"), f"{spec.stem}.flow"), "utf-8")
        samples.append({"module": module, "flow": data["flow"], "inputs": data["inputs"], "expected": data["expected"]})
    (out / "samples.json").write_text(json.dumps(samples), encoding="utf-8")
    batch: list[tuple[Any, ...]] = []

    @settings(
        max_examples=flows, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(examples(max_nodes=20, typing_safe=True))
    def build(example: Example) -> None:
        built = Built(example, out, f"py{len(batch)}")
        try:
            expectation = built.expect()
        except Ambiguous:
            return
        if isinstance(expectation.outcome, Ok):  # named results as plain tuples, which pickle
            expectation.outcome = Ok(plain(expectation.outcome.value))
        short = built.top_short_timeout()
        batch.append((built.name, example.top, example.inputs, example.observe, example.scripts, expectation, short))

    build()
    steplib.reset({}, None)
    with open(out / "examples.pickle", "wb") as file:
        pickle.dump(batch, file)
    return out


def plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
