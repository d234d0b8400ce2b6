"""Optional: the diamond and the fan-out on general workflow engines, in their own idioms.

Each adapter is used only when its package is installed (`pip install langgraph
sf-hamilton pydantic-graph`); a missing package skips that engine without a word. The
steps are the same `steps` coroutines the flows call, so the figures compare the engines'
scheduling with the generated code's.
"""

from __future__ import annotations

import importlib.util
import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from steps import inc, merge, prepare, src, step_a, step_b, total

__all__ = ["ENGINES", "Engine", "available_engines"]

RunOne = Callable[[int], Awaitable[int]]


@dataclass(frozen=True)
class Engine:
    """One engine: how to tell it is installed, and how to build the two DAGs on it."""

    name: str
    module: str
    build_diamond: Callable[[], Awaitable[RunOne]]
    build_fanout: Callable[[int], Awaitable[RunOne]]

    def installed(self) -> bool:
        try:
            return importlib.util.find_spec(self.module) is not None
        except (ImportError, ValueError):
            return False

    def version(self) -> str:
        from importlib import metadata

        for dist in (self.name, self.module, self.module.replace("_", "-")):
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


ENGINES: tuple[Engine, ...] = (
    Engine("langgraph", "langgraph", _langgraph_diamond, _langgraph_fanout),
    Engine("sf-hamilton", "hamilton", _hamilton_diamond, _hamilton_fanout),
    Engine("pydantic-graph", "pydantic_graph", _pydantic_graph_diamond, _pydantic_graph_fanout),
)


def available_engines() -> list[Engine]:
    """The engines whose packages are installed."""
    return [engine for engine in ENGINES if engine.installed()]
