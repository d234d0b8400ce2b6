import asyncio
from types import ModuleType
from typing import Any

import pytest

ARGS: dict[str, Any] = {"_t__a": 10, "_t__b__policy": 100, "_t__q__default": [7, 7], "_pool_db": 5}


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["shadow_names"] == []


class Names:
    """An observer keeping the node of every event."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def node_started(self, node: Any, index: Any, attempt: int) -> None:
        self.started.append(f"{node.flow}.{node.node}#{attempt}")

    def node_finished(self, *args: Any) -> None: ...

    def node_retrying(self, *args: Any) -> None: ...

    def node_failed(self, *args: Any) -> None: ...

    def node_skipped(self, *args: Any) -> None: ...


def test_parameters_do_not_hide_the_generated_constants(flow_module: ModuleType, steps: ModuleType) -> None:
    names = Names()
    steps.flaky.update({10, 100})  # `a` and `b` each fail once: their policies retry them
    assert asyncio.run(flow_module.t(x=1, **ARGS, observer=names)) == 1 + 10 + 100 + 1
    assert sorted(names.started) == ["t.a#1", "t.a#2", "t.b#1", "t.b#2", "t.c#1", "t.d#1"]
    # The default list is fresh in every run (the parameter `_t__q__default` is not it).
    assert asyncio.run(flow_module.t(x=1, **ARGS)) == 1 + 10 + 100 + 1
    assert ARGS["_t__q__default"] == [7, 7]


def test_a_failure_is_noted_with_its_node(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.flaky.clear()
    with pytest.raises(ValueError) as caught:
        asyncio.run(flow_module.t(x=-1, **ARGS))
    assert caught.value.__notes__ == ["flowc: in flow `t`, node `a` (shadow_names.flow:9)"]
