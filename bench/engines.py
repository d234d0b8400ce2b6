"""Optional: the bench DAGs on general workflow engines, in their own idioms.

Three DAGs per engine: the diamond and the 200-wide fan-out (trivial steps: the cost of
scheduling) and the skewed "N" of `flows/skewed.flow` (sleeping steps: does the engine start
a node when its own inputs are ready, or wait for a whole level?).

Each adapter is used only when its package is installed (`pip install .[bench-engines]`);
the harness names the engines it skipped. Where the engine calls Python functions, the
steps are the same `steps` coroutines the flows call; Kailash runs code strings in its
sandbox, so there the bodies are the same one-line expressions written as its code nodes.
"""

from __future__ import annotations

import asyncio
import importlib.util
import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from steps import delay, delay2, inc, merge, prepare, src, step_a, step_b, total

__all__ = ["ENGINES", "Engine", "available_engines", "missing_engines"]

RunOne = Callable[[int], Awaitable[int]]


@dataclass(frozen=True)
class Engine:
    """One engine: how to tell it is installed, and how to build the two DAGs on it."""

    name: str
    module: str
    build_diamond: Callable[[], Awaitable[RunOne]]
    build_fanout: Callable[[int], Awaitable[RunOne]]
    build_skew_n: Callable[[], Awaitable[RunOne]]
    distribution: str = ""  # the package to ask for the version, when not `name`

    def installed(self) -> bool:
        try:
            return importlib.util.find_spec(self.module) is not None
        except (ImportError, ValueError):
            return False

    def version(self) -> str:
        from importlib import metadata

        for dist in (self.distribution or self.name, self.name, self.module, self.module.replace("_", "-")):
            try:
                return metadata.version(dist)
            except metadata.PackageNotFoundError:
                continue
        return "?"


# ---------------------------------------------------------------- LangGraph: StateGraph


async def _langgraph_diamond() -> RunOne:
    from langgraph.graph import END, START, StateGraph

    class State(TypedDict, total=False):
        x: int
        p: int
        a: int
        b: int
        out: int

    async def prepare_node(state: State) -> State:
        return {"p": await prepare(state["x"])}

    async def a_node(state: State) -> State:
        return {"a": await step_a(state["p"])}

    async def b_node(state: State) -> State:
        return {"b": await step_b(state["p"])}

    async def merge_node(state: State) -> State:
        return {"out": await merge(state["a"], state["b"])}

    graph = StateGraph(State)
    graph.add_node("prepare", prepare_node)
    graph.add_node("a", a_node)
    graph.add_node("b", b_node)
    graph.add_node("merge", merge_node)
    graph.add_edge(START, "prepare")
    graph.add_edge("prepare", "a")
    graph.add_edge("prepare", "b")
    graph.add_edge(["a", "b"], "merge")
    graph.add_edge("merge", END)
    app = graph.compile()

    async def run(x: int) -> int:
        result = await app.ainvoke({"x": x})
        return int(result["out"])

    return run


async def _langgraph_fanout(width: int) -> RunOne:
    from langgraph.graph import END, START, StateGraph

    class State(TypedDict, total=False):
        x: int
        s: int
        values: Annotated[list[int], operator.add]
        out: int

    async def src_node(state: State) -> State:
        return {"s": await src(state["x"])}

    async def branch_node(state: State) -> State:
        return {"values": [await inc(state["s"])]}

    async def join_node(state: State) -> State:
        return {"out": await total(state["values"])}

    graph = StateGraph(State)
    graph.add_node("src", src_node)
    names = [f"n{i}" for i in range(width)]
    for name in names:
        graph.add_node(name, branch_node)
        graph.add_edge("src", name)
    graph.add_node("join", join_node)
    graph.add_edge(START, "src")
    graph.add_edge(names, "join")
    graph.add_edge("join", END)
    app = graph.compile()

    async def run(x: int) -> int:
        result = await app.ainvoke({"x": x, "values": []})
        return int(result["out"])

    return run


async def _langgraph_skew_n() -> RunOne:
    from langgraph.graph import END, START, StateGraph

    class State(TypedDict, total=False):
        x: int
        a: int
        b: int
        c: int
        d: int
        out: int

    async def a_node(state: State) -> State:
        return {"a": await delay(state["x"], 50)}

    async def b_node(state: State) -> State:
        return {"b": await delay(state["x"], 10)}

    async def c_node(state: State) -> State:
        return {"c": await delay2(state["a"], state["b"], 10)}

    async def d_node(state: State) -> State:
        return {"d": await delay(state["b"], 60)}

    async def out_node(state: State) -> State:
        return {"out": await merge(state["c"], state["d"])}

    graph = StateGraph(State)
    for name, fn in (("a", a_node), ("b", b_node), ("c", c_node), ("d", d_node), ("out", out_node)):
        graph.add_node(name, fn)
    graph.add_edge(START, "a")
    graph.add_edge(START, "b")
    graph.add_edge(["a", "b"], "c")
    graph.add_edge("b", "d")
    graph.add_edge(["c", "d"], "out")
    graph.add_edge("out", END)
    app = graph.compile()

    async def run(x: int) -> int:
        result = await app.ainvoke({"x": x})
        return int(result["out"])

    return run


