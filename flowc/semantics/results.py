"""A flow's declared result (one type, named outputs or None) and its `return` statement."""

from __future__ import annotations

from .. import codes
from ..diagnostics import Collector
from ..source import Span
from ..syntax import tree as s
from .expressions import walk_refs
from .names import reserved_reason
from .resolve import FlowResolver
from .scope import ModuleScope

# Fields of a NamedTuple cannot start with `_`, and these would shadow tuple methods.
TUPLE_METHODS = frozenset({"count", "index"})

Returns = tuple[tuple[str | None, s.Expr], ...]


def flow_result(flow: s.Flow, scope: ModuleScope, errors: Collector) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """The result type's text (None for `-> None` or named outputs) and the named outputs."""
    if not isinstance(flow.returns, tuple):
        text = scope.type_text(flow.returns)
        return (None if text == "None" else text), ()
    outputs: list[tuple[str, str]] = []
    for output in flow.returns:
        type_text = scope.type_text(output.type)
        if output.name in {name for name, _ in outputs}:
            errors.error(codes.DUPLICATE_ARGUMENT, f"output `{output.name}` is declared twice", output.span)
            continue
        check_output_name(output, errors)
        outputs.append((output.name, type_text))
    return None, tuple(outputs)


def check_output_name(output: s.Output, errors: Collector) -> None:
    reason = reserved_reason(output.name)
    if output.name.startswith("_"):
        reason = "an output name cannot start with `_`, as a NamedTuple field cannot"
    elif output.name in TUPLE_METHODS:
        reason = f"`{output.name}` is a method of every tuple, so no NamedTuple field can have that name"
    elif reason:
        reason += " and cannot name an output"
    if reason:
        errors.error(
            codes.RESERVED_NAME, reason, output.span, help=f"rename the output, e.g. `{output.name.strip('_')}_value`"
        )


def flow_returns(
    flow: s.Flow, resolver: FlowResolver, result: str | None, outputs: tuple[tuple[str, str], ...], errors: Collector
) -> tuple[Returns, dict[str, Span]]:
    """The return's values by output name (None for a single value) and where it reads nodes."""
    statements = flow.returns_stmt
    for extra in statements[1:]:
        errors.error(
            codes.RETURN_MISMATCH,
            f"flow `{flow.name}` has more than one `return`",
            extra.span,
            help="keep one `return`",
        )
    if not statements:
        if result is not None or outputs:
            errors.error(
                codes.RETURN_MISMATCH,
                f"flow `{flow.name}` declares a result but has no `return`",
                flow.name_span,
                help=(
                    "end the flow with `return NODE`"
                    if result is not None
                    else "end the flow with `return a=..., b=...`"
                ),
            )
        return (), {}
    statement = statements[0]
    if statement.value is not None:
        single_value(flow, statement, result, outputs, errors)
        values: Returns = ((None, statement.value),)
    else:
        values = named_values(flow, statement, outputs, errors)
    spans: dict[str, Span] = {}
    for _, value in values:
        resolver.exprs.value(value)
        resolver.reads(value)
        for ref in walk_refs(value):
            spans.setdefault(ref.name, ref.name_span)
    return values, spans


def single_value(
    flow: s.Flow, statement: s.Return, result: str | None, outputs: tuple[tuple[str, str], ...], errors: Collector
) -> None:
    if result is not None:
        return
    what = "named outputs" if outputs else "`None`"
    errors.error(
        codes.RETURN_MISMATCH,
        f"flow `{flow.name}` returns {what}, so it cannot `return` a single value",
        statement.span,
        help="write `return a=..., b=...`" if outputs else "remove the `return`, or declare a result type",
    )


def named_values(flow: s.Flow, statement: s.Return, outputs: tuple[tuple[str, str], ...], errors: Collector) -> Returns:
    declared = [name for name, _ in outputs]
    if not outputs:
        errors.error(
            codes.RETURN_MISMATCH,
            f"flow `{flow.name}` does not declare named outputs",
            statement.span,
            help="declare them, as in `-> (a: int, b: str)`, or return a single value: `return NODE`",
        )
    values: list[tuple[str | None, s.Expr]] = []
    for arg in statement.outputs:
        if arg.name in [n for n, _ in values]:
            errors.error(codes.DUPLICATE_ARGUMENT, f"output `{arg.name}` is returned twice", arg.span)
            continue
        if outputs and arg.name not in declared:
            errors.error(
                codes.RETURN_MISMATCH,
                f"flow `{flow.name}` has no output `{arg.name}`",
                arg.span,
                help="the declared outputs are " + ", ".join(f"`{d}`" for d in declared),
            )
        values.append((arg.name, arg.value))
    missing = [name for name in declared if name not in {n for n, _ in values}]
    if outputs and missing:
        errors.error(
            codes.RETURN_MISMATCH,
            f"the return misses output {', '.join(f'`{m}`' for m in missing)}",
            statement.span,
            help="return every declared output: " + ", ".join(f"`{m}=...`" for m in missing),
        )
    return tuple(values)
