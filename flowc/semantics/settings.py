"""Limits, retry counts and durations: a literal is checked here; a parameter's name (`limit
width`, `timeout wait`) is looked up among the flow's parameters, whose type must fit.

A value from a parameter is checked again when a run starts (the generated code raises
`ValueError` before any node starts); here only what the file itself says can be judged: that
the parameter exists, its type, and its default.
"""

from __future__ import annotations

from .. import codes
from ..diagnostics import Collector, did_you_mean
from ..syntax import tree as s
from . import ir
from .scope import ModuleScope

MAX_COUNT = 1_000_000_000
"""The largest limit, retry count or rate: the generated code keeps counts in C integers
(`deque(maxlen=rate)`), which overflow past 2**63 - 1 at every call."""

COUNT_TYPES = ("int",)
"""The types a parameter giving a limit or retry count may have."""

SECONDS_TYPES = ("float", "int")
"""The types a parameter giving a duration (in seconds) may have: an `int` is accepted
wherever Python's typing takes a `float`."""


class Settings:
    """The counts and durations of one flow's clauses, literal or from its parameters."""

    def __init__(self, flow: s.Flow, scope: ModuleScope, nodes: set[str]) -> None:
        self.flow = flow
        self.scope = scope
        self.errors = scope.errors
        self.params = {p.name: p for p in flow.params}
        self.nodes = nodes

    def count(self, value: s.Count | None, what: str, keyword: str, *, least: int = 1) -> int | ir.FromParam | None:
        """A limit (`least` 1) or retry count (`least` 0 from a parameter) as the IR keeps it;
        None when absent or invalid (the error is reported)."""
        if value is None:
            return None
        if isinstance(value, s.ParamName):
            return self.parameter(value, what, keyword, COUNT_TYPES, least)
        check_positive(self.errors, value, what, integer=True)
        return int(value.value) if value.valid else None

    def seconds(self, value: s.Seconds | None, what: str, keyword: str) -> float | ir.FromParam | None:
        """A duration in seconds as the IR keeps it; None when absent."""
        if value is None:
            return None
        if isinstance(value, s.ParamName):
            return self.parameter(value, what, keyword, SECONDS_TYPES, None)
        check_positive(self.errors, value, what, integer=False)
        return value.seconds

    def parameter(
        self, name: s.ParamName, what: str, keyword: str, types: tuple[str, ...], least: int | None
    ) -> ir.FromParam | None:
        """The parameter a clause names, if it exists and its type fits (else an error)."""
        clause = f"{keyword} {name.name}"
        param = self.params.get(name.name)
        if param is None:
            self.undefined(name, what)
            return None
        written = type_name(param.type)
        if written not in types or written in self.scope.imports:  # an import may shadow `int`
            shown = " or ".join(f"`{t}`" for t in types)
            self.errors.error(
                codes.PARAMETER_TYPE,
                f"`{clause}` needs a parameter of type {shown}, but `{name.name}` is `{self.scope.type_text(param.type)}`",
                name.span,
                help=f"declare `{name.name}: {types[0]}`"
                + (", a number of seconds" if types is SECONDS_TYPES else "")
                + f" (line {param.span.line})",
            )
            return None
        self.check_default(param, clause, what, least)
        return ir.FromParam(name=name.name, clause=clause)

    def undefined(self, name: s.ParamName, what: str) -> None:
        if name.name in self.nodes:
            help = f"`{name.name}` is a node; {what} is a literal or a parameter of the flow, known when a run starts"
        else:
            help = did_you_mean(name.name, self.params) or (
                f"add a parameter `{name.name}` to flow `{self.flow.name}`, or write a literal"
            )
        self.errors.error(
            codes.UNDEFINED_PARAMETER,
            f"`{name.name}` is not a parameter of flow `{self.flow.name}`",
            name.span,
            help=help,
        )

    def check_default(self, param: s.Param, clause: str, what: str, least: int | None) -> None:
        """A default the clause could not take is an error here, not at every run."""
        default = param.default
        if not isinstance(default, s.Literal) or isinstance(default.value, bool):
            return
        value = default.value
        if not isinstance(value, (int, float)):
            return
        if least is None:  # a duration
            if value > 0:
                return
            wanted = "positive"
        elif isinstance(value, int) and least <= value <= MAX_COUNT:
            return
        elif isinstance(value, int) and value > MAX_COUNT:
            self.errors.error(
                codes.TOO_LARGE,
                f"the default of `{param.name}` is {value}, but {what} must be at most {MAX_COUNT:_} (`{clause}`)",
                default.span,
            )
            return
        else:
            wanted = f"a whole number of at least {least}"
        self.errors.error(
            codes.NOT_POSITIVE,
            f"the default of `{param.name}` is {value!r}, but {what} must be {wanted} (`{clause}`)",
            default.span,
        )


def type_name(written: s.TypeExpr) -> str | None:
    """A plain type's name (`int`), None for anything else (`int | None`, `list[int]`)."""
    if isinstance(written, s.TypeName) and len(written.parts) == 1:
        return written.parts[0]
    return None


def check_positive(errors: Collector, number: s.Number | s.Duration | None, what: str, *, integer: bool) -> None:
    """Report a count or duration that is not positive (or, for a count, not whole or too large)."""
    if number is None or (isinstance(number, s.Number) and not number.valid):
        return
    value = number.seconds if isinstance(number, s.Duration) else number.value
    if integer and isinstance(value, int) and value > MAX_COUNT:
        errors.error(
            codes.TOO_LARGE,
            f"{what} must be at most {MAX_COUNT:_}, not {value}",
            number.span,
            help=(
                "remove the `limit`: one this large would never hold anything back"
                if what in ("a flow limit", "a map limit")
                else f"write a number up to {MAX_COUNT:_}"
            ),
        )
        return
    if value > 0 and (not integer or isinstance(value, int)):
        return
    shown = number.text if isinstance(number, s.Duration) else repr(number.value)
    kind = "a positive whole number" if integer else "positive"
    errors.error(codes.NOT_POSITIVE, f"{what} must be {kind}, not {shown}", number.span)
