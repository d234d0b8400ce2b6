"""Settings given at run time, tested on the helpers themselves (`flowc/codegen/runtime.py`):
the checks of limits, counts and durations from a flow's parameters (`_count`, `_seconds`)
and pools changed while calls hold and wait for their slots (`_Pool.configure`,
`_configure_pool`). Orderings and counts only; no timing is asserted but from one side."""

from __future__ import annotations

import asyncio
import threading

import pytest

from flowc.codegen.runtime import _configure_pool, _count, _Policies, _Policy, _Pool, _seconds

WHAT = "flow `f`, node `n` (f.flow:3): `limit width`"

# ---------------------------------------------------------------- _count and _seconds


@pytest.mark.parametrize("value", [1, 7, 1_000_000_000])
def test_count_takes_whole_numbers_in_range(value: int) -> None:
    assert _count(value, 1, WHAT) == value


def test_count_may_start_at_zero_for_retries() -> None:
    assert _count(0, 0, "`retry attempts`") == 0
    with pytest.raises(ValueError, match="from 0 to"):
        _count(-1, 0, "`retry attempts`")


@pytest.mark.parametrize("value", [0, -3, 1_000_000_001])
def test_count_out_of_range_is_a_value_error_naming_what_it_is_for(value: int) -> None:
    with pytest.raises(ValueError) as raised:
        _count(value, 1, WHAT)
    assert str(raised.value) == f"{WHAT} needs a whole number from 1 to 1000000000, got {value}"


@pytest.mark.parametrize("value", [True, 2.0, "4", None])
def test_count_of_another_type_is_a_type_error(value: object) -> None:
    with pytest.raises(TypeError, match="needs a whole number, got"):
        _count(value, 1, WHAT)


@pytest.mark.parametrize(("value", "seconds"), [(0.25, 0.25), (3, 3.0), (1e-6, 1e-6)])
def test_seconds_takes_positive_finite_numbers(value: float, seconds: float) -> None:
    assert _seconds(value, WHAT) == seconds


@pytest.mark.parametrize("value", [0, 0.0, -1.5, float("inf"), float("nan")])
def test_seconds_out_of_range_is_a_value_error(value: float) -> None:
    with pytest.raises(ValueError, match=r"`limit width` needs a positive number of seconds"):
        _seconds(value, WHAT)


@pytest.mark.parametrize("value", [False, "1s", None])
def test_seconds_of_another_type_is_a_type_error(value: object) -> None:
    with pytest.raises(TypeError, match="needs a number of seconds"):
        _seconds(value, WHAT)


def test_a_cap_below_its_backoff_is_a_value_error() -> None:
    assert _seconds(0.5, "`max cap`", 0.5) == 0.5
    with pytest.raises(ValueError, match=r"`max cap` needs at least the backoff, 0.5 seconds, got 0.1"):
        _seconds(0.1, "`max cap`", 0.5)


def test_policies_are_made_once_per_settings_and_kept_bounded() -> None:
    policies = _Policies()
    pool = _Pool("api", 2)
    first = policies.get(timeout=1.0, retries=2, pool=pool)
    assert first == _Policy(timeout=1.0, retries=2, pool=pool)
    assert policies.get(timeout=1.0, retries=2, pool=pool) is first  # the next run's, reused
    assert policies.get(timeout=1, retries=2, pool=pool) is first  # one second either way
    other = policies.get(timeout=1.0, retries=3, pool=pool)
    assert other is not first and other.retries == 3
    for retries in range(200):
        assert policies.get(retries=retries).retries == retries
    assert len(policies.made) <= 64


# ---------------------------------------------------------------- pools configured at run time


