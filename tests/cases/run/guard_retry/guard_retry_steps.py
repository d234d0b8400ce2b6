"""Steps of the guard_retry case: a call that follows a script, one outcome per attempt."""

import asyncio


class Transient(ValueError):
    """An error the `listed` flow retries (and so its subclasses)."""


class Blip(Transient):
    pass


# key -> the outcome of each attempt in turn: a value, an error to raise, or a float: sleep
# that long, then return 0
scripts: dict[str, list[int | float | BaseException]] = {}
# key -> the event-loop time at which each attempt started
starts: dict[str, list[float]] = {}


async def flaky(key: str) -> int:
    starts.setdefault(key, []).append(asyncio.get_running_loop().time())
    outcome = scripts[key].pop(0)
    if isinstance(outcome, BaseException):
        raise outcome
    if isinstance(outcome, float):
        await asyncio.sleep(outcome)
        return 0
    return outcome
