"""What the check that a `sync` or `thread` callee returned no awaitable costs a run.

`python bench/awaitable_check.py`: compiles a flow of a chain of `sync` nodes and one of
`thread` nodes, then times each module against a copy of it without the check (`_plain(n, v)`
replaced by `v`, `_in_thread(n, f)` by `f`), interleaved, best of several rounds.
"""

from __future__ import annotations

import ast
import asyncio
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flowc import compile_source  # noqa: E402

CHAIN = 50


def flow(mode: str) -> str:
    nodes = "\n".join(f"    node n{i} = step(x={'x' if i == 0 else f'n{i - 1}'}) {mode}" for i in range(CHAIN))
    edges = " >> ".join(f"n{i}" for i in range(CHAIN))
    return (
        "from _awaitable_check_steps import step\n\n"
        f"flow chain(x: int) -> int {{\n{nodes}\n    START >> {edges} >> END\n    return n{CHAIN - 1}\n}}\n"
    )


class Unchecked(ast.NodeTransformer):
    """The module as it was before the check: the checked value or callee itself."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in ("_plain", "_in_thread"):
            return node.args[1]
        return node


def load(code: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(code, name, "exec"), module.__dict__)  # noqa: S102 - our own generated code
    return module


def per_run(module: types.ModuleType, runs: int) -> float:
    async def many() -> None:
        for _ in range(runs):
            await module.chain(1)

    start = time.perf_counter()
    asyncio.run(many())
    return (time.perf_counter() - start) / runs


def measure(mode: str, runs: int, rounds: int) -> tuple[float, float]:
    code = compile_source(flow(mode), "chain.flow")
    tree = Unchecked().visit(ast.parse(code))
    checked, unchecked = load(code, "checked"), load(ast.unparse(tree), "unchecked")
    with_check, without = [], []
    for _ in range(rounds):
        with_check.append(per_run(checked, runs))
        without.append(per_run(unchecked, runs))
    return min(with_check), min(without)


def main() -> None:
    steps = types.ModuleType("_awaitable_check_steps")
    exec("def step(x: int) -> int:\n    return x\n", steps.__dict__)  # noqa: S102
    sys.modules[steps.__name__] = steps
    print(f"a chain of {CHAIN} nodes, best of 7 rounds")
    for mode, runs in (("sync", 2000), ("thread", 40)):
        checked, unchecked = measure(mode, runs, 7)
        per_node = (checked - unchecked) / CHAIN * 1e9
        print(
            f"{mode:>6}: {unchecked * 1e6:9.1f} us without the check, {checked * 1e6:9.1f} us with it: "
            f"{checked / unchecked:.3f}x, {per_node:+.0f} ns a node"
        )


if __name__ == "__main__":
    main()
