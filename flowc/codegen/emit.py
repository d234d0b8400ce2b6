"""IR to Python: one module per `.flow` file, laid out by `templates/module.py.j2`.

Rendering only: every name, the schedule, the runtime sections and the imports come from the
plan (`plan.py`). Python prepares every line of flow code here (one small function per kind of
thing); the template only arranges the module.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import re
from collections.abc import Callable

import jinja2

from .. import __version__
from ..resources import resource_text
from ..semantics import ir
from ..syntax import tree as syntax
from . import pytext as x
from . import shared
from .layout import END_REGION, END_VERBATIM, REGION, VERBATIM
from .plan import (
    BIND_EXECUTOR,
    CONFIGURE_POOL,
    FlowPlan,
    ModulePlan,
    has_plain_elements,
    is_plain,
    merge_imports,
    mutable,
    named_outputs,
    plan,
    spawns,
    uses_thread_helper,
)
from .schedule import Spawn


def titled(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


class FlowEmitter:
    """Writes the body of one flow's `async def`."""

    def __init__(self, module: ir.Module, planned: FlowPlan, pools: dict[str, str], executors: dict[str, str]) -> None:
        self.module = module
        self.flow = planned.flow
        self.plan = planned.schedule
        self.pools = pools
        self.executors = executors
        self.info = planned.info
        self.policy = planned.policy
        self.settings = planned.settings
        self.policies = planned.policies
        self.checks: set[tuple[str, str]] = set()  # (parameter, check) made by this run already
        self.map_limits = planned.map_limits
        self.defaults_of = planned.defaults
        self.local = planned.local
        self.v = planned.v
        self.task = planned.task
        self.read = planned.read
        self.digest = planned.digest
        temporary = planned.temporaries
        self.values: dict[str, str] = {}
        self.fresh = lambda text: self.values.get(text) or self.values.setdefault(text, temporary("value"))
        self.temporary = temporary
        self.groups: dict[tuple[str, ...], str] = {}
        self.shared = shared_waits([spawn.waits for spawn in spawns(self.plan)])
        self.awaited: set[str] = set()

    # ---------------------------------------------------------------- module-level constants

    def constants(self) -> list[str]:
        """The module-level constants the flow reads: node infos, policies, mutable defaults."""
        lines = [f"{self.info[n.name]} = {self.node_info(n)}" for n in self.flow.nodes]
        lines += [
            f"{self.policy[n.name]} = {self.policy_value(n)}"
            for n in self.flow.nodes
            if not n.policy.plain and not n.policy.per_run
        ]
        lines += [f"{self.policies[n.name]} = _Policies()" for n in self.flow.nodes if n.policy.per_run]
        for param in self.flow.params:
            if mutable(param.default):
                value = x.expr(param.default, literal_only)
                lines.append(f"{self.defaults_of[param.name]}: {param.type} = {value}")
        return lines

    def node_info(self, node: ir.Node) -> str:
        location = f"{self.module.name}:{node.line}"
        return f"NodeInfo({x.string(self.flow.name)}, {x.string(node.name)}, {x.string(location)})"

    def policy_value(self, node: ir.Node) -> str:
        """`_Policy(…)`, or for a policy with settings from parameters, the one its node's
        `_Policies` has (or makes) for the settings checked."""
        policy = node.policy
        fields = [f"{setting.field}={self.setting_value(setting, node)}" for setting in policy.settings()]
        made = f"{self.policies[node.name]}.get" if policy.per_run else "_Policy"
        return f"{made}({', '.join(fields)})"

    def setting_value(self, setting: ir.Setting, node: ir.Node) -> str:
        """A policy setting's value as Python: a pool by its module-level name, exception
        classes as a tuple, numbers and `True` as written by `repr`, a parameter through
        the run-time check of its value."""
        value = setting.value
        policy = node.policy
        if setting.field == "max_delay" and policy.per_run and policy.backoff is not None:
            # The cap is at least the first delay: checked here when either is a parameter.
            assert policy.max_delay is not None
            least = self.number(policy.backoff)
            if not isinstance(value, ir.FromParam):
                value = ir.FromParam(name=repr(value), clause=f"max {value!r}s")
            return self.checked(value, node, least=least)
        if isinstance(value, ir.FromParam):
            return self.checked(value, node, integer=setting.field == "retries")
        if setting.field == "pool":
            assert isinstance(value, str)
            return self.pools[value]
        if isinstance(value, tuple):
            return f"({', '.join(value)},)"
        return repr(value)

    # ---------------------------------------------------------------- settings from parameters

    def checked(
        self, value: ir.FromParam, node: ir.Node | None, *, integer: bool = False, least: str | None = None
    ) -> str:
        """A setting from a parameter through its run-time check, which names the flow, the
        node (None: the flow's own) and the clause: a count (a retry count may be 0) or a
        number of seconds (a backoff's cap at least `least`, the backoff)."""
        where = f"flow `{self.flow.name}`"
        if node is None:
            where += f" ({self.module.name}:{self.flow.line})"
        else:
            where += f", node `{node.name}` ({self.module.name}:{node.line})"
        if integer:
            function, bound = "_count", f", {0 if value.clause.startswith('retry ') else 1}"
        else:
            function, bound = "_seconds", ""
        what = x.string(f"{where}: `{value.clause}`")
        extra = f", {least}" if least else ""
        if (value.name, function + bound + extra) in self.checks:
            return value.name  # checked the same way by an earlier clause of this run
        self.checks.add((value.name, function + bound + extra))
        return f"{function}({value.name}{bound}, {what}{extra})"

    @staticmethod
    def number(value: float | ir.FromParam) -> str:
        return value.name if isinstance(value, ir.FromParam) else repr(value)

    def run_settings(self) -> list[str]:
        """The settings from parameters, checked into locals before the run starts, so that
        a bad value fails the call before any node (or observer) hears of the run."""
        flow, lines = self.flow, []
        if isinstance(flow.limit, ir.FromParam):
            lines.append(f"{self.settings['limit']} = {self.checked(flow.limit, None, integer=True)}")
        if isinstance(flow.timeout, ir.FromParam):
            lines.append(f"{self.settings['timeout']} = {self.checked(flow.timeout, None)}")
        for node in flow.nodes:
            if node.policy.per_run:
                lines.append(f"{self.policy[node.name]} = {self.policy_value(node)}")
            if isinstance(node.map_limit, ir.FromParam):
                lines.append(f"{self.map_limits[node.name]} = {self.checked(node.map_limit, node, integer=True)}")
        return lines

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

    def call(
        self,
        node: ir.Node,
        lookup: x.Lookup,
        each: str | None = None,
        watch: str | None = None,
        fallback: str | None = None,
    ) -> tuple[str, bool]:
        """The node's call as text, and whether it is awaitable. With `watch` (the element's
        index, or "" outside a map), the function called is the node's own when the run has
        no observer and `_watch` of it when it has one: the call itself is written once.
        With `fallback` (the element's index, or ""), the call is the node's fallback call."""
        arguments = x.args(node.args, lookup, each, self.fresh)
        callee = node.callee.text
        if node.callee.flow is not None:
            sep = ", " if arguments else ""
            # The sub-flow's run reports to the same observer, as a run of this one's; a
            # map's element does so only if the observer hears elements (`map_elements`).
            observer = "observer" if each is None else f"{self.v['run']}.element_observer"
            # With a journal, the sub-flow records its nodes under this node's key (its
            # element's, in a map; a fallback call under a key of its own).
            index = self.v["index"] if each is not None else fallback
            scope = "".join(
                [self.info[node.name], f", {index}" if index else "", ", fallback=True" if fallback is not None else ""]
            )
            journal = f"{self.v['run']}.sub({scope})"
            if node.callee.origin is not None:
                # A flow of another generated module types its observer with that module's
                # `FlowObserver`: the same object, but (inline, or in another folder) another
                # class to mypy. So with its journal.
                observer, journal = f"_cast(_Any, {observer})", f"_cast(_Any, {journal})"
            passed = f"observer={observer}, parent_run_id={self.v['run']}.id, journal={journal}"
            return f"{self.watched(node, callee, watch)}({arguments}{sep}{passed})", True
        if node.mode == "executor":
            assert node.executor is not None
            # A fallback call runs in a local worker thread: the executor never holds it.
            runner = f"{self.executors[node.executor]}.{'submit' if fallback is None else 'local'}"
            sep = ", " if arguments else ""
            return f"{self.watched(node, runner, watch)}({self.info[node.name]}, {callee}{sep}{arguments})", True
        if node.mode == "thread":
            if uses_thread_helper(node, self.flow):
                # A slot is held until the thread ends, even when a timeout abandons it.
                runner = "_thread"
            else:
                runner = "asyncio.to_thread"
            # The callee is checked in its thread: an `async def` one fails the node (`_plain`).
            checked = f"_in_thread({self.info[node.name]}, {callee})"
            return f"{self.watched(node, runner, watch)}({checked}{', ' if arguments else ''}{arguments})", True
        text = f"{self.watched(node, callee, watch)}({arguments})"
        if node.mode == "sync":
            return f"_plain({self.info[node.name]}, {text})", False
        return text, True

    def watched(self, node: ir.Node, function: str, watch: str | None) -> str:
        """The function a plain node calls: itself, or observed (`_watch`) when there is an observer."""
        if watch is None:
            return function
        helper = "_watch_sync" if node.mode == "sync" else "_watch"
        index = f", {watch}" if watch else ""
        observed = f"{helper}({self.v['run']}, {self.info[node.name]}, {function}{index})"
        return f"({function} if observer is None and journal is None else {observed})"

    def attempt(self, node: ir.Node, lookup: x.Lookup, each: str | None = None, fallback: str | None = None) -> str:
        """An awaitable for one attempt of the node's call (its fallback call: `fallback`)."""
        text, awaitable = self.call(node, lookup, each, fallback=fallback)
        if not awaitable:
            return f"_ready({text})"
        return text

    def guarded(self, node: ir.Node, lookup: x.Lookup, each: str | None = None, index: str | None = None) -> str:
        """An awaitable for the node's call with its clauses: retries, timeout, pool, fallback."""
        extra = f", {index}" if index else ""
        text = f"_call({self.v['run']}, {self.info[node.name]}, {self.policy[node.name]}, lambda: {self.attempt(node, lookup, each)}{extra})"
        fallback = node.fallback
        if fallback is None:
            return text
        where = f"{self.v['run']}, {self.info[node.name]}"
        if isinstance(fallback, ir.FallbackCall):
            # The fallback call is made the way the node's own callee is (await, sync, thread;
            # an executor node's in a local thread).
            alt = dataclasses.replace(node, callee=fallback.callee, args=fallback.call.args)
            told = x.string(fallback.callee.text)
            alt_text = self.attempt(alt, lookup, fallback=index or "")
            return f"_fallback_call({where}, {told}, lambda: {text}, lambda: {alt_text}{extra})"
        value = x.expr(fallback.value, lookup, fresh=self.fresh)
        return f"_fallback({where}, {x.string(value)}, lambda: {text}, lambda: {value}{extra})"

    def awaitable(self, node: ir.Node, lookup: x.Lookup) -> str:
        """An awaitable for the whole node: map, clauses and `when`."""
        if node.is_map:
            each = next(a.value for a in node.args if isinstance(a.value, syntax.Each))
            items = x.ref(each.ref, lookup, self.fresh)
            item, index = self.v["item"], self.v["index"]
            element = self.guarded(node, lookup, each=item, index=index)
            if has_plain_elements(node, self.flow):
                # Without clauses an element is its call, as a plain node is.
                text, awaitable = self.call(node, lookup, each=item, watch=index)
                element = text if awaitable else f"_ready({text})"
            helper = "_map_collect" if node.collect else "_map"
            limit = self.map_limits.get(node.name) or repr(node.map_limit)
            text = f"{helper}({self.v['run']}, {self.info[node.name]}, {items}, lambda {item}, {index}: {element}, {limit})"
        else:
            text = self.guarded(node, lookup)
        if node.when is not None:
            text = f"_when({self.v['run']}, {self.info[node.name]}, {x.condition(node.when, lookup, self.fresh)}, lambda: {text})"
        return text

    def is_plain(self, node: ir.Node) -> bool:
        return is_plain(node, self.flow)

    # ---------------------------------------------------------------- statements

    def inline(self, node: ir.Node) -> list[str]:
        """The lines running an inline node in the flow's own coroutine."""
        lines = [f"# {self.module.name}:{node.line}", f"{self.v['at']} = {self.info[node.name]}"]
        if self.is_plain(node):
            text, awaitable = self.call(node, self.inline_value, watch="")
            return lines + [self.bind(node, f"await {text}" if awaitable else text)]
        return lines + [self.bind(node, f"await {self.awaitable(node, self.inline_value)}")]

    def bind(self, node: ir.Node, value: str) -> str:
        """The statement giving a node its value: bound to its local when something reads it,
        else the bare expression. A callee may return None; mypy reports reading that value
        (`func-returns-value`), and only a read is a mistake."""
        return f"{self.local[node.name]} = {value}" if node.name in self.read else value

    def spawn(self, spawn: Spawn) -> list[str]:
        node = spawn.node
        info = self.info[node.name]
        lines = [f"# {self.module.name}:{node.line}"]
        if spawn.waits:
            waits = f"({', '.join(self.task[w] for w in spawn.waits)},)"
            if spawn.waits in self.shared:
                if spawn.waits not in self.groups:
                    self.groups[spawn.waits] = self.temporary("after")
                    lines.append(f"{self.groups[spawn.waits]} = {waits}")
                waits = self.groups[spawn.waits]
            text = f"_after({waits}, lambda: {self.awaitable(node, self.task_value)})"
        elif self.is_plain(node) and node.mode not in ("sync", "executor"):
            text, _ = self.call(node, self.task_value, watch="")
        else:
            text = self.awaitable(node, self.task_value)
        return [*lines, f"{self.task[node.name]} = {self.v['run']}.spawn(lambda: {text}, {info})"]

    def await_tasks(self, names: tuple[str, ...]) -> list[str]:
        lines = []
        for name in names:
            awaited = f"await {self.task[name]}"
            lines.append(f"{self.local[name]} = {awaited}" if name in self.read else awaited)
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

    def returns(self) -> list[str]:
        flow = self.flow
        if isinstance(flow.result, ir.NamedOutputs):
            values = {r.name: r.value for r in flow.returns}
            fields = ", ".join(
                f"{o.name}={x.expr(values[o.name], self.inline_value, fresh=self.fresh)}" for o in flow.result.outputs
            )
            result = self.temporary("result")
            return [f"{result} = {flow.result.class_name}({fields})", *self.finished(result), f"return {result}"]
        if isinstance(flow.result, ir.NoResult):
            return [*self.finished(), "return"]
        result = self.temporary("result")
        value = x.expr(flow.returns[0].value, self.inline_value, fresh=self.fresh)
        # Annotated: the value is typed against the declared result, as `return value` is.
        return [f"{result}: {flow.result.annotation} = {value}", *self.finished(result), f"return {result}"]

    def finished(self, result: str = "None") -> list[str]:
        """The run ends well: its journal records `result`, its observer hears `flow_finished`."""
        run = self.v["run"]
        return ["if journal is not None:", f"    await {run}.complete({result})", *self.observed()]

    def observed(self) -> list[str]:
        return ["if observer is not None:", f"    {self.v['run']}.finished()"]

    def resume(self) -> list[str]:
        """With a journal, the run first reads what the run of the same id recorded; a run
        that finished returns its result at once."""
        flow = self.flow
        inputs = "".join(f"{self.local[p.name]}, " for p in flow.params).rstrip(" ")
        what = f"journal, run_id, {x.string(flow.name)}, {x.string(self.digest)}, ({inputs})"
        if isinstance(flow.result, ir.NoResult):
            done = "return"
        else:
            done = f"return _cast({x.string(flow.result.annotation)}, {self.v['run']}.replayed())"
        return [f"if journal is not None and await {self.v['run']}.resume({what}):", f"    {done}"]

    def body(self) -> list[str]:
        """The statements inside `try:`."""
        lines: list[str] = self.resume()
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
        params += ["*", "observer: FlowObserver | None = None", "run_id: str | None = None"]
        params += ["parent_run_id: str | None = None", "journal: FlowJournal | None = None"]
        return f"async def {self.flow.name}({', '.join(params)}) -> {self.flow.result.annotation}:"

    def function(self) -> list[str]:
        """The whole `async def` of the flow."""
        body = self.body()
        limit = self.settings.get("limit") or repr(self.flow.limit)
        lines = [self.signature(), f'    """Run flow `{self.flow.name}` ({self.module.name}:{self.flow.line})."""']
        lines.append("    " + REGION)
        lines += ["    " + line for line in self.defaults()]
        lines += ["    " + line for line in self.run_settings()]
        v = self.v
        run = f"_Run(observer, {limit}, {x.string(self.flow.name)}, run_id, parent_run_id)"
        lines += [f"    {v['run']} = {run}", f"    {v['at']}: NodeInfo | None = None"]
        indent = "    "
        if self.flow.timeout is not None:
            # The run knows its timeout: what its observer hears when it expires.
            timeout = self.settings.get("timeout") or repr(self.flow.timeout)
            lines.append(f"    async with asyncio.timeout({timeout}) as {v['run']}.deadline:")
            indent = "        "
        lines.append(indent + "try:")
        lines += [indent + "    " + line for line in body]
        lines += [
            # Every exception, cancellation included, ends the run the same way: `abort`
            # settles its tasks and says which exception to raise (outside the handler, so
            # that no exception gets the cancellation as its context).
            indent + f"except BaseException as {v['exc']}:  # noqa: BLE001",
            indent + f"    {v['error']} = await {v['run']}.abort({v['exc']}, {v['at']})",
            indent + f"raise {v['error']}",
            "    " + END_REGION,
        ]
        return lines