class Holders:
    """Calls that hold a slot of a pool until told to end, counting how many are in flight."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.running = 0
        self.peak = 0
        self.started: list[int] = []
        self.ended: list[int] = []
        self.release: dict[int, asyncio.Event] = {}

    async def call(self, i: int) -> None:
        self.release[i] = asyncio.Event()
        await self.pool.acquire()
        try:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.started.append(i)
            await self.release[i].wait()
        finally:
            self.running -= 1
            self.ended.append(i)
            self.pool.release()

    def end(self, *calls: int) -> None:
        for i in calls:
            self.release[i].set()


async def settle() -> None:
    """Let every ready task run until all wait again."""
    for _ in range(10):
        await asyncio.sleep(0)


def test_lowering_a_limit_cancels_nothing_and_holds_new_calls_back() -> None:
    pool = _Pool("api", 4)
    calls = Holders(pool)

    async def main() -> None:
        tasks = [asyncio.create_task(calls.call(i)) for i in range(8)]
        await settle()
        assert calls.started == [0, 1, 2, 3] and pool.in_use() == 4
        pool.configure(limit=2)
        await settle()
        assert calls.running == 4 and not any(t.done() for t in tasks)  # nothing cancelled
        calls.end(0)
        await settle()
        assert calls.started == [0, 1, 2, 3] and pool.in_use() == 3  # the slot is gone
        calls.end(1, 2)
        await settle()
        assert calls.started == [0, 1, 2, 3, 4] and calls.running == 2  # one in for two out
        calls.peak = calls.running
        calls.end(3, 4, 5, 6, 7)
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
        assert calls.peak == 2 and calls.started == list(range(8)) and pool.in_use() == 0

    asyncio.run(main())


def test_raising_a_limit_starts_waiting_calls_at_once_in_their_order() -> None:
    pool = _Pool("api", 1)
    calls = Holders(pool)

    async def main() -> None:
        tasks = [asyncio.create_task(calls.call(i)) for i in range(6)]
        await settle()
        assert calls.started == [0]
        pool.configure(limit=4)
        await settle()
        assert calls.started == [0, 1, 2, 3] and calls.running == 4  # no call ended meanwhile
        calls.end(0)
        await settle()
        assert calls.started == [0, 1, 2, 3, 4] and calls.running == 4
        calls.end(1, 2, 3, 4, 5)
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
        assert calls.peak == 4 and pool.in_use() == 0

    asyncio.run(main())


def test_a_waiter_cancelled_before_a_raised_limit_frees_its_turn() -> None:
    pool = _Pool("api", 1)
    calls = Holders(pool)

    async def main() -> None:
        tasks = [asyncio.create_task(calls.call(i)) for i in range(4)]
        await settle()
        tasks[1].cancel()
        await settle()
        pool.configure(limit=3)
        await settle()
        assert calls.started == [0, 2, 3] and pool.in_use() == 3
        calls.end(0, 2, 3)
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=5)
        assert pool.in_use() == 0

    asyncio.run(main())


def test_a_configured_limit_holds_on_the_next_event_loop() -> None:
    pool = _Pool("api", 2)

    async def peak(n: int) -> int:
        calls = Holders(pool)
        tasks = [asyncio.create_task(calls.call(i)) for i in range(n)]
        await settle()
        found = calls.running
        calls.end(*range(n))
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
        return found

    assert asyncio.run(peak(6)) == 2
    pool.configure(limit=5)  # no loop running: for the runs to come
    assert asyncio.run(peak(8)) == 5
    pool.configure(limit=1)
    assert asyncio.run(peak(3)) == 1


def test_configure_from_another_thread_reaches_a_running_loop() -> None:
    pool = _Pool("api", 1)
    calls = Holders(pool)

    async def main() -> None:
        tasks = [asyncio.create_task(calls.call(i)) for i in range(3)]
        await settle()
        assert calls.started == [0]
        thread = threading.Thread(target=pool.configure, kwargs={"limit": 3})
        thread.start()
        while thread.is_alive():
            await asyncio.sleep(0.001)
        for _ in range(100):
            if len(calls.started) == 3:
                break
            await asyncio.sleep(0.001)
        assert calls.started == [0, 1, 2]
        calls.end(0, 1, 2)
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)

    asyncio.run(main())


def test_a_rate_can_be_changed_and_added() -> None:
    pool = _Pool("search", 10)
    pool.configure(rate=2, per=0.2)
    starts: list[float] = []

    async def main() -> None:
        async def one() -> None:
            await pool.acquire()
            starts.append(asyncio.get_running_loop().time())
            pool.release()

        await asyncio.gather(*(one() for _ in range(4)))

    asyncio.run(main())
    assert starts[2] - starts[0] >= 0.2 - 0.015 and starts[3] - starts[1] >= 0.2 - 0.015
    assert (pool.rate, pool.per) == (2, 0.2)
    pool.configure(rate=50)  # the window stays
    assert (pool.limit, pool.rate, pool.per) == (10, 50, 0.2)
    starts.clear()
    asyncio.run(main())
    assert starts[-1] - starts[0] < 0.15  # four starts fit in a window of fifty


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        ({"limit": 0}, ValueError, "pool `api`: `limit` needs a whole number from 1 to 1000000000, got 0"),
        ({"limit": 2_000_000_000}, ValueError, "pool `api`: `limit` needs a whole number from 1"),
        ({"rate": -1, "per": 1.0}, ValueError, "pool `api`: `rate` needs a whole number from 1"),
        ({"rate": 5, "per": 0}, ValueError, "pool `api`: `per` needs a positive number of seconds, got 0"),
        ({"rate": 5}, ValueError, "pool `api` has no rate window: give `per` with `rate`"),
        ({"per": 1.0}, ValueError, "pool `api` has no rate: give `rate` with `per`"),
        ({"limit": 2.5}, TypeError, "pool `api`: `limit` needs a whole number, got 2.5"),
        ({"limit": True}, TypeError, "pool `api`: `limit` needs a whole number, got True"),
    ],
)
def test_invalid_settings_change_nothing(settings: dict[str, object], error: type[Exception], message: str) -> None:
    pool = _Pool("api", 3)
    with pytest.raises(error) as raised:
        pool.configure(**settings)  # type: ignore[arg-type]
    assert str(raised.value).startswith(message)
    assert (pool.limit, pool.rate, pool.per) == (3, None, None)


def test_configure_pool_finds_the_pool_by_name_or_lists_those_there_are() -> None:
    api, search = _Pool("api", 3), _Pool("search", 2, rate=5, per=1.0)
    _configure_pool((api, search), "search", 4, None, 0.5)
    assert (search.limit, search.rate, search.per) == (4, 5, 0.5)
    assert api.limit == 3
    with pytest.raises(KeyError) as raised:
        _configure_pool((api, search), "apl", 1, None, None)
    assert raised.value.args[0] == "no pool named 'apl'; the pools of this module are 'api', 'search'"
    assert api.limit == 3
