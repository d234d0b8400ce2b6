"""`flowc run` on a real service: a src-layout project whose steps live in a package, whose
inputs are dataclasses, named tuples, typed dicts and enums built from JSON, and whose
import roots come from the layout or from `[tool.flowc] pythonpath`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from clitools import flowc, flowc_process, isolate, write

MODELS = """\
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple, NotRequired, TypedDict


class Priority(enum.Enum):
    LOW = "low"
    HIGH = "high"


class Address(NamedTuple):
    city: str
    zip: str = ""


class Options(TypedDict):
    gift: bool
    note: NotRequired[str]


@dataclass(frozen=True)
class Item:
    sku: str
    quantity: int
    price: Decimal

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError("quantity must be positive")


@dataclass(frozen=True)
class Order:
    items: list[Item]
    ship_to: Address
    priority: Priority = Priority.LOW
    tags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Receipt:
    total: Decimal
    lines: dict[str, int]
    ship_to: Address
    priority: Priority
    options: Options
"""

STEPS = """\
from shop.models import Address, Item, Options, Order, Priority, Receipt


async def total(order: Order) -> Receipt:
    assert isinstance(order, Order) and all(isinstance(i, Item) for i in order.items)
    assert isinstance(order.ship_to, Address) and isinstance(order.priority, Priority)
    return Receipt(
        total=sum((i.price * i.quantity for i in order.items), start=order.items[0].price * 0),
        lines={i.sku: i.quantity for i in order.items},
        ship_to=order.ship_to,
        priority=order.priority,
        options={"gift": False},
    )


async def wrap(receipt: Receipt, options: Options, rush: Priority) -> Receipt:
    assert isinstance(options, dict) and isinstance(rush, Priority)
    if options.get("note") == "fail":
        raise RuntimeError("the wrapping machine jammed")
    return Receipt(receipt.total, receipt.lines, receipt.ship_to, rush, options)
"""

FLOW = """\
from shop.steps import total, wrap
from shop.models import Order, Options, Priority, Receipt

flow checkout(order: Order, options: Options, rush: Priority) -> Receipt {
    node receipt = total(order=order)
    node wrapped = wrap(receipt=receipt, options=options, rush=rush)
    START >> receipt >> wrapped >> END
    return wrapped
}
"""

ORDER = {
    "items": [{"sku": "tea", "quantity": 2, "price": "3.50"}, {"sku": "cup", "quantity": 1, "price": 4}],
    "ship_to": ["Lyon", "69001"],
    "priority": "high",
    "tags": ["new"],
}
INPUTS = [f"order={json.dumps(ORDER)}", 'options={"gift": true, "note": "hi"}', 'rush="HIGH"']


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A src-layout project: `src/shop/` is a package holding its models, steps and flow."""
    root = isolate(monkeypatch, tmp_path)
    write(root / "pyproject.toml", '[project]\nname = "shop"\nversion = "1"\n')
    write(root / "src" / "shop" / "__init__.py", "")
    write(root / "src" / "shop" / "models.py", MODELS)
    write(root / "src" / "shop" / "steps.py", STEPS)
    write(root / "src" / "shop" / "checkout.flow", FLOW)
    yield root
    for name in [n for n in sys.modules if n == "shop" or n.startswith("shop.") or n == "checkout"]:
        del sys.modules[name]


def test_a_src_layout_flow_runs_from_the_root_with_dataclass_inputs(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = flowc(capsys, "run", "src/shop/checkout.flow", *INPUTS)
    assert result.code == 0, result.err
    assert json.loads(result.out) == {
        "total": "11.00",
        "lines": {"tea": 2, "cup": 1},
        "ship_to": {"city": "Lyon", "zip": "69001"},
        "priority": "high",
        "options": {"gift": True, "note": "hi"},
    }


@pytest.mark.parametrize("where", [".", "src", "src/shop"])
def test_a_src_layout_flow_runs_from_any_folder_as_a_process(shop: Path, where: str) -> None:
    """As a user runs it: a real process, from the root, the `src` folder or the package."""
    flow_file = Path("src/shop/checkout.flow").relative_to(where) if where != "." else Path("src/shop/checkout.flow")
    result = flowc_process(shop / where, "run", str(flow_file), *INPUTS)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] == "11.00"


