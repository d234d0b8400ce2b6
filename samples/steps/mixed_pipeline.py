"""Steps of `mixed_pipeline.flow`: order validation, processing and customer notification.

An order is invalid when it has no customer or its quantity is not in 1..`MAX_QUANTITY`.
Processing must see the orders one at a time: `peak_processing` records the most orders ever
processed at once since the last `reset()` (1 when the flow's `limit 1` holds).
"""

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_QUANTITY = 100
UNIT_PRICE_CENTS = 250

processing = 0
peak_processing = 0


class InvalidOrder(Exception):
    """An order that fails validation."""


@dataclass(frozen=True)
class Order:
    order_id: int
    customer_id: int
    quantity: int


@dataclass(frozen=True)
class OrderBatch:
    items: list[Order]


@dataclass(frozen=True)
class ValidOrders:
    orders: list[Order]
    rejected: list[str]


@dataclass(frozen=True)
class Receipt:
    order_id: int
    customer_id: int
    total_cents: int


@dataclass(frozen=True)
class Notification:
    customer_id: int
    order_id: int
    channel: str


@dataclass(frozen=True)
class Summary:
    processed: int
    failed_validation: int
    notified: int


def reset() -> None:
    """Forget the concurrency seen so far."""
    global processing, peak_processing
    processing = 0
    peak_processing = 0


def parse_orders(orders: Sequence[Mapping[str, int]]) -> OrderBatch:
    """The request: raw order dicts as `Order`s (a missing customer is 0)."""
    return OrderBatch(
        items=[
            Order(order_id=o["order_id"], customer_id=o.get("customer_id", 0), quantity=o["quantity"]) for o in orders
        ]
    )


async def validate_order(order: Order) -> Order:
    """Validate one order; raises `InvalidOrder`."""
    await asyncio.sleep(0.005)
    if order.customer_id <= 0:
        raise InvalidOrder(f"order {order.order_id}: no customer")
    if not 0 < order.quantity <= MAX_QUANTITY:
        raise InvalidOrder(f"order {order.order_id}: quantity {order.quantity} out of range")
    return order


def keep_valid(orders: Sequence[Order], results: Sequence[Order | Exception]) -> ValidOrders:
    """The orders that passed validation, and why the others did not."""
    return ValidOrders(
        orders=[o for o, r in zip(orders, results) if not isinstance(r, Exception)],
        rejected=[str(r) for r in results if isinstance(r, Exception)],
    )


async def process_order(order: Order) -> Receipt:
    """Process one order (reserve stock, charge the customer)."""
    global processing, peak_processing
    processing += 1
    peak_processing = max(peak_processing, processing)
    try:
        await asyncio.sleep(0.005)
        return Receipt(
            order_id=order.order_id,
            customer_id=order.customer_id,
            total_cents=order.quantity * UNIT_PRICE_CENTS,
        )
    finally:
        processing -= 1


async def send_notification(receipt: Receipt) -> Notification:
    """Tell the customer their order went through."""
    await asyncio.sleep(0.01)
    return Notification(customer_id=receipt.customer_id, order_id=receipt.order_id, channel="email")


def summarize(receipts: Sequence[Receipt], notifications: Sequence[Notification], rejected: Sequence[str]) -> Summary:
    """The counts the workflow returns."""
    return Summary(processed=len(receipts), failed_validation=len(rejected), notified=len(notifications))
