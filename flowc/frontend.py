"""The front end: `.flow` text to a checked IR, or every error of the file at once."""

from __future__ import annotations

from . import codes
from . import ir
from . import syntax as s
from .build import build
from .check import Edges, check_graph, check_pool_deadlock, check_recursion, check_subflow_calls, check_unbound
from .diagnostics import Collector, CompileError
from .parse import parse
from .resolve import FlowResolver, ModuleScope, walk_refs
from .source import Source, Span


def decode(data: bytes, path: str) -> Source:
    """Decode a file's bytes as UTF-8 (a BOM is allowed), or raise a located error."""
    empty = Source(path, "")
    errors = Collector(empty)
    if b"\x00" in data:
        head = Source(path, data[: data.index(b"\x00")].decode("utf-8", "replace"))
        line, column = head.position(len(head.text))
        errors.error(codes.ENCODING, "this is a binary file, not `.flow` text (it contains a NUL byte)", Span.point(line, column))
        raise CompileError(errors.diagnostics, head)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        head = Source(path, data[: error.start].decode("utf-8", "replace"))
        line, column = head.position(len(head.text))
        errors.error(
            codes.ENCODING,
            f"the file is not UTF-8 text: byte 0x{data[error.start]:02x} cannot be decoded",
            Span.point(line, column),
            help="save the file as UTF-8",
        )
        raise CompileError(errors.diagnostics, head)
    return Source(path, text)


def analyze(source: Source) -> ir.Module:
    """Parse, build, resolve and check one file; raises `CompileError` with every error."""
    errors = Collector(source)
    tree = parse(source.text, errors)
    errors.raise_if_any()
    assert tree is not None
    module = build(tree, errors)
    if not module.flows:
        errors.error(
            codes.EMPTY,
            "the file declares no flow" if source.text.strip() else "the file is empty",
            source.end,
            help="declare one: `flow NAME(x: int) -> int { ... }`",
        )
    scope = ModuleScope(module, errors)
    for pool in module.pools:
        check_positive(pool.limit, "a pool limit", errors, integer=True)
        if pool.rate is not None and pool.per is not None:
            check_positive(pool.rate, "a pool rate", errors, integer=True)
            check_positive(pool.per, "a rate window", errors, integer=False)
    flows: list[ir.Flow] = []
    node_spans: dict[tuple[str, str], Span] = {}
    for flow in module.flows:
        resolved = resolve_flow(flow, scope, errors)
        if resolved is not None:
            flows.append(resolved)
        node_spans.update({(flow.name, n.name): n.name_span for n in flow.nodes})
    result = ir.Module(
        path=source.path,
        name=source.name,
        text=source.text,
        imports=tuple(
            ir.Import(module=".".join(i.module), name=i.name, alias=i.alias) for i in scope.imports.values()
        ),
        pools=tuple(
            ir.Pool(
                name=p.name,
                limit=int(p.limit.value),
                rate=int(p.rate.value) if p.rate else None,
                per=p.per.seconds if p.per else None,
            )
            for p in scope.pools.values()
        ),
        flows=tuple(flows),
    )
    check_subflow_calls(result, scope.flows, errors, node_spans)
    check_recursion(result, errors, node_spans)
    check_pool_deadlock(result, errors, node_spans)
    errors.raise_if_any()
    return result


def check_positive(number: s.Number | s.Duration, what: str, errors: Collector, *, integer: bool) -> None:
    value = number.seconds if isinstance(number, s.Duration) else number.value
    if value <= 0 or (integer and not isinstance(value, int)):
        shown = number.text if isinstance(number, s.Duration) else repr(number.value)
        kind = "a positive whole number" if integer else "positive"
        errors.error(codes.NOT_POSITIVE, f"{what} must be {kind}, not {shown}", number.span)


