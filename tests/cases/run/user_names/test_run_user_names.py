import asyncio
from types import ModuleType


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["user_names"] == []


def test_the_users_names_are_the_users(flow_module: ModuleType) -> None:
    result = asyncio.run(flow_module.user_names(x=1))
    # time(1) = 2, random(2) = 4, dataclass(4) = [0, 1, 2, 3], each times 10, summed: 60.
    assert result.total == 60
    assert result.t.value == 60
