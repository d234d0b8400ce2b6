"""A flow's declared result (one type, named outputs or None) and its `return` statement."""

from __future__ import annotations

from .. import codes
from ..diagnostics import Collector
from ..source import Span
from ..syntax import tree as s
from . import ir
from .expressions import walk_refs
from .names import reserved_reason
from .resolve import FlowResolver
from .scope import ModuleScope

# Fields of a NamedTuple cannot start with `_`, and these would shadow tuple methods.
TUPLE_METHODS = frozenset({"count", "index"})

Returns = tuple[s.Arg, ...]


def flow_result(flow: s.Flow, scope: ModuleScope, errors: Collector) -> ir.Result:
    """What the flow declares it returns: nothing, one value, or named outputs."""
    if not isinstance(flow.returns, s.Outputs):
        text = scope.type_text(flow.returns)
        return ir.NoResult() if text == "None" else ir.SingleResult(type=text)
    outputs: list[ir.Output] = []
    for output in flow.returns.items:
        type_text = scope.type_text(output.type)
        if output.name in {o.name for o in outputs}:
            errors.error(codes.DUPLICATE_ARGUMENT, f"output `{output.name}` is declared twice", output.span)
            continue
        check_output_name(output, errors)
        outputs.append(ir.Output(name=output.name, type=type_text, span=output.span))
    return ir.NamedOutputs(class_name=ir.result_class_name(flow.name), outputs=tuple(outputs))


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
    flow: s.Flow, resolver: FlowResolver, result: ir.Result, errors: Collector
) -> tuple[Returns, dict[str, Span]]:
    """The return's values, named by output (unnamed for a single value), and where it reads
    nodes."""
    statements = flow.returns_stmt
    for extra in statements[1:]:
        errors.error(
            codes.RETURN_MISMATCH,
            f"flow `{flow.name}` has more than one `return`",
            extra.span,
            help="keep one `return`",
        )
    if not statements:
        if not isinstance(result, ir.NoResult):
            errors.error(
                codes.RETURN_MISMATCH,
                f"flow `{flow.name}` declares a result but has no `return`",
                flow.name_span,
                help=(
                    "end the flow with `return NODE`"
                    if isinstance(result, ir.SingleResult)
                    else "end the flow with `return a=..., b=...`"
                ),
            )
        return (), {}
    statement = statements[0]
    if statement.value is not None:
        single_value(flow, statement, result, errors)
        values: Returns = (s.Arg(name=None, value=statement.value, span=statement.value.span),)
    else:
        values = named_values(flow, statement, result, errors)
    spans: dict[str, Span] = {}
    for returned in values:
        value = returned.value
        resolver.exprs.value(value)
        resolver.reads(value)
        for ref in walk_refs(value):
            spans.setdefault(ref.name, ref.name_span)
    return values, spans


def single_value(flow: s.Flow, statement: s.Return, result: ir.Result, errors: Collector) -> None:
    if isinstance(result, ir.SingleResult):
        return
    named = isinstance(result, ir.NamedOutputs)
    errors.error(
        codes.RETURN_MISMATCH,
        f"flow `{flow.name}` returns {'named outputs' if named else '`None`'}, so it cannot `return` a single value",
        statement.span,
        help="write `return a=..., b=...`" if named else "remove the `return`, or declare a result type",
    )


def named_values(flow: s.Flow, statement: s.Return, result: ir.Result, errors: Collector) -> Returns:
    outputs = result.outputs if isinstance(result, ir.NamedOutputs) else ()
    declared = [o.name for o in outputs]
    if not outputs:
        errors.error(
            codes.RETURN_MISMATCH,
            f"flow `{flow.name}` does not declare named outputs",
            statement.span,
            help="declare them, as in `-> (a: int, b: str)`, or return a single value: `return NODE`",
        )
    values: list[s.Arg] = []
    for arg in statement.outputs:
        if arg.name in [v.name for v in values]:
            errors.error(codes.DUPLICATE_ARGUMENT, f"output `{arg.name}` is returned twice", arg.span)
            continue
        if outputs and arg.name not in declared:
            errors.error(
                codes.RETURN_MISMATCH,
                f"flow `{flow.name}` has no output `{arg.name}`",
                arg.span,
                help="the declared outputs are " + ", ".join(f"`{d}`" for d in declared),
            )
        values.append(arg)
    missing = [name for name in declared if name not in {v.name for v in values}]
    if outputs and missing:
        errors.error(
            codes.RETURN_MISMATCH,
            f"the return misses output {', '.join(f'`{m}`' for m in missing)}",
            statement.span,
            help="return every declared output: " + ", ".join(f"`{m}=...`" for m in missing),
        )
    return tuple(values)
