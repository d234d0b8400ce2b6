"""Steps of the guard_mistyped case: a lookup giving `int`, consumers of three types."""

table: dict[str, int] = {"one": 1}
wanted_int: list[object] = []  # what `need_int` was given


async def lookup(key: str) -> int:
    return table[key]


async def label(key: str) -> str:
    return f"no {key}"


async def need_int(v: int) -> int:
    wanted_int.append(v)
    return v


async def need_union(v: int | str) -> int | str:
    return v


async def need_optional(v: int | None) -> int | None:
    return v
