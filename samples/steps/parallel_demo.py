"""Steps of `parallel_demo.flow`: hush's `CodeNode` lambdas as small coroutines."""

import asyncio


async def prepare(x: int) -> int:
    """The input, passed on as the value both branches read."""
    await asyncio.sleep(0.005)
    return x


async def double(x: int) -> int:
    """Branch A: `x * 2`."""
    await asyncio.sleep(0.02)
    return x * 2


async def triple(x: int) -> int:
    """Branch B: `x * 3`, concurrently with branch A."""
    await asyncio.sleep(0.02)
    return x * 3


async def add(a: int, b: int) -> int:
    """The merge: `a + b`."""
    await asyncio.sleep(0.001)
    return a + b
