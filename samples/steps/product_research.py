"""Steps of `product_research.flow`: five simulated search sources and the report.

Deterministic misbehaviour, per product: Amazon is unavailable on the first attempt, the price
sites drop the connection twice, YouTube never answers in time and the expert-review site is
down. Every flaky source answers once its attempts are used up, and then forgets them.
"""

import asyncio
from dataclasses import dataclass

_attempts: dict[tuple[str, str], int] = {}


class SearchUnavailable(Exception):
    """A search source answered 503."""


@dataclass(frozen=True)
class SourceResult:
    source: str
    findings: list[str]


@dataclass(frozen=True)
class ResearchReport:
    product: str
    amazon_reviews: SourceResult | None
    reddit: SourceResult | None
    youtube: SourceResult | None
    prices: SourceResult | None
    expert_reviews: SourceResult | None
    sources_ok: int
    missing: list[str]


def reset() -> None:
    """Forget the attempts counted so far."""
    _attempts.clear()


def _fails(source: str, product: str, times: int) -> bool:
    """True for the first `times` attempts of `source` for `product`, then False (and forget)."""
    key = (source, product)
    _attempts[key] = _attempts.get(key, 0) + 1
    if _attempts[key] <= times:
        return True
    del _attempts[key]
    return False


async def search_amazon_reviews(product: str) -> SourceResult:
    await asyncio.sleep(0.01)
    if _fails("amazon", product, 1):
        raise SearchUnavailable("amazon: 503 Service Unavailable")
    return SourceResult(source="amazon", findings=[f"{product}: 4.4 stars over 1,204 reviews"])


async def search_reddit(product: str) -> SourceResult:
    await asyncio.sleep(0.02)
    return SourceResult(source="reddit", findings=[f"r/audiophile likes the {product}", "battery complaints"])


async def search_youtube(product: str) -> SourceResult:
    await asyncio.sleep(1.0)  # never within the flow's 50 ms budget
    return SourceResult(source="youtube", findings=[f"{product} unboxing"])


async def search_price_sites(product: str) -> SourceResult:
    await asyncio.sleep(0.005)
    if _fails("prices", product, 2):
        raise ConnectionError("prices: connection reset")
    return SourceResult(source="prices", findings=["lowest: $199 at ShopA", "highest: $249 at ShopB"])


async def search_expert_reviews(product: str) -> SourceResult:
    await asyncio.sleep(0.015)
    raise SearchUnavailable("experts: 503 Service Unavailable")


async def compile_report(
    product: str,
    amazon_reviews: SourceResult | None,
    reddit: SourceResult | None,
    youtube: SourceResult | None,
    prices: SourceResult | None,
    expert_reviews: SourceResult | None,
) -> ResearchReport:
    """The aggregation: what every source found, and which sources are missing."""
    await asyncio.sleep(0.001)
    sources = {
        "amazon_reviews": amazon_reviews,
        "reddit": reddit,
        "youtube": youtube,
        "prices": prices,
        "expert_reviews": expert_reviews,
    }
    return ResearchReport(
        product=product,
        amazon_reviews=amazon_reviews,
        reddit=reddit,
        youtube=youtube,
        prices=prices,
        expert_reviews=expert_reviews,
        sources_ok=sum(1 for r in sources.values() if r is not None),
        missing=[name for name, r in sources.items() if r is None],
    )
