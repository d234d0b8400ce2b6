"""IR to Python: one module per `.flow` file, laid out by `templates/module.py.j2`.

Python prepares every line of flow code here (one small function per kind of thing); the
template only arranges the module. Helper code comes from `runtime.py`, section by section,
only the sections a module uses.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from typing import TypeGuard

import jinja2

from . import __version__
from . import expressions as x
from . import ir, syntax
from .layout import END_REGION, REGION
from .names import PYTHON_BUILTINS
from .resources import resource_text
from .runtime_sections import Section, load_sections, module_names, select
from .schedule import Schedule, Spawn, schedule

FLOW_LOCALS = ("run", "at", "exc", "error", "item", "index")
"""Names every flow function binds for itself; renamed (`run_`) when the module already uses one."""


class Namer:
    """Hands out Python names that collide with nothing already taken, deterministically."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)

    def __call__(self, wanted: str) -> str:
        name = wanted
        while name in self.taken:
            name += "_"
        self.taken.add(name)
        return name


@dataclass(slots=True)
class ModuleNames:
    """Names at module level: node constants, policies, pools and the sections they need."""

    namer: Namer
    pools: dict[str, str] = field(default_factory=dict)
    needs: set[str] = field(default_factory=set)
    constants: list[str] = field(default_factory=list)
    uses_asyncio: bool = False


