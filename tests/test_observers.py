"""docs/observers.md: its example flow compiled, its two adapters run against it.

The flow, the adapters and the sample log are taken from the page itself, so the page
fails these tests as soon as it no longer matches the generated code.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from flowc import compile_source, runtime_source

PAGE = Path(__file__).parent.parent / "docs" / "observers.md"
FENCE = re.compile(r"^```(?P<info>\w*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)

SHOP = """
import asyncio

failures: dict[int, int] = {}  # sku -> how many more fetches of it fail


async def fetch(sku: int) -> float:
    await asyncio.sleep(0.001)
    if failures.get(sku, 0) > 0:
        failures[sku] -= 1
        raise ConnectionError("reset")
    return float(sku)


async def price(items: list[float]) -> float:
    return sum(items)


async def ship(cost: float) -> float:
    return 5.0


def add(a: float, b: float) -> float:
    return a + b
"""


def blocks(info: str) -> list[str]:
    return [m["body"] for m in FENCE.finditer(PAGE.read_text(encoding="utf-8")) if m["info"] == info]


def block(info: str, holding: str) -> str:
    (found,) = [body for body in blocks(info) if holding in body]
    return found


def line_of(node: str) -> str:
    """`orders.flow:LINE` of a node of the page's flow."""
    lines = block("flow", "flow checkout").splitlines()
    return f"orders.flow:{next(n for n, line in enumerate(lines, 1) if f'node {node} =' in line)}"


