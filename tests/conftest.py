"""Shared test options. `--update-golden` rewrites golden files (the IR dumps of
`tests/cases/valid/*.ir`, the rendered errors of `tests/cases/errors/*.err`, and any other
golden output a test compares against) from the current output instead of comparing with
them; review the diff before committing. `--long` runs the long profiles of the random tests
(as `FLOWC_LONG=1` does)."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing with them",
    )
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="run the long profiles of the random tests (ten times the inputs; same as FLOWC_LONG=1)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """`--long` sets FLOWC_LONG=1 before the test modules, which read it, are imported."""
    if config.getoption("--long"):
        os.environ["FLOWC_LONG"] = "1"


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to rewrite golden files (`pytest --update-golden`)."""
    return bool(request.config.getoption("--update-golden"))
