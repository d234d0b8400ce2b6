"""Settings from parameters and `configure_pool`, as the compiler writes them: a clause that
names a parameter makes its node's policy per run, checked before the run starts; literal
clauses keep their module-level constants and cost nothing more; `configure_pool` exists
exactly in the modules that declare pools, and its name is the generated module's."""

from __future__ import annotations

import ast

import pytest

from flowc import CompileError, compile_source

LITERAL = """\
from demo.steps import fetch

flow f(urls: list[str], width: int) -> list[str] limit 4 timeout 5s {
    node pages = map fetch(url=each urls) limit 3 timeout 1s retry 2 backoff 10ms max 1s
    START >> pages >> END
    return pages
}
"""

FROM_PARAMETERS = LITERAL.replace("limit 3 timeout 1s retry 2", "limit width timeout 1s retry width")


def function(text: str, name: str = "f") -> ast.AsyncFunctionDef:
    return next(node for node in ast.parse(text).body if isinstance(node, ast.AsyncFunctionDef) and node.name == name)


def test_literal_clauses_are_module_level_constants_without_checks() -> None:
    text = compile_source(LITERAL, "f.flow")
    assert "_f__pages__policy = _Policy(" in text
    assert "def _count(" not in text and "def _seconds(" not in text and "import math" not in text
    assert "_count(" not in ast.unparse(function(text))
    assert "_Run(observer, 4, " in text and "asyncio.timeout(5.0)" in text
    assert "configure_pool" not in text


def test_a_clause_from_a_parameter_makes_that_policy_per_run() -> None:
    text = compile_source(FROM_PARAMETERS, "f.flow")
    assert "_f__pages__policy" not in text  # no module-level constant for it
    body = ast.unparse(function(text))
    assert "_f__pages__policies = _Policies()" in text
    assert "pages_policy = _f__pages__policies.get(timeout=1.0, retries=_count(width, 0, " in body
    assert "pages_limit = _count(width, 1, 'flow `f`, node `pages` (f.flow:4): `limit width`')" in body
    # Checked before the run begins: the run (and its observer) comes after every check.
    assert body.index("_count(") < body.index("_Run(") and body.index("pages_limit") < body.index("_Run(")


def test_only_the_nodes_that_use_parameters_are_per_run() -> None:
    text = compile_source(
        FROM_PARAMETERS.replace(
            "    START >> pages >> END",
            '    node other = fetch(url="x") retry 2\n    START >> [pages, other] >> END',
        ),
        "f.flow",
    )
    assert "_f__other__policy = _Policy(retries=2)" in text
    assert "other_policy" not in text


def test_a_parameter_named_like_a_local_gets_its_own_name() -> None:
    text = compile_source(
        "from demo.steps import fetch\n\n"
        "flow f(urls: list[str], pages_limit: int, limit_: int) -> list[str] limit limit_ {\n"
        "    node pages = map fetch(url=each urls) limit pages_limit\n"
        "    START >> pages >> END\n"
        "    return pages\n}\n",
        "f.flow",
    )
    body = ast.unparse(function(text))
    assert "limit = _count(limit_, 1," in body
    assert "pages_limit_ = _count(pages_limit, 1," in body


def test_configure_pool_only_where_pools_are_declared() -> None:
    with_pools = compile_source("pool api limit 2\npool db limit 1\n" + LITERAL, "f.flow")
    tree = ast.parse(with_pools)
    configure = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "configure_pool")
    assert ast.unparse(configure.body[-1]) == "_configure_pool((_pool_api, _pool_db), name, limit, rate, per)"
    assert ast.unparse(configure.args) == (
        "name: str, *, limit: int | None=None, rate: int | None=None, per: float | None=None"
    )
    assert '"configure_pool"' in with_pools.split("__all__", 1)[1].split("]", 1)[0]


@pytest.mark.parametrize(
    "text",
    [
        "from demo.steps import configure_pool\n\nflow f(x: int) -> int { return x }\n",
        "flow configure_pool(x: int) -> int { return x }\n",
    ],
)
def test_configure_pool_cannot_be_taken_by_the_file(text: str) -> None:
    with pytest.raises(CompileError) as raised:
        compile_source(text, "f.flow")
    assert [d.code for d in raised.value.diagnostics] == ["reserved-name"]


def test_a_parameter_may_be_named_configure_pool() -> None:
    compile_source("pool api limit 2\n\nflow f(configure_pool: int) -> int { return configure_pool }\n", "f.flow")


@pytest.mark.parametrize(
    ("clause", "code"),
    [
        ("timeout wait", None),
        ("timeout count", None),
        ("timeout name", "parameter-type"),
        ("retry count backoff wait max wait", None),
        ("retry wait", "parameter-type"),
        ("retry 1 backoff count", None),
        ("timeout nope", "undefined-parameter"),
    ],
)
def test_types_that_fit(clause: str, code: str | None) -> None:
    text = (
        "from demo.steps import fetch\n\n"
        "flow f(count: int, wait: float, name: str) -> str {\n"
        f'    node page = fetch(url="x") {clause}\n'
        "    START >> page >> END\n"
        "    return page\n}\n"
    )
    if code is None:
        compile_source(text, "f.flow")
        return
    with pytest.raises(CompileError) as raised:
        compile_source(text, "f.flow")
    assert [d.code for d in raised.value.diagnostics] == [code]


def test_a_parameter_checked_the_same_way_twice_is_checked_once() -> None:
    text = compile_source(
        "from demo.steps import fetch\n\n"
        "flow f(wait: float, n: int) -> str {\n"
        '    node a = fetch(url="a") timeout wait retry n\n'
        "    node b = fetch(url=a) timeout wait retry n backoff 1ms max wait\n"
        "    START >> a >> b >> END\n"
        "    return b\n}\n",
        "f.flow",
    )
    body = ast.unparse(function(text))
    assert body.count("_seconds(wait, ") == 2  # `timeout wait` once, `max wait` (at least the backoff) once
    assert body.count("_count(n, 0, ") == 1
    assert "b_policy = _f__b__policies.get(timeout=wait, retries=n, backoff=0.001, max_delay=_seconds(wait, " in body
