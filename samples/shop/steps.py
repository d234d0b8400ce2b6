"""Steps of the shop project: a pricing service and a stock service, each counted while
calls are in flight (their peaks show that every flow of every module shares one pool)."""

import asyncio
from dataclasses import dataclass

PRICES = {"apple": 0.5, "bread": 2.25, "cheese": 4.0, "dates": 3.5, "eggs": 2.75}
STOCK = {"apple": 40, "bread": 3, "cheese": 0, "dates": 12, "eggs": 24}

in_flight = {"pricing": 0, "stock": 0}
peak = {"pricing": 0, "stock": 0}


def reset() -> None:
    for service in in_flight:
        in_flight[service] = peak[service] = 0


async def _call(service: str) -> None:
    in_flight[service] += 1
    peak[service] = max(peak[service], in_flight[service])
    try:
        await asyncio.sleep(0.005)
    finally:
        in_flight[service] -= 1


@dataclass(frozen=True)
class Line:
    item: str
    quantity: int


@dataclass(frozen=True)
class Priced:
    item: str
    total: float


async def price(line: Line) -> Priced:
    await _call("pricing")
    return Priced(line.item, round(PRICES[line.item] * line.quantity, 2))


async def in_stock(line: Line) -> bool:
    await _call("stock")
    return STOCK[line.item] >= line.quantity


def subtotal(priced: list[Priced]) -> float:
    return round(sum(p.total for p in priced), 2)


def available(lines: list[Line], stocked: list[bool]) -> list[Line]:
    return [line for line, ok in zip(lines, stocked, strict=True) if ok]


async def shipping(lines: list[Line]) -> float:
    await _call("pricing")
    return 0.0 if sum(line.quantity for line in lines) >= 10 else 4.99


def receipt(goods: float, delivery: float, missing: int) -> dict[str, float]:
    return {"goods": goods, "shipping": delivery, "total": round(goods + delivery, 2), "missing": missing}


def count_missing(lines: list[Line], kept: list[Line]) -> int:
    return len(lines) - len(kept)
