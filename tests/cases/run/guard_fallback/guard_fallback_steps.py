"""Steps of the guard_fallback case: a table lookup that fails on a missing key."""

import asyncio

table: dict[str, int] = {"one": 1, "other": 7}
calls: list[str] = []  # "lookup <key>", "backup <key>", "pause end" in call order
# keys whose lookup sleeps this long first
slow: dict[str, float] = {}
# keys for which `backup` fails too
broken: set[str] = set()


async def lookup(key: str) -> int:
    calls.append(f"lookup {key}")
    await asyncio.sleep(slow.get(key, 0.0))
    return table[key]


async def backup(key: str, default: int) -> int:
    calls.append(f"backup {key}")
    if key in broken:
        raise LookupError(f"no backup for {key}")
    return default


def describe(v: int) -> str:
    return f"#{v}"


async def pause(delay: float) -> None:
    await asyncio.sleep(delay)
    calls.append("pause end")


def lookup_now(key: str) -> int:
    calls.append(f"lookup_now {key}")
    return table[key]


def backup_now(key: str) -> int:
    calls.append(f"backup_now {key}")
    return len(key)
