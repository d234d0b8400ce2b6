"""The generated module's layout: the region-by-region formatter gives exactly black's bytes."""

from __future__ import annotations

import dataclasses
import keyword
from pathlib import Path

import black
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc import compile_source
from flowc.codegen.emit import emit
from flowc.codegen.layout import _LAYOUTS, fit, format_module, is_canonical
from flowc.codegen.sections import load_sections
from flowc.compiler import BLACK_MODE, analyze, display_path
from flowc.semantics.resolve import source_hash
from flowc.source import Source

ROOT = Path(__file__).parent.parent
FLOWS = sorted(
    [*ROOT.glob("samples/*.flow"), *ROOT.glob("tests/cases/run/*/*.flow"), *ROOT.glob("tests/cases/valid/*.flow")]
)


def raw_module(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return emit(analyze(Source(path.name, text)), display_path(path.name), source_hash(text))


def strip_markers(raw: str) -> str:
    return "".join(line for line in raw.splitlines(keepends=True) if "# flowc:" not in line)


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_regions_are_formatted_as_black_formats_the_whole_module(path: Path) -> None:
    raw = raw_module(path)
    assert "# flowc:region" in raw
    fast = format_module(raw, BLACK_MODE)
    assert fast == black.format_str(strip_markers(raw), mode=BLACK_MODE)
    assert black.format_str(fast, mode=BLACK_MODE) == fast


@pytest.mark.parametrize(
    "code",
    [
        "x = f(a='single')",
        "x = f(a=1,)",
        "x = f( a )",
        "x = f(a)  # it's",
        "x = f(a)  #comment",
        "x = f(a)  # a # b",
        "x = f( a )  # comment",
        "x = f(a=[1,  2])",
        'x = f(a="esc\\n")',
        "x = f(a)\t",
        "x = (f(a)",
        "x = f(a=1e+16)",
    ],
)
def test_lines_that_are_not_plainly_canonical_go_to_black(code: str) -> None:
    assert not is_canonical(code)


@pytest.mark.parametrize("code", ["x = f(a)  # comment", "except BaseException as exc:  # noqa: BLE001"])
def test_a_plain_trailing_comment_is_kept(code: str) -> None:
    assert is_canonical(code)
    shape = code + ("\n    pass\n" if code.startswith("except") else "\n")
    if code.startswith("except"):
        shape = "try:\n    pass\n" + shape
    assert black.format_str(shape, mode=BLACK_MODE) == shape


@pytest.mark.parametrize(
    "code",
    ['x = f(a="plain", b=[1, 2.5, -3], c={"k": v.w[0]})', "# where.flow:12", "if observer is None:", "at = None"],
)
def test_plain_lines_are_canonical_and_black_agrees(code: str) -> None:
    assert is_canonical(code)
    body = code + ("\n    pass" if code.endswith(":") else "")
    assert black.format_str(body + "\n", mode=BLACK_MODE) == body + "\n"


def test_a_long_line_is_split_at_its_indentation() -> None:
    arguments = ", ".join(f"argument_{i}=value_{i}" for i in range(12))
    line = f"        result = await step({arguments})"
    wrapped = f"async def f():\n    if x:\n{line}\n"
    expected = black.format_str(wrapped, mode=BLACK_MODE).split("\n", 2)[2].rstrip("\n")
    assert fit(line, BLACK_MODE) == expected
    assert "\n" in expected


def test_a_long_block_header_keeps_its_colon_and_loses_the_filler() -> None:
    condition = " and ".join(f"value_{i} is not None" for i in range(8))
    line = f"    if {condition}:"
    wrapped = f"def f():\n{line}\n        pass\n"
    expected = black.format_str(wrapped, mode=BLACK_MODE).split("\n", 1)[1].rsplit("\n", 2)[0]
    assert fit(line, BLACK_MODE) == expected
    assert fit(line, BLACK_MODE).endswith(":")


def black_alone(line: str) -> str:
    """`line` laid out by black inside blocks that give it its indentation."""
    code = line.lstrip(" ")
    depth = (len(line) - len(code)) // 4
    header = code.endswith(":")
    text = "".join("    " * i + "if x:\n" for i in range(depth)) + line + "\n"
    if header:
        text += "    " * (depth + 1) + "pass\n"
    lines = black.format_str(text, mode=BLACK_MODE).splitlines()[depth:]
    return "\n".join(lines[:-1] if header else lines)


NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,24}", fullmatch=True).filter(lambda n: not keyword.iskeyword(n))
VALUES = st.one_of(
    NAMES,
    st.integers(-(10**12), 10**12).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(alphabet="ab x'\"\\é", max_size=12).map(repr),
    st.sampled_from(["None", "True", "not flag", "a if b else c", "await g()", "lambda: h(k)"]),
)


