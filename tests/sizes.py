"""Generated flows of a chosen size: the one generator the benchmarks and the tests share
(`bench/flowgen.py`), loaded from its file since `bench/` is not a package."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _flowgen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_bench_flowgen", BENCH / "flowgen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


flowgen = _flowgen()


def big_flow(nodes: int) -> str:
    """A file of exactly `nodes` nodes: chains, fan-outs with joins, maps and sub-flow calls,
    with clauses throughout (see `bench/flowgen.py`)."""
    text: str = flowgen.big_flow(nodes)
    return text
