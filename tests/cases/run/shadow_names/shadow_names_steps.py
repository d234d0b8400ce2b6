"""Steps of the shadow_names case: `add` fails on a negative `x`, and once for each `y` in
`flaky`."""

flaky: set[int] = set()


async def add(x: int, y: int) -> int:
    if x < 0:
        raise ValueError(f"negative: {x}")
    if y in flaky:
        flaky.remove(y)
        raise ConnectionError("flaky")
    return x + y


async def grow(xs: list[int], x: int) -> int:
    """Appends to its list: a default list shared between runs would show it."""
    xs.append(x)
    return len(xs)