@pytest.fixture(scope="module", params=["inline", "shared"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The page's flow compiled to `orders.py` in one runtime mode (each test runs in both),
    beside the `shop` steps it imports."""
    folder = tmp_path_factory.mktemp("observers")
    (folder / "shop.py").write_text(SHOP, encoding="utf-8")
    text = compile_source(block("flow", "flow checkout"), "orders.flow", runtime=request.param)
    (folder / "orders.py").write_text(text, encoding="utf-8")
    (folder / "_flowc_runtime.py").write_text(runtime_source(), encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        yield folder
    finally:
        sys.path.remove(str(folder))
        for name in ("orders", "shop", "_flowc_runtime"):
            sys.modules.pop(name, None)


@pytest.fixture
def orders(built: Path) -> ModuleType:
    return importlib.import_module("orders")


@pytest.fixture
def shop(built: Path) -> ModuleType:
    module = importlib.import_module("shop")
    module.failures.clear()
    return module


def adapter(name: str, orders: ModuleType) -> Any:
    """The class `name` defined by the page's Python block that defines it (the block
    imports `NodeInfo` from `orders`, which the caller has made importable)."""
    namespace: dict[str, Any] = {"__name__": f"observers_{name}"}
    exec(compile(block("python", f"class {name}"), f"{PAGE}:{name}", "exec", dont_inherit=True), namespace)
    return namespace[name]


def normalized(lines: list[str]) -> list[str]:
    """Durations vary from run to run, and so do fresh run ids; a retry's delay does not."""
    lines = [re.sub(r"(failed after|finished in|, in) \d+\.\d{3}s", r"\1 Ts", line).rstrip() for line in lines]
    return [re.sub(r"\[[0-9a-f]{32}\]", "[ID]", line) for line in lines]


# --- the protocol ---


def test_the_page_shows_the_generated_protocol(orders: ModuleType) -> None:
    namespace: dict[str, Any] = {"__name__": "shown"}
    code = "from typing import NamedTuple, Protocol\n" + block("python", "class FlowObserver(Protocol)")
    exec(compile(code, f"{PAGE}:FlowObserver", "exec", dont_inherit=True), namespace)
    for name in ("FlowObserver", "RunObserver", "NodeInfo", "RunInfo"):
        shown, generated = namespace[name], getattr(orders, name)
        assert members(shown) == members(generated), name
    assert orders.NodeInfo._fields == namespace["NodeInfo"]._fields
    assert orders.RunInfo._fields == namespace["RunInfo"]._fields
    assert orders.NodeInfo("f", "n", "f.flow:1").run == orders.RunInfo("", "")


def members(cls: type) -> dict[str, str]:
    """Each public method's signature, or each field's annotation."""
    found = {name: str(inspect.signature(value)) for name, value in vars(cls).items() if inspect.isfunction(value)}
    annotations = {name: str(value) for name, value in getattr(cls, "__annotations__", {}).items()}
    plain = {
        name: re.sub(r"\b(shown|orders|_flowc_runtime)\.", "", text) for name, text in (found | annotations).items()
    }
    return {name: text for name, text in plain.items() if not name.startswith("_")}


# --- logging ---


def test_the_logging_adapter_gives_the_sample_log(
    orders: ModuleType, shop: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    shop.failures[7] = 1
    caplog.set_level(logging.DEBUG, logger="flows")
    observer = adapter("LoggingObserver", orders)()
    assert asyncio.run(orders.checkout(ids=[7], express=False, observer=observer, run_id="order-7")) == 7.0
    logged = [f"{r.levelname:<7} {r.getMessage()}" for r in caplog.records if r.name == "flows"]
    sample = block("text", "started, attempt 1").splitlines()
    assert normalized(logged) == normalized(sample)
    assert f"checkout.shipping ({line_of('shipping')}) skipped" in sample[9]


def test_the_logging_adapter_on_elements_and_a_failure(
    orders: ModuleType, shop: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    shop.failures[2] = 3  # more than its retries
    caplog.set_level(logging.INFO, logger="flows")
    with pytest.raises(ConnectionError):
        asyncio.run(orders.weekly(ids=[1, 2], observer=adapter("LoggingObserver", orders)()))
    messages = normalized([r.getMessage() for r in caplog.records if r.name == "flows"])
    items = f"[ID] checkout.items[1] ({line_of('items')})"
    assert [m for m in messages if m.startswith(items)] == normalized(
        [
            f"{items} failed after 0.000s: ConnectionError('reset')",
            f"{items} retrying in 0.010s after attempt 1",
            f"{items} failed after 0.000s: ConnectionError('reset')",
            f"{items} retrying in 0.020s after attempt 2",
            f"{items} failed after 0.000s: ConnectionError('reset')",
        ]
    )
    assert any(m.startswith(f"[ID] checkout.items[0] ({line_of('items')}) finished in") for m in messages)
    assert messages[-4:] == [
        f"[ID] checkout.items ({line_of('items')}) mapped 2 elements, 1 failed, in Ts",
        "[ID] checkout failed after Ts: ConnectionError('reset')",
        f"[ID] weekly.order ({line_of('order')}) failed after Ts: ConnectionError('reset')",
        "[ID] weekly failed after Ts: ConnectionError('reset')",
    ]


def test_the_logging_adapter_without_elements_logs_a_map_as_one_line(
    orders: ModuleType, shop: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="flows")
    observer = adapter("LoggingObserver", orders)(elements=False)
    ids = list(range(1000))
    assert asyncio.run(orders.checkout(ids=ids, express=False, observer=observer, run_id="big")) == sum(ids)
    messages = normalized([r.getMessage() for r in caplog.records if r.name == "flows"])
    assert messages == [
        "[big] checkout started",
        f"[big] checkout.items ({line_of('items')}) mapped 1000 elements, 0 failed, in Ts",
        f"[big] checkout.cost ({line_of('cost')}) started, attempt 1",
        f"[big] checkout.cost ({line_of('cost')}) finished in Ts",
        f"[big] checkout.shipping ({line_of('shipping')}) skipped",
        f"[big] checkout.total ({line_of('total')}) started, attempt 1",
        f"[big] checkout.total ({line_of('total')}) finished in Ts",
        "[big] checkout finished in Ts",
    ]


# --- OpenTelemetry ---


@pytest.fixture
def tracing() -> Any:
    """A tracer whose finished spans are kept in memory: (tracer, exporter)."""
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
        InMemorySpanExporter,
    )

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test"), exporter


def traced(tracer: Any, observer: Any, flow: Any, **inputs: Any) -> Any:
    """Run `flow` inside a span called "caller", as the page shows."""

    async def main() -> Any:
        with tracer.start_as_current_span("caller"):
            return await flow(**inputs, observer=observer)

    return asyncio.run(main())


def test_the_span_adapter_nests_spans_as_the_calls_do(orders: ModuleType, shop: ModuleType, tracing: Any) -> None:
    from opentelemetry.trace import StatusCode

    tracer, exporter = tracing
    shop.failures[8] = 1
    observer = adapter("SpanObserver", orders)(tracer)
    assert traced(tracer, observer, orders.weekly, ids=[7, 8]) == 7.0 + 8.0 + 5.0
    spans = exporter.get_finished_spans()
    by_id = {span.context.span_id: span for span in spans}
    parent = {span.name: by_id[span.parent.span_id].name for span in spans if span.parent}
    assert sorted(span.name for span in spans) == sorted(
        ["caller", "weekly", "weekly.order", "checkout"]
        + ["checkout.items"] * 3
        + ["checkout.cost", "checkout.shipping", "checkout.total"]
    )
    assert parent == {"weekly": "caller", "weekly.order": "weekly", "checkout": "weekly.order"} | {
        name: "checkout" for name in ["checkout.items", "checkout.cost", "checkout.shipping", "checkout.total"]
    }
    (weekly,) = [span for span in spans if span.name == "weekly"]
    (checkout,) = [span for span in spans if span.name == "checkout"]
    assert checkout.attributes["flow.parent_run_id"] == weekly.attributes["flow.run_id"]
    assert "flow.parent_run_id" not in weekly.attributes
    items = sorted(
        (span.attributes["flow.index"], span.attributes["flow.attempt"], span.status.status_code)
        for span in spans
        if span.name == "checkout.items"
    )
    assert items == [(0, 1, StatusCode.UNSET), (1, 1, StatusCode.ERROR), (1, 2, StatusCode.UNSET)]
    (cost,) = [span for span in spans if span.name == "checkout.cost"]
    assert dict(cost.attributes) == {
        "flow.name": "checkout",
        "flow.node": "cost",
        "flow.location": line_of("cost"),
        "flow.attempt": 1,
    }
    (failed,) = [span for span in spans if span.status.status_code == StatusCode.ERROR]
    assert [event.name for event in failed.events] == ["exception"]
    assert failed.events[0].attributes["exception.type"] == "ConnectionError"
    events = [(event.name, dict(event.attributes)) for event in checkout.events]
    assert events[0] == (
        "flow.retry",
        {"flow.node": "items", "flow.attempt": 1, "flow.delay": 0.01, "error": "ConnectionError('reset')"},
    )
    assert [(name, {k: v for k, v in what.items() if k != "flow.duration"}) for name, what in events[1:]] == [
        ("flow.map", {"flow.node": "items", "flow.count": 2, "flow.failed": 0})
    ]
    assert observer.tokens == {} and observer.runs == {}


def test_the_span_adapter_on_a_skip_a_failure_and_concurrent_runs(
    orders: ModuleType, shop: ModuleType, tracing: Any
) -> None:
    from opentelemetry.trace import StatusCode

    tracer, exporter = tracing
    observer = adapter("SpanObserver", orders)(tracer)
    assert traced(tracer, observer, orders.checkout, ids=[1], express=False) == 1.0
    (run,) = [span for span in exporter.get_finished_spans() if span.name == "checkout"]
    assert [(event.name, dict(event.attributes)) for event in run.events if event.name != "flow.map"] == [
        ("flow.skip", {"flow.node": "shipping", "flow.location": line_of("shipping")})
    ]
    exporter.clear()
    shop.failures[3] = 3  # fails for good

    async def both() -> list[Any]:
        return await asyncio.gather(
            orders.weekly(ids=[1, 2], observer=observer),
            orders.weekly(ids=[3], observer=observer),
            return_exceptions=True,
        )

    outcomes = asyncio.run(both())
    assert outcomes[0] == 1.0 + 2.0 + 5.0 and isinstance(outcomes[1], ConnectionError)
    spans = exporter.get_finished_spans()
    nodes = ["checkout.cost", "checkout.shipping", "checkout.total"]
    first = ["weekly", "weekly.order", "checkout"] + ["checkout.items"] * 2 + nodes
    # three attempts of the one item, then the failure
    second = ["weekly", "weekly.order", "checkout"] + ["checkout.items"] * 3
    assert sorted(span.name for span in spans) == sorted(first + second)
    failed = sorted(span.name for span in spans if span.status.status_code == StatusCode.ERROR)
    assert failed == ["checkout", "checkout.items", "checkout.items", "checkout.items", "weekly", "weekly.order"]
    assert observer.tokens == {} and observer.runs == {}  # every span ended and its context detached


# --- types ---

USE = """
from opentelemetry import trace

from logging_observer import LoggingObserver
from orders import FlowObserver, RunObserver, checkout
from span_observer import SpanObserver


async def main() -> float:
    logged: RunObserver = LoggingObserver()
    spans: RunObserver = SpanObserver(trace.get_tracer("shop"))
    old_style: FlowObserver = logged
    return await checkout(ids=[1], express=True, observer=logged) + await checkout(
        ids=[1], express=False, observer=spans
    )
"""


def test_the_adapters_are_flow_observers_to_mypy(built: Path, tmp_path: Path) -> None:
    pytest.importorskip("opentelemetry.sdk")
    files = {"logging_observer.py": block("python", "class LoggingObserver"), "use.py": USE}
    files["span_observer.py"] = block("python", "class SpanObserver")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *sorted(files)]
    env = {"MYPYPATH": str(built), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(mypy, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
