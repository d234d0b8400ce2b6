"""Steps of the journal case: each counts its calls by name; `check` fails for the values in
`failing`, `flaky` fails its first `flaky_failures` calls."""

import collections
from collections.abc import Callable
from dataclasses import dataclass

calls: collections.Counter[str] = collections.Counter()
failing: set[int] = set()
flaky_failures = 0


def reset(fail: set[int] | None = None, flaky: int = 0) -> None:
    global flaky_failures
    calls.clear()
    failing.clear()
    failing.update(fail or set())
    flaky_failures = flaky


async def count(name: str, x: int) -> int:
    calls[name] += 1
    return x + 1


def count_now(name: str, x: int) -> int:
    calls[name] += 1
    return x + 1


async def shout(x: str) -> str:
    calls["shout"] += 1
    return x.upper()


async def broken(x: int) -> int:
    calls["broken"] += 1
    raise ConnectionError(f"broken {x}")


async def fix(x: int) -> int:
    calls["fix"] += 1
    return -x


async def check(x: int) -> int:
    calls["check"] += 1
    if x in failing:
        raise ValueError(f"check {x}")
    return 10 * x


async def flaky(x: int) -> int:
    global flaky_failures
    calls["flaky"] += 1
    if flaky_failures > 0:
        flaky_failures -= 1
        raise TimeoutError(f"flaky {x}")
    return x * 100


@dataclass
class Handle:
    """A value pickle cannot serialize: it holds a function made at run time."""

    read: Callable[[], int]


async def open_handle(x: int) -> Handle:
    calls["open_handle"] += 1
    return Handle(read=lambda: x)


async def use_handle(handle: Handle) -> int:
    calls["use_handle"] += 1
    return handle.read()
