"""Steps of the guard_combo case: how `fetch` behaves depends on the URL's scheme.

ok:      10 ms, then its page
slow:    the first attempt hangs, later ones are ok
flaky:   the first two attempts raise `ConnectionError`, later ones are ok
dead:    every attempt hangs
bad:     every attempt raises `ValueError`
"""

import asyncio

starts: dict[str, list[float]] = {}  # url -> event-loop time of each attempt
cancelled: list[str] = []
running = 0
peak = 0


async def fetch(url: str) -> str:
    global running, peak
    attempt = len(starts.setdefault(url, []))
    starts[url].append(asyncio.get_running_loop().time())
    kind = url.split(":")[0]
    running += 1
    peak = max(peak, running)
    try:
        if kind == "flaky" and attempt < 2:
            raise ConnectionError(url)
        if kind == "bad":
            raise ValueError(url)
        hangs = kind == "dead" or (kind == "slow" and attempt == 0)
        await asyncio.sleep(5.0 if hangs else 0.01)
    except asyncio.CancelledError:
        cancelled.append(url)
        raise
    finally:
        running -= 1
    return url.upper()


def join(pages: list[str]) -> str:
    return " ".join(pages)