@st.composite
def statements(draw: st.DrawFn) -> str:
    """Statements of the kinds the emitter writes, with names, strings and numbers of any length."""
    args = draw(st.lists(st.tuples(st.none() | NAMES, VALUES), max_size=8))
    call = f"{draw(NAMES)}({', '.join(f'{k}={v}' if k else v for k, v in args)})"
    kind = draw(st.sampled_from(["assign", "await", "spawn", "header", "return"]))
    indent = "    " * draw(st.integers(1, 3))
    target = draw(NAMES)
    text = {
        "assign": f"{target} = {call}",
        "await": f"{target} = await {call}",
        "spawn": f"{target} = run.spawn(_after(({target}_task,), lambda: {call}), {draw(NAMES)})",
        "header": f"if {target} is None and {call}:",
        "return": f"return {call}",
    }[kind]
    return indent + text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements())
def test_statements_of_one_shape_share_black_s_layout(line: str) -> None:
    """`fit` lays out a statement's shape once and puts the names back: always black's bytes."""
    assert fit(line, BLACK_MODE) == black_alone(line)


def test_shapes_are_cached_across_names() -> None:
    _LAYOUTS.clear()
    for i in range(50):
        fit(
            f"    node_{i:03}_task = run.spawn(_after((parent_{i:03}_task,), lambda: step_{i:03}(value=parent_{i:03}_task.result(), other=[1, 2, 3])), _flow__node_{i:03})",
            BLACK_MODE,
        )
    assert len(_LAYOUTS) == 1


@dataclasses.dataclass
class UnhashableMode:
    """Hashed as `black.Mode` was before black 25.10, a dataclass with `eq` and so no hash; it
    stands for a real mode of its line length, which black's `format_str` is handed below."""

    mode: black.Mode
    line_length: int


def test_layout_never_hashes_the_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """black 24.1–25.9 could not hash `black.Mode`: caching layouts by mode crashed every compile."""
    format_str = black.format_str

    def format_with(text: str, mode: UnhashableMode) -> str:
        return format_str(text, mode=dataclasses.replace(mode.mode, line_length=mode.line_length))

    monkeypatch.setattr(black, "format_str", format_with)
    mode = UnhashableMode(BLACK_MODE, BLACK_MODE.line_length)
    with pytest.raises(TypeError):
        hash(mode)
    _LAYOUTS.clear()
    for path in FLOWS:
        raw = raw_module(path)
        assert format_module(raw, mode) == format_with(strip_markers(raw), mode)  # type: ignore[arg-type]
    assert _LAYOUTS  # some lines were laid out one by one, under the unhashable mode


def test_the_runtime_sections_are_black_formatted_already() -> None:
    """Each section is copied into modules as `runtime.py` has it: black's layout of it."""
    for section in load_sections().values():
        assert black.format_str(section.code + "\n", mode=BLACK_MODE) == section.code + "\n", section.name


def test_black_never_formats_the_prelude_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """black formats only the text that changes per flow: never a runtime section."""
    text = (ROOT / "samples" / "parallel_demo.flow").read_text(encoding="utf-8")
    seen: list[str] = []
    real = black.format_str

    def spy(source: str, *, mode: black.Mode) -> str:
        seen.append(source)
        return real(source, mode=mode)

    monkeypatch.setattr(black, "format_str", spy)
    module = compile_source(text, "parallel_demo.flow")
    assert "class _Run:" in module and seen
    assert not any("class _Run" in source or "def _call" in source for source in seen)
    assert sum(map(len, seen)) < len(module) // 5
