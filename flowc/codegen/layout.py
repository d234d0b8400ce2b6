"""Formatting the generated module with black, in time linear in its size with a small constant.

black formats about two to three thousand lines a second; a flow of ten thousand nodes makes a
module of some sixty thousand lines. Most of those lines are written by the emitter already in
black's style: short, single-line statements (a node's call, its `NodeInfo` constant). The
emitter marks such stretches as *regions* (between `# flowc:region` and `# flowc:endregion`
lines). Here black formats the module with each region replaced by one placeholder statement,
then every region line is put back as it is when black would leave it unchanged, or formatted
by black on its own at its indentation when it is long or not plainly canonical. A statement
indented by `k` columns is laid out by black exactly as the same statement at column 0 with a
line length `k` shorter, so the result is the bytes black gives for the whole module; the test
suite checks that `black.format_str` leaves every generated module unchanged.

Text black would leave as it is, the runtime's sections (kept in black's layout in
`runtime.py`), is marked as a *verbatim block* (`# flowc:verbatim` … `# flowc:endverbatim`):
one placeholder for black, then put back line for line, blank lines included.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from dataclasses import replace

import black

REGION = "# flowc:region"
END_REGION = "# flowc:endregion"
VERBATIM = "# flowc:verbatim"
END_VERBATIM = "# flowc:endverbatim"

_PLACEHOLDER = "__flowc_region_{}__"

_SAFE_CODE = re.compile(r'(?:[A-Za-z0-9_ .,:=()\[\]{}|*+\-<>!%&@~^/]|"[^"\\\n]*")*')
"""Characters black never rewrites in a short statement written with canonical spacing: no
single quotes, backslashes or comments; strings only double-quoted, without escapes."""


_SAFE_COMMENT = re.compile(r"[^\s'\"\\#](?:[^'\"\\#]*[^\s'\"\\#])?")
"""A trailing comment's text that black keeps as it is."""


_SUSPECT = (",)", ",]", ",}", "( ", " )", "return (", "= (", "await (", "in (", "if (", "else (", "not (")
"""Trailing commas black treats as magic, odd spacing, and parentheses black may find redundant."""


_EXPONENT = re.compile(r"(?<![A-Za-z_])\d[\d.]*[eE]")
"""A number with an exponent: black rewrites `1e+16` as `1e16`."""


def format_module(raw: str, mode: black.Mode) -> str:
    """`raw` formatted as black formats it with `mode`: regions line by line, verbatim blocks
    (text black leaves unchanged: the runtime's sections) as they are, the rest by black."""
    skeleton: list[str] = []
    blocks: list[tuple[bool, list[str]]] = []  # (verbatim?, lines) of each region or block
    current: list[str] | None = None
    verbatim = False
    for line in raw.splitlines():
        stripped = line.strip()
        if current is None and stripped in (REGION, VERBATIM):
            verbatim = stripped == VERBATIM
            current = []
            blocks.append((verbatim, current))
            indent = line[: len(line) - len(line.lstrip())]
            skeleton.append(indent + _PLACEHOLDER.format(len(blocks) - 1))
        elif current is not None and stripped == (END_VERBATIM if verbatim else END_REGION):
            current = None
        elif current is not None:
            if verbatim or stripped:
                current.append(line)
        else:
            skeleton.append(line)
    formatted = black.format_str("\n".join(skeleton) + "\n", mode=mode)
    if not blocks:
        return formatted
    out: list[str] = []
    for line in formatted.splitlines():
        stripped = line.strip()
        if stripped.startswith("__flowc_region_") and stripped.endswith("__"):
            exact, lines = blocks[int(stripped[len("__flowc_region_") : -2])]
            out.extend(lines if exact else (fit(region_line, mode) for region_line in lines))
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def fit(line: str, mode: black.Mode) -> str:
    """One logical line at its indentation, as black lays it out (possibly over several lines)."""
    code = line.lstrip(" ")
    indent = line[: len(line) - len(code)]
    if len(line) <= mode.line_length and is_canonical(code):
        return line
    shape, names = _shape(code)
    narrow = replace(mode, line_length=max(mode.line_length - len(indent), 1))
    laid_out = _fill(_format_shape(shape, narrow), iter(names))
    return "\n".join(indent + piece if piece else piece for piece in laid_out.splitlines())


_TOKEN = re.compile(
    r"""(?P<string>[rRbBuUfF]*(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'))"""
    r"|(?P<number>(?<![\w.])\d(?:[\w.]|(?<=[eE])[+-])*)"
    r"|(?P<name>[A-Za-z_]\w*)"
)
"""Strings, numbers and names, each whole: a name is never looked for inside a string."""

_KEEP = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)


def _shape(code: str) -> tuple[str, list[str]]:
    """The statement with every name but keywords replaced by `x`s of the same length, and the
    names in order.

    black lays out a statement from its tokens' kinds and lengths, never from what a name
    says, so statements of one shape share one layout: a flow of ten thousand nodes has some
    dozens of shapes, and black (milliseconds a statement) runs once for each."""
    names: list[str] = []

    def blank(match: re.Match[str]) -> str:
        name = match.group("name")
        if name is None or name in _KEEP:
            return match.group(0)
        names.append(name)
        return "x" * len(name)

    return _TOKEN.sub(blank, code), names


def _fill(shape: str, names: Iterator[str]) -> str:
    """The names put back, in order, into a laid-out shape (black never reorders tokens)."""

    def put(match: re.Match[str]) -> str:
        name = match.group("name")
        if name is None or name in _KEEP:
            return match.group(0)
        return next(names)

    return _TOKEN.sub(put, shape)


_LAYOUTS: dict[tuple[str, str], str] = {}
"""black's layout of each statement shape, by shape and mode. The mode is keyed by its `repr`:
`black.Mode` cannot be hashed before black 25.10 (it holds plain sets), so it cannot be a key."""

_MAX_LAYOUTS = 4096


def _format_shape(shape: str, mode: black.Mode) -> str:
    """black's layout of one statement (a block header without its body), cached."""
    key = (shape, repr(mode))
    laid_out = _LAYOUTS.get(key)
    if laid_out is None:
        if len(_LAYOUTS) >= _MAX_LAYOUTS:
            _LAYOUTS.clear()
        laid_out = _LAYOUTS[key] = _black_layout(shape, mode)
    return laid_out


def _black_layout(shape: str, mode: black.Mode) -> str:
    header = shape.partition("  # ")[0].endswith(":") and not shape.startswith("#")
    lines = black.format_str(shape + ("\n    pass\n" if header else "\n"), mode=mode).splitlines()
    if header:
        lines = lines[:-1]
    return "\n".join(lines)


def is_canonical(code: str) -> bool:
    """Whether black keeps this single-line statement (or comment) exactly as written; a
    statement may end in a comment (`# noqa: …`) without quotes or backslashes."""
    if code.startswith("# "):
        return code == code.rstrip()
    statement, mark, comment = code.partition("  # ")
    if mark:
        return "#" not in statement and _SAFE_COMMENT.fullmatch(comment) is not None and is_canonical(statement)
    if code != code.rstrip() or "  " in _outside_strings(code):
        return False
    if _SAFE_CODE.fullmatch(code) is None:
        return False
    bare = _outside_strings(code)
    if any(piece in bare for piece in _SUSPECT) or _EXPONENT.search(bare):
        return False
    depth = 0
    for char in bare:
        depth += char in "([{"
        depth -= char in ")]}"
        if depth < 0:
            return False
    return depth == 0


def _outside_strings(code: str) -> str:
    return re.sub(r'"[^"]*"', '""', code)