# ---------------------------------------------------------------- Hamilton: functions as nodes


async def _hamilton_driver(functions: list[Callable[..., Any]]) -> Any:
    from hamilton import ad_hoc_utils, async_driver

    module = ad_hoc_utils.create_temporary_module(*functions)
    return await async_driver.Builder().with_modules(module).build()


async def _hamilton_diamond() -> RunOne:
    async def prepared(x: int) -> int:
        return await prepare(x)

    async def a(prepared: int) -> int:
        return await step_a(prepared)

    async def b(prepared: int) -> int:
        return await step_b(prepared)

    async def merged(a: int, b: int) -> int:
        return await merge(a, b)

    driver = await _hamilton_driver([prepared, a, b, merged])

    async def run(x: int) -> int:
        result = await driver.execute(["merged"], inputs={"x": x})
        return int(result["merged"])

    return run


async def _hamilton_fanout(width: int) -> RunOne:
    # Hamilton names nodes after functions and inputs after parameters: the 200 branches are
    # 200 functions of `source`, the join a function of all of them.
    async def source(x: int) -> int:
        return await src(x)

    def make_branch(name: str) -> Callable[[int], Awaitable[int]]:
        async def branch(source: int) -> int:
            return await inc(source)

        branch.__name__ = branch.__qualname__ = name
        return branch

    names = [f"n{i}" for i in range(width)]
    branches = [make_branch(name) for name in names]
    namespace: dict[str, Any] = {"total": total}
    exec(  # a function with `width` named parameters, as one would write it by hand
        f"async def joined({', '.join(f'{n}: int' for n in names)}) -> int:\n"
        f"    return await total([{', '.join(names)}])\n",
        namespace,
    )
    driver = await _hamilton_driver([source, *branches, namespace["joined"]])

    async def run(x: int) -> int:
        result = await driver.execute(["joined"], inputs={"x": x})
        return int(result["joined"])

    return run


async def _hamilton_skew_n() -> RunOne:
    async def a(x: int) -> int:
        return await delay(x, 50)

    async def b(x: int) -> int:
        return await delay(x, 10)

    async def c(a: int, b: int) -> int:
        return await delay2(a, b, 10)

    async def d(b: int) -> int:
        return await delay(b, 60)

    async def out(c: int, d: int) -> int:
        return await merge(c, d)

    driver = await _hamilton_driver([a, b, c, d, out])

    async def run(x: int) -> int:
        result = await driver.execute(["out"], inputs={"x": x})
        return int(result["out"])

    return run


# ---------------------------------------------------------------- pydantic-graph: GraphBuilder


async def _pydantic_graph_diamond() -> RunOne:
    from pydantic_graph import GraphBuilder, StepContext, reduce_list_append

    g = GraphBuilder(input_type=int, output_type=int)

    @g.step
    async def prepared(ctx: StepContext[None, None, int]) -> int:
        return await prepare(ctx.inputs)

    @g.step
    async def a(ctx: StepContext[None, None, int]) -> int:
        return await step_a(ctx.inputs)

    @g.step
    async def b(ctx: StepContext[None, None, int]) -> int:
        return await step_b(ctx.inputs)

    collect = g.join(reduce_list_append, initial_factory=list[int])

    @g.step
    async def merged(ctx: StepContext[None, None, list[int]]) -> int:
        first, second = ctx.inputs
        return await merge(first, second)

    g.add(
        g.edge_from(g.start_node).to(prepared),
        g.edge_from(prepared).to(a, b),
        g.edge_from(a, b).to(collect),
        g.edge_from(collect).to(merged),
        g.edge_from(merged).to(g.end_node),
    )
    graph = g.build()

    async def run(x: int) -> int:
        return int(await graph.run(inputs=x))

    return run


async def _pydantic_graph_fanout(width: int) -> RunOne:
    from pydantic_graph import GraphBuilder, StepContext, reduce_list_append

    g = GraphBuilder(input_type=int, output_type=int)

    @g.step
    async def source(ctx: StepContext[None, None, int]) -> int:
        return await src(ctx.inputs)

    async def branch(ctx: StepContext[None, None, int]) -> int:
        return await inc(ctx.inputs)

    branches = [g.step(branch, node_id=f"n{i}") for i in range(width)]
    collect = g.join(reduce_list_append, initial_factory=list[int])

    @g.step
    async def joined(ctx: StepContext[None, None, list[int]]) -> int:
        return await total(ctx.inputs)

    g.add(
        g.edge_from(g.start_node).to(source),
        g.edge_from(source).to(*branches),
        g.edge_from(*branches).to(collect),
        g.edge_from(collect).to(joined),
        g.edge_from(joined).to(g.end_node),
    )
    graph = g.build()

    async def run(x: int) -> int:
        return int(await graph.run(inputs=x))

    return run


