"""Steps of `error_isolation.flow`: three simulated services and their cached fallbacks.

The reliable service answers; the flaky one answers 503 every time (its retry fails too); the
slow one takes a second, far beyond its budget.
"""

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

LATENCY = {
    "https://stable.api.com/data": 0.01,
    "https://flaky.api.com/data": 0.005,
    "https://slow.api.com/data": 1.0,
}
FAILING = {"https://flaky.api.com/data": 503}


class ServiceError(Exception):
    """A service answered with an error status."""


@dataclass(frozen=True)
class ServiceResult:
    service: str
    status: str
    data: dict[str, object]
    fallback_used: bool = False


@dataclass(frozen=True)
class ResilienceReport:
    results: dict[str, ServiceResult]
    succeeded: list[str] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)


async def call_service(name: str, url: str, payload: str) -> ServiceResult:
    """One service call; raises `ServiceError` on an error status."""
    await asyncio.sleep(LATENCY[url])
    if url in FAILING:
        raise ServiceError(f"{name}: HTTP {FAILING[url]}")
    return ServiceResult(service=name, status="success", data={"request": payload, "source": url})


async def use_cached(name: str, data: Mapping[str, object]) -> ServiceResult:
    """The failure handler: the service's last cached data, marked as a fallback."""
    await asyncio.sleep(0.001)
    return ServiceResult(service=name, status="failed", data=dict(data), fallback_used=True)


async def collect_all(results: Sequence[ServiceResult]) -> ResilienceReport:
    """Kailash's MergeNode, "collect_all": every service's result, sorted into ok and degraded."""
    await asyncio.sleep(0.001)
    return ResilienceReport(
        results={r.service: r for r in results},
        succeeded=[r.service for r in results if not r.fallback_used],
        degraded=[r.service for r in results if r.fallback_used],
    )