SHARED_WAITS = 4
"""Tasks waited for that are named once, in a tuple of their own, when several spawns wait
for the same ones: `[a1, …, a999] >> [b1, …, b999]` then makes a tuple of 999 tasks and 999
spawns that name it, not 999 spawns that each list 999 tasks (a module growing with the
square of the edge list)."""


def shared_waits(waits: list[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """The tuples of tasks waited for by more than one spawn, long enough to name once."""
    counts = collections.Counter(w for w in waits if len(w) >= SHARED_WAITS)
    return {w for w, count in counts.items() if count > 1}


def literal_only(name: str) -> str:
    raise AssertionError(f"a default is a literal; it reads no `{name}`")


def configure_pool(module: ir.Module, pools: dict[str, str]) -> list[str]:
    """`configure_pool`, in a module that declares pools: changes one of them at run time."""
    if not module.pools:
        return []
    names = ", ".join(f"`{p.name}`" for p in module.pools)
    constants = "".join(f"{pools[p.name]}, " for p in module.pools)
    return [
        f"def {CONFIGURE_POOL}(",
        "    name: str, *, limit: int | None = None, rate: int | None = None, per: float | None = None",
        ") -> None:",
        f'    """Change pool `name` of this module ({names}) for every run from now on: its',
        "    `limit`, its `rate` and the rate's window `per` (seconds); None leaves a setting as it",
        "    is. Calls holding slots keep them: after a lower limit, new calls wait until fewer",
        "    than the limit are in flight; after a higher one, waiting calls start at once. An",
        '    unknown name raises `KeyError`, a value out of range `ValueError`."""',
        f"    _configure_pool(({constants.rstrip()}), name, limit, rate, per)",
    ]


def bind_executor(module: ir.Module, executors: dict[str, str]) -> list[str]:
    """`bind_executor`, in a module that declares executors: binds one at run time."""
    if not module.executors:
        return []
    names = ", ".join(f"`{name}`" for name in module.executors)
    constants = "".join(f"{executors[name]}, " for name in module.executors)
    return [
        f"def {BIND_EXECUTOR}(name: str, executor: _Executor | None) -> None:",
        f'    """Run the calls of the nodes marked `executor name` ({names}) on `executor`',
        "    from the next call on: any `concurrent.futures.Executor`, such as a process pool or",
        "    a Dask client's `get_executor(pure=False)`. None runs them in the default thread",
        "    pool, as `thread` does. The executor is sent `functools.partial(f, **kwargs)`: for",
        "    another process, the function, its arguments and its value must be picklable. An",
        '    unknown name raises `KeyError`."""',
        f"    _bind_executor(({constants.rstrip()}), name, executor)",
    ]


def result_class(flow: ir.Flow, result: ir.NamedOutputs) -> list[str]:
    lines = [f"class {result.class_name}(_NamedTuple):", f'    """The named outputs of flow `{flow.name}`."""', ""]
    return lines + [f"    {o.name}: {o.type}" for o in result.outputs]


def import_sections(lines: list[str], first_party: Callable[[str], bool] | None) -> list[list[str]]:
    """The file's own non-stdlib imports as isort's sections: third-party, then first-party
    (all in one when it is not known which modules are the project's)."""
    if first_party is None:
        return [merge_imports(set(lines))]
    own = {line for line in lines if first_party(line.split()[1].split(".")[0])}
    return [merge_imports(set(lines) - own), merge_imports(own)]


def reads_result_classes(module: ir.Module) -> bool:
    """Whether a result class's field names a result class (its own, or one defined after
    it): the module then postpones its annotations, or importing it would fail."""
    classes = {r.class_name for _, r in named_outputs(module)}
    words = {word for _, r in named_outputs(module) for o in r.outputs for word in re.findall(r"\w+", o.type)}
    return not classes.isdisjoint(words)


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


def emit(
    module: ir.Module,
    display_path: str,
    source_sha256: str,
    command: str | None = None,
    runtime_module: str | None = None,
    first_party: Callable[[str], bool] | None = None,
) -> str:
    """The generated module's text, before formatting. With `runtime_module` (`_flowc_runtime`,
    or `._flowc_runtime` in a package) the module imports its helpers from the shared runtime
    file instead of copying them. `first_party` says which top-level modules are the
    project's own: their imports come in a block after the others, as isort puts them."""
    planned: ModulePlan = plan(module, shared=runtime_module is not None)
    # An imported pool is the object its own module declares, under the name imported.
    pool_names = planned.pools | {i.alias: i.alias for i in module.flow_imports if i.kind == "pool"}
    emitters = [FlowEmitter(module, flow, pool_names, planned.executors) for flow in planned.flows]
    functions = [emitter.function() for emitter in emitters]
    constants = [line for emitter in emitters for line in emitter.constants()]
    public = sorted(
        {f.name for f in module.flows}
        | {r.class_name for _, r in named_outputs(module)}
        | {p.name for p in module.pools if p.public}
        | set(shared.public_types(bool(module.flows)))
        | ({CONFIGURE_POOL} if module.pools else set())
        | ({BIND_EXECUTOR} if module.executors else set())
    )
    pools = [
        f"{planned.pools[p.name]} = _Pool({x.string(p.name)}, {p.limit!r}"
        + (f", rate={p.rate!r}, per={p.per!r})" if p.rate is not None else ")")
        for p in module.pools
    ]
    # Each pool under its own name too: other `.flow` files import it by that name.
    pools += [f"{p.name} = {planned.pools[p.name]}" for p in module.pools if p.public]
    pools += [f"{planned.executors[name]} = _NamedExecutor({x.string(name)})" for name in module.executors]
    classes = [result_class(f, r) for f, r in named_outputs(module)]
    configure = configure_pool(module, planned.pools) + bind_executor(module, planned.executors)
    command = command or display_path
    user_imports = list(planned.user_imports)
    runtime_imports: list[str] = []
    runtime_check: list[str] = []
    if runtime_module is not None:
        code = [*pools, *constants, *configure, *(line for lines in [*classes, *functions] for line in lines)]
        types = shared.public_types(bool(module.flows))
        runtime_imports = shared.import_lines(shared.names_read(code), runtime_module, types)
        runtime_check = shared.runtime_check(__version__, f"flowc compile {command}")
        if not runtime_module.startswith("."):
            # isort's order: an absolute import is one of the file's other imports; a
            # relative one comes in a block of its own, after them.
            user_imports, runtime_imports = [*user_imports, *runtime_imports], []
    return (
        environment()
        .get_template("module.py.j2")
        .render(
            version=__version__,
            path=display_path,
            command=command,
            sha256=source_sha256,
            stdlib_imports=planned.stdlib_imports,
            user_imports=import_sections(user_imports, first_party),
            runtime_imports=runtime_imports,
            version_check=shared.VERSION_CHECK,
            runtime_check=runtime_check,
            # The runtime's sections are black-formatted in `runtime.py` already (a test
            # checks it): black never formats them again.
            prelude="\n\n\n".join(section.code for section in planned.sections),
            VERBATIM=VERBATIM,
            END_VERBATIM=END_VERBATIM,
            public=public,
            constants=[REGION, *pools, *constants, END_REGION] if pools or constants else [],
            configure=configure,
            result_classes=classes,
            future_annotations=reads_result_classes(module),
            functions=functions,
        )
    )
