"""Compile size and time grow linearly with the size of what is written, and past flowc's
bounds (docs/language.md, "Bounds") a file is a located error, never a module that is slow
to make, slow to import or broken at run time.

Property tests: for a shape (a long `first(...)`, a complete bipartite edge, many nodes) and a size `n` drawn at random, the module made for `4n` is at most about four
times the one made for `n` beyond the fixed part every module has, and flowc's time and
Python's `compile()` time are within a wide factor of four times theirs. The default profile
draws a few sizes (the run takes seconds); `FLOWC_LONG=1` draws more, at random.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc import CompileError, compile_source
from flowc.cli import main

LONG = os.environ.get("FLOWC_LONG") == "1"
BOUNDED = settings(
    max_examples=12 if LONG else 2,
    deadline=None,
    derandomize=not LONG,
    suppress_health_check=[HealthCheck.too_slow],
)
HEAD = "from m import f, g\n"


def first_of(n: int) -> str:
    args = ", ".join([*(f"v{i % 7}" for i in range(n - 1)), "0"])
    params = ", ".join(f"v{i}: int | None" for i in range(7))
    return (
        HEAD + f"flow w({params}) -> int {{\n    node a = f(v=first({args}))\n    START >> a >> END\n    return a\n}}\n"
    )


def index_chain(n: int) -> str:
    return (
        HEAD
        + f"flow w(x: list[int]) -> int {{\n    node a = f(v=x{'[0]' * n})\n    START >> a >> END\n    return a\n}}\n"
    )


def bipartite(n: int) -> str:
    left, right = [f"a{i}" for i in range(n)], [f"b{i}" for i in range(n)]
    nodes = [f"    node {a} = f(x=x)" for a in left] + [f"    node {b} = g(x=x)" for b in right]
    edge = f"    START >> [{', '.join(left)}] >> [{', '.join(right)}] >> END"
    return HEAD + "flow w(x: int) -> None {\n" + "\n".join([*nodes, edge]) + "\n}\n"


def fan_out(n: int) -> str:
    names = [f"b{i}" for i in range(n)]
    nodes = [f"    node {b} = g(x=x)" for b in names]
    return (
        HEAD + "flow w(x: int) -> None {\n" + "\n".join([*nodes, f"    START >> [{', '.join(names)}] >> END"]) + "\n}\n"
    )


def measure(make: Callable[[int], str], n: int) -> tuple[int, float, float]:
    """Output size, flowc's time and CPython's compile time (best of two) for size `n`."""
    best = (0, float("inf"), float("inf"))
    for _ in range(2):
        start = time.perf_counter()
        code = compile_source(make(n), "w.flow")
        made = time.perf_counter() - start
        start = time.perf_counter()
        compile(code, "w.py", "exec")
        compiled = time.perf_counter() - start
        best = (len(code), min(best[1], made), min(best[2], compiled))
    return best


def text_size(code: str) -> int:
    """The module's size without its indentation. black indents by nesting depth, and a
    `first(…)` of n operands nests its groups of four one inside the next, so its leading
    spaces grow faster than n (a bounded n: `too-large`) while its text grows with n."""
    return sum(len(line.strip()) for line in code.splitlines())


def assert_linear(make: Callable[[int], str], n: int) -> None:
    base = text_size(compile_source(make(1), "w.flow"))
    small, large = measure(make, n), measure(make, 4 * n)
    sizes = [text_size(compile_source(make(size), "w.flow")) - base for size in (n, 4 * n)]
    grown = sizes[1] / max(sizes[0], 1)
    assert grown <= 4 * 1.6, f"output grew {grown:.1f}x for 4x the size"
    # Wall time on a shared machine is noisy: a wide factor, and a floor for tiny times.
    for what, a, b in (("flowc", small[1], large[1]), ("compile()", small[2], large[2])):
        assert b <= 4 * 3 * max(a, 0.02), f"{what} took {b:.2f} s for 4x the size, {a:.2f} s before"


@BOUNDED
@given(st.integers(min_value=20, max_value=64))
def test_first_grows_linearly(n: int) -> None:
    assert_linear(first_of, n)


def test_index_chains_are_bounded_where_black_is_not_linear() -> None:
    """black lays out a chain of steps in time (and, splitting it ever more often, in space)
    that grows faster than its length: 1,600 steps took 21 s. So a reference has at most 100
    steps, which cost little, and one more is a located error."""
    size, made, _ = measure(index_chain, 100)
    assert size - len(compile_source(index_chain(1), "w.flow")) < 10_000
    assert made < 5
    assert codes_of(index_chain(101)) == [(3, 18, "too-large")]


@BOUNDED
@given(st.integers(min_value=10, max_value=40))
def test_edge_lists_grow_linearly(n: int) -> None:
    assert_linear(bipartite, n)


@BOUNDED
@given(st.integers(min_value=60, max_value=250))
def test_node_counts_grow_linearly(n: int) -> None:
    assert_linear(fan_out, n)


# ---------------------------------------------------------------- at the bounds


def codes_of(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(CompileError) as caught:
        compile_source(text, "w.flow")
    return [(d.span.line, d.span.column, d.code) for d in caught.value.diagnostics]


def test_first_at_its_bound_is_valid_python_of_modest_size() -> None:
    code = compile_source(first_of(256), "w.flow")
    compile(code, "w.py", "exec")  # one chain of 256 was more than 200 nested parentheses
    assert len(code) < 200_000
    assert codes_of(first_of(257)) == [(3, 18, "too-large")]


def test_a_file_of_more_than_10000_nodes_is_refused_at_the_first_node_too_many(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "w.flow"
    path.write_text(fan_out(10_001), encoding="utf-8")
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert (
        "w.flow:10003:10: error: this file has 10,001 nodes; flowc accepts at most 10,000 in one file [too-large]"
        in err
    )
    assert "Traceback" not in err


def subflow_chain(depth: int) -> str:
    """Flows `s0` … calling each other `depth` deep, with every wrapper the runtime nests."""
    parts = [
        "from asyncio import sleep\n",
        "flow s0(x: float) -> None {\n    node a = sleep(x)\n    START >> a >> END\n}\n",
    ]
    for i in range(1, depth):
        parts.append(
            f"flow s{i}(x: float) -> None limit 2 {{\n"
            f"    node a = s{i - 1}(x=x) when x >= 0 fallback None retry 1 timeout 10s\n"
            "    START >> a >> END\n}\n"
        )
    return "".join(parts)


class Quiet:
    """An observer that hears everything and does nothing: every node goes through `_call`."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


def test_a_subflow_chain_at_the_bound_runs_with_every_wrapper_and_a_deep_caller() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(compile_source(subflow_chain(100), "w.flow"), "w.py", "exec"), namespace)

    def nested(depth: int) -> None:  # the caller's own frames, as a deep application has them
        if depth:
            return nested(depth - 1)
        return asyncio.run(namespace["s99"](x=0.0, observer=Quiet()))

    assert sys.getrecursionlimit() >= 1000
    nested(300)


def test_a_subflow_chain_past_the_bound_is_refused() -> None:
    [(line, column, code)] = codes_of(subflow_chain(1_000))
    assert (line, column, code) == (subflow_chain(101).count("\n") - 2, 10, "too-deep")