def resolve_flow(flow: s.Flow, scope: ModuleScope, errors: Collector) -> ir.Flow | None:
    """One flow's IR (None when an error makes it meaningless; the errors are reported)."""
    resolver = FlowResolver(flow, scope)
    seen_options: set[str] = set()
    for option, span in flow.options:
        if option in seen_options:
            errors.error(codes.DUPLICATE_CLAUSE, f"`{option}` is given twice on flow `{flow.name}`", span)
        seen_options.add(option)
    if flow.limit:
        check_positive(flow.limit, "a flow limit", errors, integer=True)
    if flow.timeout:
        check_positive(flow.timeout, "a flow timeout", errors, integer=False)
    params = []
    for param in flow.params:
        if param.default is not None:
            resolver.check_value(param.default, allow_each=False)
        params.append(ir.Param(name=param.name, type=scope.type_text(param.type), default=param.default))
    result, outputs = flow_result(flow, scope, errors)
    edges = Edges(flow, errors)
    topo = check_graph(flow, edges, errors)
    nodes = []
    for node in flow.nodes:
        resolved = resolver.node(node, tuple(p for p in edges.preds[node.name] if p != "START"))
        if resolved is not None:
            nodes.append(resolved)
    returns, return_spans = flow_returns(flow, resolver, result, outputs, errors)
    if len(nodes) != len(flow.nodes):
        return None
    resolved_flow = ir.Flow(
        name=flow.name,
        line=flow.span.line,
        params=tuple(params),
        result=result,
        outputs=outputs,
        limit=int(flow.limit.value) if flow.limit else None,
        timeout=flow.timeout.seconds if flow.timeout else None,
        nodes=tuple(nodes),
        end_preds=tuple(p for p in edges.preds["END"] if p != "START"),
        returns=returns,
    )
    if topo is not None:
        check_unbound(resolved_flow, topo, return_spans, errors)
    return resolved_flow


def flow_result(flow: s.Flow, scope: ModuleScope, errors: Collector) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    if not isinstance(flow.returns, tuple):
        text = scope.type_text(flow.returns)
        return (None if text == "None" else text), ()
    outputs: list[tuple[str, str]] = []
    for output in flow.returns:
        if output.name in {name for name, _ in outputs}:
            errors.error(codes.DUPLICATE_ARGUMENT, f"output `{output.name}` is declared twice", output.span)
            continue
        if output.name.startswith("_"):
            errors.error(codes.RESERVED_NAME, "an output name cannot start with `_` (NamedTuple fields cannot)", output.span)
        outputs.append((output.name, scope.type_text(output.type)))
    return None, tuple(outputs)


def flow_returns(
    flow: s.Flow,
    resolver: FlowResolver,
    result: str | None,
    outputs: tuple[tuple[str, str], ...],
    errors: Collector,
) -> tuple[tuple[tuple[str | None, s.Expr], ...], dict[str, Span]]:
    """The return's values by output name (None for a single value) and the nodes it reads."""
    spans: dict[str, Span] = {}
    statements = flow.returns_stmt
    for extra in statements[1:]:
        errors.error(codes.RETURN_MISMATCH, f"flow `{flow.name}` has more than one `return`", extra.span)
    wants_value = result is not None
    if not statements:
        if wants_value or outputs:
            errors.error(
                codes.RETURN_MISMATCH,
                f"flow `{flow.name}` declares a result but has no `return`",
                flow.name_span,
                help="end the flow with `return NODE`" if wants_value else "end the flow with `return a=..., b=...`",
            )
        return (), spans
    statement = statements[0]
    values: list[tuple[str | None, s.Expr]] = []
    if statement.value is not None:
        if not wants_value:
            what = "named outputs" if outputs else "`None`"
            errors.error(
                codes.RETURN_MISMATCH,
                f"flow `{flow.name}` returns {what}, so it cannot `return` a single value",
                statement.span,
                help="write `return a=..., b=...`" if outputs else "remove the `return`, or declare a result type",
            )
        values.append((None, statement.value))
    else:
        names = [o.name for o in statement.outputs]
        declared = [name for name, _ in outputs]
        if not outputs:
            errors.error(
                codes.RETURN_MISMATCH,
                f"flow `{flow.name}` does not declare named outputs",
                statement.span,
                help="declare them: `-> (a: int, b: str)`",
            )
        for arg in statement.outputs:
            if names.count(arg.name or "") > 1 and arg.name in [n for n, _ in values]:
                errors.error(codes.DUPLICATE_ARGUMENT, f"output `{arg.name}` is returned twice", arg.span)
            elif outputs and arg.name not in declared:
                errors.error(
                    codes.RETURN_MISMATCH,
                    f"flow `{flow.name}` has no output `{arg.name}`",
                    arg.span,
                    help=f"declared outputs: {', '.join(declared)}",
                )
            values.append((arg.name, arg.value))
        missing = [name for name in declared if name not in names]
        if outputs and missing:
            errors.error(
                codes.RETURN_MISMATCH,
                f"the return misses output {', '.join(f'`{m}`' for m in missing)}",
                statement.span,
            )
    for _, value in values:
        resolver.check_value(value, allow_each=False)
        resolver.check_refs(value)
        for ref in walk_refs(value):
            spans.setdefault(ref.name, ref.name_span)
    return tuple(values), spans
