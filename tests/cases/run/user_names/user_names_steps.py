"""Steps of the user_names case, named like the generated module's former own names."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class T:
    value: int


async def time(x: int) -> int:
    return x + 1


async def random(x: int) -> int:
    return x * 2


def dataclass(x: int) -> list[int]:
    return list(range(x))


async def Callable(x: int) -> int:  # noqa: N802
    return x * 10


def X(values: list[int | Exception]) -> int:  # noqa: N802
    return sum(v for v in values if isinstance(v, int))