async def _pydantic_graph_skew_n() -> RunOne:
    from pydantic_graph import GraphBuilder, StepContext, reduce_list_append

    g = GraphBuilder(input_type=int, output_type=int)

    @g.step
    async def a(ctx: StepContext[None, None, int]) -> int:
        return await delay(ctx.inputs, 50)

    @g.step
    async def b(ctx: StepContext[None, None, int]) -> int:
        return await delay(ctx.inputs, 10)

    @g.step
    async def c(ctx: StepContext[None, None, list[int]]) -> int:
        first, second = ctx.inputs  # delay2 is symmetric in its two inputs
        return await delay2(first, second, 10)

    @g.step
    async def d(ctx: StepContext[None, None, int]) -> int:
        return await delay(ctx.inputs, 60)

    @g.step
    async def out(ctx: StepContext[None, None, list[int]]) -> int:
        first, second = ctx.inputs
        return await merge(first, second)

    into_c = g.join(reduce_list_append, initial_factory=list[int], node_id="into_c")
    into_out = g.join(reduce_list_append, initial_factory=list[int], node_id="into_out")
    g.add(
        g.edge_from(g.start_node).to(a, b),
        g.edge_from(a).to(into_c),
        g.edge_from(b).to(into_c, d),
        g.edge_from(into_c).to(c),
        g.edge_from(c, d).to(into_out),
        g.edge_from(into_out).to(out),
        g.edge_from(out).to(g.end_node),
    )
    graph = g.build()

    async def run(x: int) -> int:
        return int(await graph.run(inputs=x))

    return run


# ---------------------------------------------------------------- hush: GraphOp, @op, START >> … >> END


def _hush_op(fn: Callable[..., Awaitable[dict[str, int]]]) -> Any:
    from hush.core import op

    return op(fn)


async def _hush_engine(build: Callable[[Any, Any], None]) -> RunOne:
    """A hush graph built by `build(graph_module, PARENT)` inside `GraphOp`, whose last op
    maps its `out` to the graph's."""
    from hush.core import PARENT, GraphOp, Hush

    with GraphOp(name="bench") as graph:
        build(graph, PARENT)
    engine = Hush(graph)

    async def run(x: int) -> int:
        result = await engine.run(inputs={"x": x})
        return int(result["out"])

    return run


async def _hush_diamond() -> RunOne:
    from hush.core import END, START

    @_hush_op
    async def prepared(x: int) -> dict[str, int]:
        return {"v": await prepare(x)}

    @_hush_op
    async def a(x: int) -> dict[str, int]:
        return {"v": await step_a(x)}

    @_hush_op
    async def b(x: int) -> dict[str, int]:
        return {"v": await step_b(x)}

    @_hush_op
    async def merged(a: int, b: int) -> dict[str, int]:
        return {"out": await merge(a, b)}

    def build(graph: Any, parent: Any) -> None:
        p = prepared(x=parent["x"], name="prepare")
        na = a(x=p["v"], name="a")
        nb = b(x=p["v"], name="b")
        m = merged(a=na["v"], b=nb["v"], name="merge")
        m["out"] >> parent["out"]
        START >> p >> [na, nb] >> m >> END

    return await _hush_engine(build)


async def _hush_fanout(width: int) -> RunOne:
    from hush.core import END, START

    @_hush_op
    async def source(x: int) -> dict[str, int]:
        return {"v": await src(x)}

    @_hush_op
    async def branch(x: int) -> dict[str, int]:
        return {"v": await inc(x)}

    names = [f"n{i}" for i in range(width)]
    namespace: dict[str, Any] = {"total": total}
    exec(  # an op reads its inputs by parameter name: the join takes `width` named inputs
        f"async def joined({', '.join(f'{n}: int' for n in names)}) -> dict[str, int]:\n"
        f"    return {{'out': await total([{', '.join(names)}])}}\n",
        namespace,
    )
    joined = _hush_op(namespace["joined"])

    def build(graph: Any, parent: Any) -> None:
        s = source(x=parent["x"], name="src")
        branches = [branch(x=s["v"], name=name) for name in names]
        j = joined(**{name: node["v"] for name, node in zip(names, branches)}, name="join")
        j["out"] >> parent["out"]
        START >> s >> branches >> j >> END

    return await _hush_engine(build)


