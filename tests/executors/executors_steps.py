"""Steps of `executors.flow`: plain module-level functions, so that an executor of other
processes can pickle them by reference and import this module in its workers.

Every call records itself in a state folder that all processes share (`state`, a path): a
JSON count guarded by an exclusive file lock, of the calls running now, the most that ever
ran at once, and the `x` of every call that started and that ended.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict


@dataclass(frozen=True)
class Call:
    """What one call returns: its element and the process it ran in."""

    x: int
    pid: int


class Count(TypedDict):
    running: int
    peak: int
    started: list[int]
    ended: list[int]


@contextmanager
def _locked(state: str) -> Iterator[Count]:
    """The count, read under the lock and written back when the block ends."""
    folder = Path(state)
    with open(folder / "lock", "a", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            path = folder / "count.json"
            count: Count = (
                json.loads(path.read_text(encoding="utf-8"))
                if path.exists()
                else {"running": 0, "peak": 0, "started": [], "ended": []}
            )
            yield count
            path.write_text(json.dumps(count), encoding="utf-8")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read(state: str) -> Count:
    """The count as it is now."""
    with _locked(state) as count:
        return count


def _start(x: int, state: str) -> None:
    with _locked(state) as count:
        count["running"] += 1
        count["peak"] = max(count["peak"], count["running"])
        count["started"].append(x)


def _end(x: int, state: str) -> None:
    with _locked(state) as count:
        count["running"] -= 1
        count["ended"].append(x)


def hold(x: int, seconds: float, meet: int, state: str) -> Call:
    """Wait until `meet` calls have run at once (10 s at most), then sleep: `seconds` for
    an `x` divisible by 3, a third of it otherwise, so that calls end out of input order."""
    _start(x, state)
    deadline = time.monotonic() + 10.0
    while read(state)["peak"] < meet and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(seconds if x % 3 == 0 else seconds / 3)
    _end(x, state)
    return Call(x=x, pid=os.getpid())


def slow(x: int, seconds: float, state: str) -> int:
    """A long call: `seconds`, unless a file `stop` appears in the state folder first."""
    _start(x, state)
    deadline = time.monotonic() + seconds
    while not (Path(state) / "stop").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    _end(x, state)
    return x


def here(x: int) -> int:
    """The fallback of a call of `slow` for element `x`: the process it runs in."""
    return os.getpid()


def flaky(x: int, state: str) -> int:
    """Fails on its first call for `x` (a `ValueError`), then returns how many calls there
    have been."""
    _start(x, state)
    _end(x, state)
    calls = read(state)["started"].count(x)
    if calls == 1:
        raise ValueError(f"the first call for {x} fails")
    return calls