def test_the_layout_is_found_without_a_pyproject_through_the_package(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (shop / "pyproject.toml").unlink()
    result = flowc(capsys, "run", "src/shop/checkout.flow", *INPUTS)
    assert result.code == 0, result.err


@pytest.mark.parametrize(
    ("change", "message", "help"),
    [
        ({"items": "tea"}, '`order.items`: expected list[Item] (a JSON array), found the string "tea"', None),
        (
            {"items": [{"sku": "tea", "quantity": "2", "price": 1}]},
            '`order.items[0].quantity`: expected int, found the string "2"',
            None,
        ),
        (
            {"items": [{"sku": "tea", "quantty": 2, "price": 1}]},
            "`order.items[0]`: `Item` has no field `quantty`",
            "did you mean `quantity`?",
        ),
        (
            {"items": [{"sku": "tea", "price": 1}]},
            "`order.items[0]`: `Item` needs `quantity`",
            "its fields: sku, quantity, price",
        ),
        (
            {"items": [{"sku": "tea", "quantity": 0, "price": 1}]},
            "`order.items[0]`: `Item(…)` raised ValueError: quantity must be positive",
            None,
        ),
        (
            {"items": [{"sku": "tea", "quantity": 1, "price": "cheap"}]},
            '`order.items[0].price`: the string "cheap" is not a number',
            None,
        ),
        (
            {"ship_to": ["Lyon", "69001", "FR"]},
            "`order.ship_to`: expected 1 to 2 items for `Address` (city, zip), found 3",
            None,
        ),
        ({"ship_to": {"town": "Lyon"}}, "`order.ship_to`: `Address` has no field `town`", None),
        (
            {"priority": "urgent"},
            '`order.priority`: expected one of `Priority`\'s values ("low", "high"), found the string "urgent"',
            None,
        ),
        ({"tags": "new"}, '`order.tags`: expected frozenset[str] (a JSON array), found the string "new"', None),
    ],
)
def test_a_bad_input_shape_is_a_located_usage_error(
    shop: Path, capsys: pytest.CaptureFixture[str], change: dict[str, object], message: str, help: str | None
) -> None:
    order = {**ORDER, **change}
    result = flowc(capsys, "run", "src/shop/checkout.flow", f"order={json.dumps(order)}", *INPUTS[1:])
    assert result.code == 2, result.err
    assert f"flowc: error: {message}\n" in result.err
    if help is not None:
        assert f"help: {help}\n" in result.err
    assert "Traceback" not in result.err and result.out == ""


def test_a_typed_dict_and_an_enum_are_checked_too(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = flowc(capsys, "run", "src/shop/checkout.flow", INPUTS[0], 'options={"note": "x"}', 'rush="low"')
    assert missing.code == 2 and "`options`: `Options` needs `gift`" in missing.err
    wrong = flowc(capsys, "run", "src/shop/checkout.flow", INPUTS[0], 'options={"gift": 1}', 'rush="low"')
    assert wrong.code == 2 and "`options.gift`: expected bool, found the number 1" in wrong.err
    rush = flowc(capsys, "run", "src/shop/checkout.flow", INPUTS[0], 'options={"gift": true}', "rush=2")
    assert rush.code == 2 and "`rush`: expected one of `Priority`'s values" in rush.err


def test_a_missing_module_names_the_folders_searched(
    shop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (shop / "src").rename(shop / "lib")
    (shop / "lib" / "shop" / "__init__.py").unlink()  # a namespace package: no way to find its root
    result = flowc(capsys, "run", "lib/shop/checkout.flow", *INPUTS)
    assert result.code == 1
    assert "importing the compiled module failed: ModuleNotFoundError: No module named 'shop'" in result.err
    assert "searched: `.`, `lib/shop`, then the installed packages" in result.err
    assert "add the folder that holds it to `pythonpath` in [tool.flowc]" in result.err
    assert "Traceback" not in result.err
    write(shop / "pyproject.toml", '[project]\nname = "shop"\n\n[tool.flowc]\npythonpath = ["lib"]\n')
    fixed = flowc(capsys, "run", "lib/shop/checkout.flow", *INPUTS)
    assert fixed.code == 0, fixed.err
    monkeypatch.chdir(shop / "lib" / "shop")
    assert flowc(capsys, "run", "checkout.flow", *INPUTS).code == 0


def test_pythonpath_must_be_a_list_of_folders(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(shop / "pyproject.toml", '[tool.flowc]\npythonpath = "lib"\n')
    result = flowc(capsys, "run", "src/shop/checkout.flow", *INPUTS)
    assert result.code == 2 and '`pythonpath` must be a list of strings, like `pythonpath = ["flows"]`' in result.err


def test_debug_names_the_generated_lines_by_their_flow_lines(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = [INPUTS[0], 'options={"gift": true, "note": "fail"}', INPUTS[2]]
    plain = flowc(capsys, "run", "src/shop/checkout.flow", *inputs)
    assert plain.code == 1 and "Traceback" not in plain.err
    assert "flow `checkout` raised RuntimeError: the wrapping machine jammed" in plain.err
    result = flowc(capsys, "run", "--debug", "src/shop/checkout.flow", *inputs)
    assert result.code == 1
    err = result.err
    assert err.startswith("Traceback (most recent call last):\n")
    assert 'File "<generated from src/shop/checkout.flow>", line ' in err
    assert (
        "    flow src/shop/checkout.flow:6: node wrapped = wrap(receipt=receipt, options=options, rush=rush)\n" in err
    )
    assert 'steps.py", line ' in err and 'raise RuntimeError("the wrapping machine jammed")' in err
    assert err.index("checkout.flow:6: node wrapped") < err.index('steps.py", line ')
    assert err.endswith(plain.err)


def test_a_flow_importing_another_flow_runs_from_its_import_roots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The module of an imported `.flow` file lives under an import root: `flowc run` looks
    there too."""
    root = isolate(monkeypatch, tmp_path)
    write(root / "pyproject.toml", '[tool.flowc]\nimport-roots = ["lib", "."]\n')
    write(root / "steps.py", "async def double(x: int) -> int:\n    return 2 * x\n")
    callee = "from steps import double\n\nflow twice(x: int) -> int {\n    node d = double(x=x)\n"
    write(root / "lib" / "shared" / "twice.flow", callee + "    START >> d >> END\n    return d\n}\n")
    caller = "from shared.twice import twice\n\nflow app(x: int) -> int {\n    node t = twice(x=x)\n"
    write(root / "app.flow", caller + "    START >> t >> END\n    return t\n}\n")
    try:
        assert flowc(capsys, "compile", "lib").code == 0
        result = flowc(capsys, "run", "app.flow", "x=4")
        assert result.code == 0, result.err
        assert json.loads(result.out) == 8
    finally:
        for name in ("shared", "shared.twice", "steps", "app"):
            sys.modules.pop(name, None)