async def _hush_skew_n() -> RunOne:
    from hush.core import END, START

    @_hush_op
    async def sleep1(x: int, ms: int) -> dict[str, int]:
        return {"v": await delay(x, ms)}

    @_hush_op
    async def sleep2(x: int, y: int, ms: int) -> dict[str, int]:
        return {"v": await delay2(x, y, ms)}

    @_hush_op
    async def merged(a: int, b: int) -> dict[str, int]:
        return {"out": await merge(a, b)}

    def build(graph: Any, parent: Any) -> None:
        a = sleep1(x=parent["x"], ms=50, name="a")
        b = sleep1(x=parent["x"], ms=10, name="b")
        c = sleep2(x=a["v"], y=b["v"], ms=10, name="c")
        d = sleep1(x=b["v"], ms=60, name="d")
        out = merged(a=c["v"], b=d["v"], name="out")
        out["out"] >> parent["out"]
        START >> [a, b]
        [a, b] >> c
        b >> d
        [c, d] >> out >> END

    return await _hush_engine(build)


# ---------------------------------------------------------------- Kailash: WorkflowBuilder, code nodes


async def _kailash_engine(nodes: dict[str, str], edges: list[tuple[str, str]], last: str) -> RunOne:
    """A Kailash workflow of `AsyncPythonCodeNode`s (code strings that set `result` to a dict),
    each edge mapping the source's `result.value` to the target input named by the edge, run
    by `AsyncLocalRuntime`. `edges` are (source, "target.input")."""
    import logging

    from kailash.runtime import AsyncLocalRuntime
    from kailash.workflow.builder import WorkflowBuilder

    logging.getLogger("kailash").setLevel(logging.ERROR)  # it logs every run at INFO/WARNING
    builder = WorkflowBuilder()
    for node_id, code in nodes.items():
        builder.add_node("AsyncPythonCodeNode", node_id, {"code": code})
    for source, target in edges:
        node, param = target.split(".")
        builder.add_connection(source, "result.value", node, param)
    workflow = builder.build()
    runtime = AsyncLocalRuntime()

    async def run(x: int) -> int:
        # A code node swaps `asyncio.create_task` for its own while it runs and puts back
        # what it found; two nodes running at once put back each other's: restore it here.
        create_task = asyncio.create_task
        try:
            results, _ = await runtime.execute_workflow_async(workflow, inputs={"x": x})
        finally:
            asyncio.create_task = create_task
        return int(results[last]["result"]["value"])

    return run


async def _kailash_diamond() -> RunOne:
    return await _kailash_engine(
        {
            "prepare": "result = {'value': x + 1}",
            "a": "result = {'value': p + 1}",
            "b": "result = {'value': p + 1}",
            "merge": "result = {'value': a + b}",
        },
        [("prepare", "a.p"), ("prepare", "b.p"), ("a", "merge.a"), ("b", "merge.b")],
        "merge",
    )


async def _kailash_fanout(width: int) -> RunOne:
    names = [f"n{i}" for i in range(width)]
    nodes = {"src": "result = {'value': x + 1}"}
    nodes |= {name: "result = {'value': s + 1}" for name in names}
    nodes["join"] = f"result = {{'value': sum([{', '.join(names)}])}}"
    edges = [("src", f"{name}.s") for name in names] + [(name, f"join.{name}") for name in names]
    return await _kailash_engine(nodes, edges, "join")


async def _kailash_skew_n() -> RunOne:
    def sleeping(ms: int, value: str) -> str:
        return f"import asyncio\nawait asyncio.sleep({ms / 1000})\nresult = {{'value': {value}}}"

    return await _kailash_engine(
        {
            "a": sleeping(50, "x + 1"),
            "b": sleeping(10, "x + 1"),
            "c": sleeping(10, "ca + cb"),
            "d": sleeping(60, "db + 1"),
            "out": "result = {'value': c + d}",
        },
        [("a", "c.ca"), ("b", "c.cb"), ("b", "d.db"), ("c", "out.c"), ("d", "out.d")],
        "out",
    )


ENGINES: tuple[Engine, ...] = (
    Engine("hush-ai", "hush.core", _hush_diamond, _hush_fanout, _hush_skew_n),
    Engine("langgraph", "langgraph", _langgraph_diamond, _langgraph_fanout, _langgraph_skew_n),
    Engine("kailash", "kailash", _kailash_diamond, _kailash_fanout, _kailash_skew_n),
    Engine("sf-hamilton", "hamilton", _hamilton_diamond, _hamilton_fanout, _hamilton_skew_n),
    Engine("pydantic-graph", "pydantic_graph", _pydantic_graph_diamond, _pydantic_graph_fanout, _pydantic_graph_skew_n),
)


def available_engines() -> list[Engine]:
    """The engines whose packages are installed."""
    return [engine for engine in ENGINES if engine.installed()]


def missing_engines() -> list[Engine]:
    """The engines whose packages are not installed."""
    return [engine for engine in ENGINES if not engine.installed()]
