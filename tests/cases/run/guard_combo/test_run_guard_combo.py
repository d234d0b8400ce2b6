import asyncio
from types import ModuleType

import pytest

MS = 0.001


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["guard_combo"] == []


@pytest.fixture(autouse=True)
def fresh(steps: ModuleType) -> None:
    steps.starts.clear()
    steps.cancelled.clear()
    steps.peak = 0


def gaps(steps: ModuleType, url: str) -> list[float]:
    times = steps.starts[url]
    return [b - a for a, b in zip(times, times[1:])]


def crawl(flows: ModuleType, urls: list[str]) -> str:
    """Run `crawl`; check that it leaves no task behind, whether it returns or raises."""
    left: list[asyncio.Task[object]] = []

    async def main() -> str:
        try:
            result: str = await asyncio.wait_for(flows.crawl(urls=urls), timeout=3.0)
            return result
        finally:
            left.extend(task for task in asyncio.all_tasks() if task is not asyncio.current_task())

    try:
        return asyncio.run(main())
    finally:
        assert left == []


def test_every_guard_at_once(flow_module: ModuleType, steps: ModuleType) -> None:
    urls = ["ok:1", "slow:2", "ok:3", "flaky:4", "ok:5", "slow:6", "ok:7", "flaky:8"]
    assert crawl(flow_module, urls) == " ".join(url.upper() for url in urls)
    assert {url: len(times) for url, times in steps.starts.items()} == {
        url: {"ok": 1, "slow": 2, "flaky": 3}[url.split(":")[0]] for url in urls
    }
    assert steps.peak == 3  # the pool's limit, reached and never passed
    assert sorted(steps.cancelled) == ["slow:2", "slow:6"]  # each timed out once
    for url in ["slow:2", "slow:6"]:
        assert gaps(steps, url)[0] >= 0.08 + 0.01 - MS  # the timeout, then the backoff
    for url in ["flaky:4", "flaky:8"]:
        first, second = gaps(steps, url)
        assert first >= 0.01 - MS and second >= 0.02 - MS


def test_an_element_that_always_times_out_fails_the_run(flow_module: ModuleType, steps: ModuleType) -> None:
    with pytest.raises(TimeoutError) as caught:
        crawl(flow_module, ["ok:0", "slow:1", "dead:2", "ok:3"])
    assert len(steps.starts["dead:2"]) == 3
    assert steps.cancelled.count("dead:2") == 3
    assert "node `pages`, element 2" in caught.value.__notes__[0]
    # Every slot came back: the next crawl uses all three.
    steps.peak = 0
    assert crawl(flow_module, [f"ok:{i}" for i in range(6)]).count("OK:") == 6
    assert steps.peak == 3


def test_an_error_not_listed_is_not_retried(flow_module: ModuleType, steps: ModuleType) -> None:
    with pytest.raises(ValueError, match="bad:1"):
        crawl(flow_module, ["ok:0", "bad:1"])
    assert len(steps.starts["bad:1"]) == 1


def test_collect_with_a_map_limit(flow_module: ModuleType, steps: ModuleType) -> None:
    urls = ["ok:0", "dead:1", "flaky:2", "bad:3", "slow:4", "ok:5"]
    pages = asyncio.run(flow_module.crawl_some(urls=urls))
    assert [page if isinstance(page, str) else type(page) for page in pages] == [
        "OK:0",
        TimeoutError,
        "FLAKY:2",
        ValueError,
        "SLOW:4",
        "OK:5",
    ]
    # Without `on`, every error is retried: "bad:3" too.
    assert [len(steps.starts[url]) for url in urls] == [1, 3, 3, 3, 2, 1]
    assert steps.peak == 2  # the map's limit, below the pool's
