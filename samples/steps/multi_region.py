"""Steps of `multi_region.flow`: per-region validation, processing and finalization.

Each region accepts only the products it sells and has a daily capacity; a region processes as
many units as it both accepts and has room for.
"""

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CATALOG = {
    "us-east": {"widgets", "gadgets", "gizmos"},
    "us-west": {"widgets", "gadgets"},
    "eu-west": {"widgets", "gizmos"},
    "ap-south": {"gadgets", "gizmos"},
}
CAPACITY = {"us-east": 10, "us-west": 5, "eu-west": 6, "ap-south": 4}
LATENCY = {"us-east": 0.005, "us-west": 0.01, "eu-west": 0.015, "ap-south": 0.02}


class UnknownRegion(Exception):
    """A region this deployment does not serve."""


@dataclass(frozen=True)
class Validated:
    region: str
    items: dict[str, int]


@dataclass(frozen=True)
class Processed:
    region: str
    count: int
    overflow: int


@dataclass(frozen=True)
class RegionResult:
    region: str
    count: int
    overflow: int
    status: str


@dataclass(frozen=True)
class MultiRegionReport:
    regions: dict[str, RegionResult]
    total_processed: int


async def validate_for_region(region: str, data: Mapping[str, int]) -> Validated:
    """Keep the positive quantities of the products the region sells."""
    if region not in CATALOG:
        raise UnknownRegion(region)
    await asyncio.sleep(LATENCY[region])
    return Validated(region=region, items={k: v for k, v in data.items() if k in CATALOG[region] and v > 0})


async def process_in_region(region: str, validated: Validated) -> Processed:
    """Process up to the region's capacity."""
    await asyncio.sleep(LATENCY[region])
    wanted = sum(validated.items.values())
    count = min(wanted, CAPACITY[region])
    return Processed(region=region, count=count, overflow=wanted - count)


async def finalize_region(region: str, processed: Processed) -> RegionResult:
    """Seal the region's result."""
    await asyncio.sleep(0.002)
    status = "partial" if processed.overflow else "complete"
    return RegionResult(region=region, count=processed.count, overflow=processed.overflow, status=status)


def combine_regions(regions: Sequence[str], results: Sequence[RegionResult]) -> MultiRegionReport:
    """Every region's result by name, and the units processed in all."""
    return MultiRegionReport(
        regions=dict(zip(regions, results)),
        total_processed=sum(r.count for r in results),
    )