def titled(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


class FlowEmitter:
    """Writes the body of one flow's `async def`."""

    def __init__(self, module: ir.Module, flow: ir.Flow, names: ModuleNames) -> None:
        self.module = module
        self.flow = flow
        self.names = names
        self.flows = {f.name for f in module.flows}
        self.plan: Schedule = schedule(flow)
        # Module-level names this flow reads come first: its locals keep clear of them.
        self.info = {n.name: self.constant(f"_{flow.name}__{n.name}", self.node_info(n)) for n in flow.nodes}
        self.policy = {n.name: self.policy_constant(n) for n in flow.nodes}
        self.defaults_of = {p.name: self.default_name(p) for p in flow.params if mutable(p.default)}
        # Parameters keep their names (they are the function's keywords); the front end keeps
        # them apart from every module-level name. The flow's own locals and the nodes yield.
        self.local = {p.name: p.name for p in flow.params}
        local = Namer(names.namer.taken | set(self.local) | {"observer"})
        self.v = {name: local(name) for name in FLOW_LOCALS}
        self.local |= {n.name: local(n.name) for n in flow.nodes}
        self.task = {name: local(f"{self.local[name]}_task") for name in sorted(self.plan.tasks)}
        self.values: dict[str, str] = {}
        self.fresh = lambda text: self.values.get(text) or self.values.setdefault(text, local("value"))
        self.awaited: set[str] = set()

    # ---------------------------------------------------------------- module-level constants

    def constant(self, wanted: str, value: str) -> str:
        name = self.names.namer(wanted)
        self.names.constants.append(f"{name} = {value}")
        return name

    def node_info(self, node: ir.Node) -> str:
        self.names.needs.add("observer")
        location = f"{self.module.name}:{node.line}"
        return f"NodeInfo({x.string(self.flow.name)}, {x.string(node.name)}, {x.string(location)})"

    def policy_constant(self, node: ir.Node) -> str:
        policy = node.policy
        if policy.plain:
            return "_PLAIN"
        self.names.needs.add("policy")
        fields = []
        if policy.timeout is not None:
            fields.append(f"timeout={policy.timeout!r}")
        if policy.retries:
            fields.append(f"retries={policy.retries!r}")
        if policy.backoff is not None:
            fields.append(f"backoff={policy.backoff!r}")
        if policy.max_delay is not None:
            fields.append(f"max_delay={policy.max_delay!r}")
        if policy.jitter:
            fields.append("jitter=True")
        if policy.retry_on:
            fields.append(f"retry_on=({', '.join(policy.retry_on)},)")
        if policy.pool is not None:
            fields.append(f"pool={self.names.pools[policy.pool]}")
        return self.constant(f"_{self.flow.name}__{node.name}__policy", f"_Policy({', '.join(fields)})")

    # ---------------------------------------------------------------- values

    def inline_value(self, name: str) -> str:
        """A value as read by the flow's own coroutine at the current point."""
        if name in self.task and name not in self.awaited:
            return f"{self.task[name]}.result()"
        return self.local[name]

    def task_value(self, name: str) -> str:
        """A value as read inside a task or a deferred call: task results via `.result()`."""
        if name in self.task:
            return f"{self.task[name]}.result()"
        return self.local[name]

    # ---------------------------------------------------------------- calls

    def call(self, node: ir.Node, lookup: x.Lookup, each: str | None = None) -> tuple[str, bool]:
        """The node's call as text, and whether it is awaitable."""
        arguments = x.args(node.args, lookup, each, self.fresh)
        callee = node.callee.text
        if node.callee.flow is not None:
            sep = ", " if arguments else ""
            return f"{callee}({arguments}{sep}observer=observer)", True
        if node.mode == "thread":
            if node.policy.pool is not None or self.flow.limit is not None:
                # A slot is held until the thread ends, even when a timeout abandons it.
                self.names.needs.add("thread")
                return f"_thread({callee}{', ' if arguments else ''}{arguments})", True
            self.names.uses_asyncio = True
            return f"asyncio.to_thread({callee}{', ' if arguments else ''}{arguments})", True
        return f"{callee}({arguments})", node.mode == "await"

    def attempt(self, node: ir.Node, lookup: x.Lookup, each: str | None = None) -> str:
        """An awaitable for one attempt of the node's call."""
        text, awaitable = self.call(node, lookup, each)
        if not awaitable:
            self.names.needs.add("call")
            return f"_ready({text})"
        return text

    def guarded(self, node: ir.Node, lookup: x.Lookup, each: str | None = None, index: str | None = None) -> str:
        """An awaitable for the node's call with its clauses: retries, timeout, pool, fallback."""
        self.names.needs.add("call")
        if node.policy.pool is not None:
            self.names.needs.add("pool")
        extra = f", {index}" if index else ""
        text = f"_call({self.v['run']}, {self.info[node.name]}, {self.policy[node.name]}, lambda: {self.attempt(node, lookup, each)}{extra})"
        fallback = node.fallback
        if fallback is None:
            return text
        self.names.needs.add("fallback")
        if isinstance(fallback, syntax.Call):
            # The fallback call is made the way the node's own callee is (await, sync, thread).
            assert node.fallback_callee is not None, "the front end resolves every fallback call"
            args = tuple((a.name, a.value) for a in fallback.args)
            alt = dataclasses.replace(node, callee=node.fallback_callee, args=args)
            return f"_fallback_call(lambda: {text}, lambda: {self.attempt(alt, lookup)})"
        return f"_fallback(lambda: {text}, lambda: {x.expr(fallback, lookup, fresh=self.fresh)})"

    def awaitable(self, node: ir.Node, lookup: x.Lookup) -> str:
        """An awaitable for the whole node: map, clauses and `when`."""
        if node.is_map:
            each = next(value for _, value in node.args if isinstance(value, syntax.Each))
            items = x.ref(each.ref, lookup, self.fresh)
            item, index = self.v["item"], self.v["index"]
            element = self.guarded(node, lookup, each=item, index=index)
            if node.policy.plain and node.fallback is None and self.flow.limit is None:
                # Without clauses or an observer an element is its call, as a plain node is.
                element = f"{self.attempt(node, lookup, each=item)} if observer is None else {element}"
            helper = "_map_collect" if node.collect else "_map"
            self.names.needs.add("map")
            text = f"{helper}({self.v['run']}, {self.info[node.name]}, {items}, lambda {item}, {index}: {element}, {node.map_limit!r})"
        else:
            text = self.guarded(node, lookup)
        if node.when is not None:
            self.names.needs.add("when")
            text = f"_when({self.v['run']}, {self.info[node.name]}, {x.condition(node.when, lookup, self.fresh)}, lambda: {text})"
        return text

    def is_plain(self, node: ir.Node) -> bool:
        return (
            node.policy.plain
            and node.fallback is None
            and node.when is None
            and not node.is_map
            and self.flow.limit is None
        )

    # ---------------------------------------------------------------- statements

    def inline(self, node: ir.Node) -> list[str]:
        """The lines running an inline node in the flow's own coroutine."""
        target = self.local[node.name]
        lines = [f"# {self.module.name}:{node.line}", f"{self.v['at']} = {self.info[node.name]}"]
        if self.is_plain(node):
            self.names.needs.add("call")
            text, awaitable = self.call(node, self.inline_value)
            direct = f"await {text}" if awaitable else text
            observed = f"await _call({self.v['run']}, {self.info[node.name]}, _PLAIN, lambda: {self.attempt(node, self.inline_value)})"
            return lines + [
                "if observer is None:",
                f"    {target} = {direct}",
                "else:",
                f"    {target} = {observed}",
            ]
        return lines + [f"{target} = await {self.awaitable(node, self.inline_value)}"]

    def spawn(self, spawn: Spawn) -> list[str]:
        node = spawn.node
        info = self.info[node.name]
        self.names.needs.add("run")
        if spawn.waits:
            self.names.needs.add("after")
            waits = ", ".join(self.task[w] for w in spawn.waits)
            text = f"_after(({waits},), lambda: {self.awaitable(node, self.task_value)})"
        elif self.is_plain(node) and node.mode != "sync":
            self.names.needs.add("call")
            direct, _ = self.call(node, self.task_value)
            text = f"{direct} if observer is None else _call({self.v['run']}, {info}, _PLAIN, lambda: {direct})"
        else:
            text = self.awaitable(node, self.task_value)
        return [f"# {self.module.name}:{node.line}", f"{self.task[node.name]} = {self.v['run']}.spawn(lambda: {text}, {info})"]

    def await_tasks(self, names: tuple[str, ...]) -> list[str]:
        lines = []
        for name in names:
            lines.append(f"{self.local[name]} = await {self.task[name]}")
            self.awaited.add(name)
        return lines

    def defaults(self) -> list[str]:
        """Mutable defaults are fresh for every run: rebuilt from the literal when not given."""
        lines = []
        for param in self.flow.params:
            if mutable(param.default):
                marker = self.defaults_of[param.name]
                lines += [
                    f"if {self.local[param.name]} is {marker}:",
                    f"    {self.local[param.name]} = {x.expr(param.default, self.local.__getitem__)}",
                ]
        return lines

    def default_name(self, param: ir.Param) -> str:
        """A module-level constant holding a mutable default, as the signature's marker."""
        assert param.default is not None
        value = x.expr(param.default, literal_only)
        name = self.names.namer(f"_{self.flow.name}__{param.name}__default")
        self.names.constants.append(f"{name}: {param.type} = {value}")
        return name

    def returns(self) -> list[str]:
        flow = self.flow
        if flow.outputs:
            values = dict(flow.returns)
            fields = ", ".join(f"{name}={x.expr(values[name], self.inline_value, fresh=self.fresh)}" for name, _ in flow.outputs)
            return [f"return {flow.result_class}({fields})"]
        if flow.result is None:
            return ["return None"]
        return [f"return {x.expr(flow.returns[0][1], self.inline_value, fresh=self.fresh)}"]

    def body(self) -> list[str]:
        """The statements inside `try:`."""
        lines: list[str] = []
        for spawn in self.plan.first:
            lines += self.spawn(spawn)
        for step in self.plan.steps:
            if step.awaits:
                lines += [f"{self.v['at']} = None", *self.await_tasks(step.awaits)]
            lines += self.inline(step.node)
            for spawn in step.spawns:
                lines += self.spawn(spawn)
        if self.plan.final_awaits:
            lines += [f"{self.v['at']} = None", *self.await_tasks(self.plan.final_awaits)]
        return lines + self.returns()

    def signature(self) -> str:
        params = []
        for param in self.flow.params:
            text = f"{self.local[param.name]}: {param.type}"
            if mutable(param.default):
                text += f" = {self.defaults_of[param.name]}"
            elif param.default is not None:
                text += f" = {x.expr(param.default, self.local.__getitem__)}"
            params.append(text)
        params += ["*", "observer: FlowObserver | None = None"]
        result = self.flow.result_class if self.flow.outputs else (self.flow.result or "None")
        return f"async def {self.flow.name}({', '.join(params)}) -> {result}:"

    def function(self) -> list[str]:
        """The whole `async def` of the flow."""
        self.names.needs.update({"run", "observer"})
        body = self.body()
        limit = repr(self.flow.limit)
        lines = [self.signature(), f'    """Run flow `{self.flow.name}` ({self.module.name}:{self.flow.line})."""']
        lines.append("    " + REGION)
        lines += ["    " + line for line in self.defaults()]
        v = self.v
        lines += [f"    {v['run']} = _Run(observer, {limit})", f"    {v['at']}: NodeInfo | None = None"]
        indent = "    "
        if self.flow.timeout is not None:
            self.names.uses_asyncio = True
            lines.append(f"    async with asyncio.timeout({self.flow.timeout!r}):")
            indent = "        "
        lines.append(indent + "try:")
        lines += [indent + "    " + line for line in body]
        lines += [
            indent + f"except BaseException as {v['exc']}:",
            indent + f"    {v['error']} = await {v['run']}.abort({v['exc']}, {v['at']})",
            indent + f"raise {v['error']}",
            "    " + END_REGION,
        ]
        return lines


def mutable(default: syntax.Expr | None) -> TypeGuard[syntax.ListExpr | syntax.DictExpr]:
    """Whether a parameter's default is a list or dict, rebuilt for every run."""
    return isinstance(default, (syntax.ListExpr, syntax.DictExpr))


def literal_only(name: str) -> str:
    raise AssertionError(f"a default is a literal; it reads no `{name}`")


def result_class(flow: ir.Flow) -> list[str]:
    lines = [f"class {flow.result_class}(NamedTuple):", f'    """The named outputs of flow `{flow.name}`."""', ""]
    return lines + [f"    {name}: {type_}" for name, type_ in flow.outputs]


def reads_result_classes(module: ir.Module) -> bool:
    """Whether a result class's field names a result class (its own, or one defined after
    it): the module then postpones its annotations, or importing it would fail."""
    classes = {f.result_class for f in module.flows if f.outputs}
    words = {word for f in module.flows for _, type_ in f.outputs for word in re.findall(r"\w+", type_)}
    return not classes.isdisjoint(words)


def import_lines(module: ir.Module) -> list[str]:
    """The `.flow` file's own imports: one line per module, in the order first written."""
    grouped: dict[str, list[str]] = {}
    lines: list[str] = []
    for item in module.imports:
        if item.name is None:
            plain = item.alias == item.module or not item.written
            lines.append(f"import {item.module}" if plain else f"import {item.module} as {item.alias}")
            continue
        alias = item.name if item.alias == item.name else f"{item.name} as {item.alias}"
        if item.module not in grouped:
            grouped[item.module] = []
            lines.append(item.module)
        grouped[item.module].append(alias)
    return [f"from {line} import {', '.join(grouped[line])}" if line in grouped else line for line in lines]


def merge_imports(lines: set[str]) -> list[str]:
    """Standard-library import lines, one per module, names merged and sorted: `import x` lines
    first, then `from x import a, b`, each group in module order."""
    plain = sorted(line for line in lines if line.startswith("import "))
    names: dict[str, set[str]] = {}
    for line in lines:
        if line.startswith("from "):
            module, _, imported = line[len("from ") :].partition(" import ")
            names.setdefault(module, set()).update(n.strip() for n in imported.split(","))
    return plain + [f"from {m} import {', '.join(sorted(names[m]))}" for m in sorted(names)]


@functools.cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: resource_text("templates", name)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def emit(module: ir.Module, display_path: str, source_sha256: str, command: str | None = None) -> str:
    """The generated module's text, before formatting."""
    taken = set(PYTHON_BUILTINS) | {i.alias for i in module.imports} | {f.name for f in module.flows}
    taken |= {f.result_class for f in module.flows if f.outputs}
    sections = load_sections()
    taken |= set(module_names())
    # Module-level constants (`_f__node`, `_f__node__policy`, `_f__p__default`, `_pool_p`) all
    # start with `_`: they keep clear of such parameters, which would hide them in a body.
    taken |= {p.name for f in module.flows for p in f.params if p.name.startswith("_")}
    names = ModuleNames(namer=Namer(taken))
    names.pools = {p.name: names.namer(f"_pool_{p.name}") for p in module.pools}
    if module.pools:
        names.needs.add("pool")
    functions = [FlowEmitter(module, flow, names).function() for flow in module.flows]
    chosen: list[Section] = select(sections, names.needs)
    stdlib = {line for section in chosen for line in section.imports}
    if any(f.outputs for f in module.flows):
        stdlib.add("from typing import NamedTuple")
    if names.uses_asyncio:
        stdlib.add("import asyncio")
    public = sorted({f.name for f in module.flows} | {f.result_class for f in module.flows if f.outputs} | {"FlowObserver", "NodeInfo"})
    pools = [
        f"{names.pools[p.name]} = _Pool({x.string(p.name)}, {p.limit!r}"
        + (f", rate={p.rate!r}, per={p.per!r})" if p.rate is not None else ")")
        for p in module.pools
    ]
    return environment().get_template("module.py.j2").render(
        version=__version__,
        path=display_path,
        command=command or display_path,
        sha256=source_sha256,
        stdlib_imports=merge_imports(stdlib),
        user_imports=import_lines(module),
        sections=chosen,
        public=public,
        constants=[REGION, *pools, *names.constants, END_REGION] if pools or names.constants else [],
        result_classes=[result_class(f) for f in module.flows if f.outputs],
        future_annotations=reads_result_classes(module),
        functions=functions,
    )
