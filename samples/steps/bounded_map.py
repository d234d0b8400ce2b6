"""Steps of `bounded_map.flow`: one transform per item, with its concurrency on record.

`peak_in_flight` is the most calls that ran at once since the last `reset()`: with the map's
`limit 10` and more than ten items it is exactly 10.
"""

import asyncio

in_flight = 0
peak_in_flight = 0


def reset() -> None:
    """Forget the concurrency seen so far."""
    global in_flight, peak_in_flight
    in_flight = 0
    peak_in_flight = 0


async def transform(item: str) -> str:
    """Normalize one item; shorter items take less time, so they finish out of order."""
    global in_flight, peak_in_flight
    in_flight += 1
    peak_in_flight = max(peak_in_flight, in_flight)
    try:
        await asyncio.sleep(0.002 * len(item))
        return f"{item.strip().lower().replace(' ', '-')}:{len(item.strip())}"
    finally:
        in_flight -= 1
