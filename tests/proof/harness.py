"""Compile an example, import it from a folder, run it on the virtual clock and check it.

`prove(example, folder)` returns the problems found (empty: the run did exactly what the
reference interpreter says, on time, within every limit). An example whose outcome would
depend on timing raises `interp.Ambiguous`: the property test discards it.
"""

from __future__ import annotations

import importlib
import itertools
import sys
from pathlib import Path
from types import ModuleType
from typing import Literal

from flowc import compile_source, runtime_source
from flowc.compiler import analyze
from flowc.source import Source

from . import bare, steplib
from .checks import Checker, Run
from .expect import BIG, Expectation
from .flowgen import Example, steps_module
from .interp import Interpreter

COUNTER = itertools.count()


class Built:
    """An example compiled into a folder: `NAME_flow.py` beside `NAME_steps.py`. Examples
    alternate between the two runtime modes: every other one imports its helpers from the
    folder's `_flowc_runtime.py`."""

    def __init__(self, example: Example, folder: Path, name: str | None = None) -> None:
        self.example = example
        self.folder = folder
        number = next(COUNTER)
        self.name = name or f"ex{number}"
        self.flow_name = f"{self.name}_flow"
        self.steps_name = f"{self.name}_steps"
        self.text = example.text.replace("from STEPS import", f"from {self.steps_name} import")
        self.runtime: Literal["inline", "shared"] = "shared" if number % 2 else "inline"
        self.code = compile_source(self.text, f"{self.flow_name}.flow", runtime=self.runtime)
        if self.runtime == "shared" and not (folder / "_flowc_runtime.py").exists():
            (folder / "_flowc_runtime.py").write_text(runtime_source(), encoding="utf-8")
        (folder / f"{self.flow_name}.py").write_text(self.code, encoding="utf-8")
        (folder / f"{self.steps_name}.py").write_text(steps_module(example, self.flow_name), encoding="utf-8")
        (folder / f"{self.flow_name}.flow").write_text(self.text, encoding="utf-8")

    def load(self) -> ModuleType:
        self.unload()  # a module of the same name imported before is not this one
        sys.path.insert(0, str(self.folder))
        try:
            return importlib.import_module(self.flow_name)
        finally:
            sys.path.remove(str(self.folder))

    def unload(self) -> None:
        sys.modules.pop(self.flow_name, None)
        sys.modules.pop(self.steps_name, None)
        sys.modules.pop("_flowc_runtime", None)  # another folder's, perhaps

    def expect(self) -> Expectation:
        steplib.reset(self.example.scripts, None)
        module = analyze(Source(f"{self.flow_name}.flow", self.text))
        return Interpreter(module, self.example.observe).run(self.example.top, dict(self.example.inputs))

    def top_short_timeout(self) -> bool:
        module = analyze(Source(f"{self.flow_name}.flow", self.text))
        top = next(f for f in module.flows if f.name == self.example.top)
        return top.timeout is not None and top.timeout < BIG


def execute(example: Example, module: ModuleType) -> Run:
    """Run the example's top flow once on a fresh virtual-clock loop."""
    return bare.execute(module, example.top, example.inputs, example.observe, example.scripts)


def prove(example: Example, folder: Path, name: str | None = None) -> list[str]:
    """Compile, interpret, run and check one example; the problems found."""
    built = Built(example, folder, name)
    expectation = built.expect()
    module = built.load()
    try:
        run = execute(example, module)
        return Checker(expectation, run, built.top_short_timeout()).check()
    finally:
        built.unload()
