"""`flowc run` at the edges: inputs and results JSON or Python cannot carry, steps that raise
what is not an `Exception`, and files named like standard-library modules."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from clitools import flowc, isolate, write

STEPS = """\
import asyncio
import sys


async def ident(x: object) -> object:
    return x


async def cyclic(x: object) -> object:
    a: list[object] = []
    a.append({"again": a})
    return a


async def huge(x: object) -> object:
    return 10**5000


async def surrogate(x: object) -> object:
    return ["a\\udc80b", {"k\\ud800": 1}]


async def not_finite(x: object) -> object:
    return [float("nan"), float("inf"), -float("inf"), 1.5]


async def cancel(x: object) -> object:
    raise asyncio.CancelledError()


async def leave(x: object) -> object:
    sys.exit(0)


async def deep(x: object) -> object:
    value: object = []
    for _ in range(100_000):
        value = [value]
    return value
"""


def one_step(step: str, name: str | None = None) -> str:
    return (
        f"from steps import {step}\n\n"
        f"flow {name or step + '_flow'}(x: object = 0) -> object {{\n"
        f"    node n = {step}(x=x)\n"
        "    START >> n >> END\n"
        "    return n\n"
        "}\n"
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = isolate(monkeypatch, tmp_path)
    write(root / "steps.py", STEPS)
    for step in ("ident", "cyclic", "huge", "surrogate", "not_finite", "cancel", "leave", "deep"):
        write(root / f"{step}.flow", one_step(step))
    yield root
    sys.modules.pop("steps", None)  # the next test's folder has its own `steps`


def test_an_input_past_the_integer_digit_limit_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = flowc(capsys, "run", "ident.flow", "x=" + "1" * 5000)
    assert result.code == 2
    assert "the value of `x` has an integer longer than 4300 digits" in result.err
    assert "internal error" not in result.err


def test_a_deeply_nested_input_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "run", "ident.flow", "x=" + "[" * 100_000 + "]" * 100_000)
    assert result.code == 2
    assert "the value of `x` is nested too deeply to read" in result.err


@pytest.mark.parametrize(
    ("flow", "message"),
    [
        ("cyclic", "the result holds itself (a list inside itself)"),
        ("huge", "the result has an integer longer than 4300 digits"),
        ("deep", "the result is nested too deeply to print as JSON"),
    ],
)
def test_a_result_json_cannot_show_is_a_clear_error(
    project: Path, capsys: pytest.CaptureFixture[str], flow: str, message: str
) -> None:
    result = flowc(capsys, "run", f"{flow}.flow")
    assert result.code == 1
    assert message in result.err
    assert result.out == "" and "internal error" not in result.err


def test_lone_surrogates_are_printed_as_escapes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "run", "surrogate.flow")
    assert result.code == 0, result.err
    assert "\\udc80" in result.out
    assert json.loads(result.out) == ["a\udc80b", {"k\ud800": 1}]
    result.out.encode("utf-8")


def test_nan_and_infinities_are_printed_as_valid_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "run", "not_finite.flow")
    assert result.code == 0, result.err
    assert json.loads(result.out, parse_constant=pytest.fail) == ["NaN", "Infinity", "-Infinity", 1.5]


def test_a_step_that_raises_cancelled_error_is_reported(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "run", "cancel.flow")
    assert result.code == 1
    assert "flowc: error: flow `cancel_flow` raised" in result.err and "CancelledError" in result.err
    assert "Traceback" not in result.err


def test_a_step_that_exits_does_not_end_flowc_silently(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "run", "leave.flow")
    assert result.code == 1
    assert "flowc: error: flow `leave_flow` raised SystemExit: 0" in result.err


@pytest.mark.parametrize("stem", ["time", "typing", "asyncio"])
def test_a_file_named_like_a_standard_module_does_not_replace_it(
    project: Path, capsys: pytest.CaptureFixture[str], stem: str
) -> None:
    write(project / f"{stem}.flow", one_step("ident", name="echo"))
    result = flowc(capsys, "run", f"{stem}.flow", "x=[1, 2]")
    assert result.code == 0, result.err
    assert json.loads(result.out) == [1, 2]
