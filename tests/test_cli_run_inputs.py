"""`flowc run`'s inputs built from JSON by their annotations (flowc/cli/inputs.py), one shape
at a time: what each builds, and the located error for each wrong shape."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import uuid
from typing import Any, Literal, NamedTuple, NewType, TypedDict

import pytest

from flowc.cli.errors import UsageError
from flowc.cli.inputs import build_inputs


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Point(NamedTuple):
    x: int
    y: int = 0


class Span(TypedDict, total=False):
    start: datetime.date
    end: datetime.date


@dataclasses.dataclass
class Leaf:
    name: str
    children: list[Leaf] = dataclasses.field(default_factory=list)


class Opaque:
    pass


UserId = NewType("UserId", int)


async def flow(
    points: list[Point],
    by_level: dict[Level, float],
    counts: dict[int, str],
    pair: tuple[int, str],
    many: tuple[int, ...],
    maybe: Point | None,
    either: int | str,
    mode: Literal["fast", "slow"],
    span: Span,
    tree: Leaf,
    when: datetime.datetime,
    amount: decimal.Decimal,
    key: uuid.UUID,
    user: UserId,
    anything: Any,
    opaque: Opaque,
    plain: list,  # type: ignore[type-arg]
) -> None: ...


def build(**values: Any) -> dict[str, Any]:
    return build_inputs(flow, values)


def test_every_shape_is_built() -> None:
    built = build(
        points=[[1, 2], {"x": 3}],
        by_level={"1": 0.5, "HIGH": 2},
        counts={"7": "seven"},
        pair=[1, "a"],
        many=[1, 2, 3],
        maybe=None,
        either="x",
        mode="slow",
        span={"start": "2024-02-29"},
        tree={"name": "root", "children": [{"name": "leaf"}]},
        when="2024-02-29T12:30:00+01:00",
        amount="1.10",
        key="12345678-1234-5678-1234-567812345678",
        user=7,
        anything={"kept": [1]},
        plain=[1, "a"],
    )
    assert built["points"] == [Point(1, 2), Point(3, 0)] and isinstance(built["points"][0], Point)
    assert built["by_level"] == {Level.LOW: 0.5, Level.HIGH: 2.0} and isinstance(built["by_level"][Level.HIGH], float)
    assert built["counts"] == {7: "seven"}
    assert built["pair"] == (1, "a") and built["many"] == (1, 2, 3)
    assert built["maybe"] is None and built["either"] == "x" and built["mode"] == "slow"
    assert built["span"] == {"start": datetime.date(2024, 2, 29)}
    assert built["tree"] == Leaf("root", [Leaf("leaf")])
    assert built["when"].utcoffset() == datetime.timedelta(hours=1)
    assert built["amount"] == decimal.Decimal("1.10") and built["key"] == uuid.UUID(
        int=0x12345678123456781234567812345678
    )
    assert built["user"] == 7 and built["anything"] == {"kept": [1]} and built["plain"] == [1, "a"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"points": [[1, 2, 3]]}, "`points[0]`: expected 1 to 2 items for `Point`"),
        ({"points": [{"x": True}]}, "`points[0].x`: expected int, found true"),
        ({"by_level": {"3": 1}}, "`by_level['3']`: expected one of `Level`'s values (1, 2), found the string \"3\""),
        ({"counts": {"seven": "7"}}, "`counts['seven']`: the key must be an integer, found the string \"seven\""),
        ({"pair": [1]}, "`pair`: expected tuple[int, str]: 2 items, found 1"),
        ({"many": [1, "2"]}, '`many[1]`: expected int, found the string "2"'),
        ({"maybe": {"y": 1}}, "`maybe`: `Point` needs `x`"),
        ({"either": 1.5}, "`either`: expected int | str, found the number 1.5"),
        ({"mode": "medium"}, '`mode`: expected "fast" | "slow", found the string "medium"'),
        ({"span": {"start": "29/02/2024"}}, '`span.start`: the string "29/02/2024" is not a date'),
        (
            {"tree": {"name": "root", "children": [{"name": 1}]}},
            "`tree.children[0].name`: expected str, found the number 1",
        ),
        ({"when": 1700000000}, "`when`: expected datetime, found the number 1700000000"),
        ({"key": "not-a-uuid"}, '`key`: the string "not-a-uuid" is not a UUID'),
        ({"user": "7"}, '`user`: expected int, found the string "7"'),
        ({"opaque": {}}, "`opaque`: `flowc run` cannot build a `Opaque` from JSON"),
        ({"plain": {}}, "`plain`: expected list (a JSON array), found an object"),
    ],
)
def test_each_wrong_shape_is_located(values: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as raised:
        build(**values)
    assert raised.value.message.startswith(message), raised.value.message
