"""What a generated module will hold, decided from the IR before any text is written: the
Python name of everything the module and each flow function bind, each flow's schedule, the
runtime sections the module copies and the standard-library imports they need.

Rendering (`emit.py`) reads this plan and decides nothing of it. The one kind of name left to
rendering is a temporary that holds a value read twice within one expression (`value`,
`value_`, …): it exists only in the text of that expression, and is drawn from the flow's own
`Namer`, so it can never collide with a planned name.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from typing import TypeGuard

from ..semantics import ir
from ..semantics.digest import structure_digest
from ..semantics.expressions import walk_refs
from ..semantics.names import PYTHON_BUILTINS, GeneratedNames
from ..syntax import tree as syntax
from .schedule import Schedule, Spawn, schedule
from .sections import FLOW_BODY_NAMES, Section, load_sections, module_names, select

FLOW_LOCALS = ("run", "at", "exc", "error", "item", "index")
"""Names every flow function binds for itself; renamed (`run_`) when the module already uses one."""

FLOW_KEYWORDS = ("observer", "run_id", "parent_run_id", "journal")
"""The keyword-only parameters every flow function takes (the front end reserves them)."""

AMBIGUOUS = frozenset({"l", "O", "I"})
"""Names ruff's default rules call ambiguous (E741): a node's local is renamed (`l_`)."""

CONFIGURE_POOL = "configure_pool"
"""The public function by which a module that declares pools lets them be changed at run time."""

BIND_EXECUTOR = "bind_executor"
"""The public function by which a module that declares executors binds each to a
`concurrent.futures.Executor` (or to none: the default thread pool)."""

ALWAYS = frozenset({"run", "observer"})
"""Sections every module copies: the run of a flow and the observer protocol."""


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


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowPlan:
    """One flow function: its schedule and every name it binds or reads at module level."""

    flow: ir.Flow
    schedule: Schedule
    info: dict[str, str]
    """Node → its `NodeInfo` constant."""
    policy: dict[str, str]
    """Node → its `_Policy` constant, or `_PLAIN` for a node without clauses; for a node
    with a setting from a parameter, the local holding the policy made for each run."""
    policies: dict[str, str]
    """Node whose policy is made per run → the module-level `_Policies` it is made by (which
    reuses the policy of an earlier run with the same settings)."""
    settings: dict[str, str]
    """The flow's `limit` or `timeout` from a parameter (key `limit`, `timeout`) → the local
    holding it, checked before the run starts."""
    map_limits: dict[str, str]
    """Map node whose `limit` comes from a parameter → the local holding it, so checked."""
    defaults: dict[str, str]
    """Parameter with a list or dict default → the constant that marks it in the signature."""
    local: dict[str, str]
    """Parameter or node → its local name (parameters keep theirs: they are keywords)."""
    v: dict[str, str]
    """Each of `FLOW_LOCALS` → its name in this function."""
    task: dict[str, str]
    """Node that runs in a task → the local holding the task."""
    temporaries: Namer
    """Where rendering draws the names of temporaries from."""
    read: frozenset[str]
    """Nodes whose value something reads (another node, a condition, the return); the value
    of any other node is not bound to a name."""
    digest: str
    """What the flow does (`structure_digest`): a run's journal records it with the inputs."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModulePlan:
    pools: dict[str, str]
    """Pool → its module-level `_Pool` constant."""
    executors: dict[str, str]
    """Executor → its module-level `_NamedExecutor` constant."""
    flows: tuple[FlowPlan, ...]
    sections: tuple[Section, ...]
    """The runtime sections copied, in the order of `runtime.py`."""
    stdlib_imports: tuple[str, ...]
    """Standard-library import lines (the runtime's and the file's own), merged and sorted."""
    user_imports: tuple[str, ...]
    """The file's other imports, those its flows use, sorted."""
    shared: bool
    """Whether the module imports its helpers from the shared runtime file (`--runtime
    shared`) instead of copying them (`sections` is then empty)."""


@functools.cache
def generated_names() -> GeneratedNames:
    """The names every generated module binds, for the front end to keep `.flow` names off."""
    names = {**module_names(), CONFIGURE_POOL: None, BIND_EXECUTOR: None}
    return GeneratedNames(names, frozenset(FLOW_BODY_NAMES), frozenset(FLOW_KEYWORDS))


def plan(module: ir.Module, *, shared: bool = False) -> ModulePlan:
    taken = set(PYTHON_BUILTINS) | {i.alias for i in module.imports} | {f.name for f in module.flows}
    taken |= {r.class_name for _, r in named_outputs(module)}
    taken |= set(module_names())
    # Module-level constants (`_f__node`, `_f__node__policy`, `_f__p__default`, `_pool_p`) all
    # start with `_`: they keep clear of such parameters, which would hide them in a body.
    taken |= {p.name for f in module.flows for p in f.params if p.name.startswith("_")}
    namer = Namer(taken)
    pools = {p.name: namer(f"_pool_{p.name}") for p in module.pools}
    executors = {name: namer(f"_executor_{name}") for name in module.executors}
    flows = tuple(plan_flow(flow, namer, module) for flow in module.flows)
    sections = () if shared else tuple(select(load_sections(), needed_sections(module, flows)))
    stdlib = {line for section in sections for line in section.imports}
    stdlib.add("import sys")  # the version check at the top
    if named_outputs(module):
        stdlib.add("from typing import NamedTuple as _NamedTuple")
    if module.executors:
        stdlib.add("from concurrent.futures import Executor as _Executor")  # `bind_executor`'s
    if uses_asyncio(module):
        stdlib.add("import asyncio")
    if any(call.origin is not None for call in callees(module)):
        stdlib |= {"from typing import Any as _Any", "from typing import cast as _cast"}
    if any(not isinstance(flow.result, ir.NoResult) for flow in module.flows):
        stdlib.add("from typing import cast as _cast")  # a resumed run's recorded result
    own = set(import_lines(used_imports(module)))
    stdlib |= {line for line in own if is_stdlib(line)}
    return ModulePlan(
        pools=pools,
        executors=executors,
        flows=flows,
        sections=sections,
        stdlib_imports=tuple(merge_imports(stdlib)),
        user_imports=tuple(merge_imports({line for line in own if not is_stdlib(line)})),
        shared=shared,
    )


def plan_flow(flow: ir.Flow, namer: Namer, module: ir.Module) -> FlowPlan:
    """Module-level names first, in node order, so that the flow's locals keep clear of them."""
    info = {n.name: namer(f"_{flow.name}__{n.name}") for n in flow.nodes}
    policy = {
        n.name: "_PLAIN" if n.policy.plain else namer(f"_{flow.name}__{n.name}__policy")
        for n in flow.nodes
        if not n.policy.per_run
    }
    policies = {n.name: namer(f"_{flow.name}__{n.name}__policies") for n in flow.nodes if n.policy.per_run}
    defaults = {p.name: namer(f"_{flow.name}__{p.name}__default") for p in flow.params if mutable(p.default)}
    # Parameters keep their names (the front end keeps them apart from every module-level
    # name); the flow's own locals and the nodes yield.
    local = {p.name: p.name for p in flow.params}
    names = Namer(namer.taken | set(local) | set(FLOW_KEYWORDS) | AMBIGUOUS)
    v = {name: names(name) for name in FLOW_LOCALS}
    local |= {n.name: names(n.name) for n in flow.nodes}
    order = schedule(flow)
    task = {name: names(f"{local[name]}_task") for name in sorted(order.tasks)}
    # Settings from parameters are checked into locals before the run starts.
    from_params = {"limit": flow.limit, "timeout": flow.timeout}
    settings = {key: names(key) for key, value in from_params.items() if isinstance(value, ir.FromParam)}
    map_limits: dict[str, str] = {}
    for n in flow.nodes:
        if n.policy.per_run:
            policy[n.name] = names(f"{local[n.name]}_policy")
        if isinstance(n.map_limit, ir.FromParam):
            map_limits[n.name] = names(f"{local[n.name]}_limit")
    return FlowPlan(
        flow=flow,
        schedule=order,
        info=info,
        policy=policy,
        policies=policies,
        settings=settings,
        map_limits=map_limits,
        defaults=defaults,
        local=local,
        v=v,
        task=task,
        temporaries=names,
        read=frozenset(read_nodes(flow)),
        digest=structure_digest(flow, module),
    )


def read_nodes(flow: ir.Flow) -> set[str]:
    """The nodes whose value a node, a condition or the flow's return reads."""
    nodes = {node.name for node in flow.nodes}
    returned = {ref.name for arg in flow.returns for ref in walk_refs(arg.value)}
    return {name for node in flow.nodes for name in node.reads} | (returned & nodes)


def named_outputs(module: ir.Module) -> list[tuple[ir.Flow, ir.NamedOutputs]]:
    """The flows that return named outputs, with their outputs."""
    return [(f, f.result) for f in module.flows if isinstance(f.result, ir.NamedOutputs)]


def needed_sections(module: ir.Module, flows: tuple[FlowPlan, ...]) -> set[str]:
    """The runtime sections the module's code calls into, from what its nodes are: exactly
    those (the sections they use in turn are added by `select`)."""
    nodes = [node for flow in module.flows for node in flow.nodes]
    needs = set(ALWAYS) if module.flows else {"observer"}  # a file of pools alone runs nothing
    calls = [(node, call_kind(node, flow, plan)) for flow, plan in zip(module.flows, flows) for node in flow.nodes]
    wanted = {
        "call": any(kind == "guarded" for _, kind in calls),
        "ready": any(n.mode == "sync" and kind in ("guarded", "element") for n, kind in calls),
        "watch": any(n.mode != "sync" and kind != "guarded" for n, kind in calls),
        "watch_sync": any(n.mode == "sync" and kind != "guarded" for n, kind in calls),
        "pool": bool(module.pools),
        "fallback": any(n.fallback is not None and not isinstance(n.fallback, ir.FallbackCall) for n in nodes),
        "fallback_call": any(isinstance(n.fallback, ir.FallbackCall) for n in nodes),
        "map": any(n.is_map and not n.collect for n in nodes),
        "map_collect": any(n.is_map and n.collect for n in nodes),
        "when": any(n.when is not None for n in nodes),
        "after": any(spawn.waits for flow in flows for spawn in spawns(flow.schedule)),
        "thread": any(uses_thread_helper(node, flow) for flow in module.flows for node in flow.nodes),
        "plain": any(n.mode == "sync" for n in nodes),
        "in_thread": any(n.mode == "thread" for n in nodes),
        "executor": bool(module.executors),
        "settings": any(flow.settings or flow.map_limits or flow.policies for flow in flows),
        "policies": any(flow.policies for flow in flows),
    }
    return needs | {name for name, used in wanted.items() if used}


def is_plain(node: ir.Node, flow: ir.Flow) -> bool:
    """A node without clauses, fallback, `when` or map, in a flow without a limit: its call
    is written as is (observed through `_watch` when the run has an observer)."""
    return node.policy.plain and node.fallback is None and node.when is None and not node.is_map and flow.limit is None


def has_plain_elements(node: ir.Node, flow: ir.Flow) -> bool:
    """A map whose elements are plain calls, as a plain node is (`_watch`, `_ready`)."""
    return node.is_map and node.policy.plain and node.fallback is None and flow.limit is None


def call_kind(node: ir.Node, flow: ir.Flow, planned: FlowPlan) -> str:
    """How the generated code calls a node: `plain` (its call, `_watch` of it with an
    observer), `element` (a map's elements, so), or `guarded` (through `_call`). A plain
    node that runs in a task once others have ended (`_after`), or a `sync` or `executor`
    one in a task, is guarded: the task needs a coroutine."""
    if has_plain_elements(node, flow):
        return "element"
    if not is_plain(node, flow):
        return "guarded"
    spawn = next((s for s in spawns(planned.schedule) if s.node.name == node.name), None)
    return "guarded" if spawn is not None and (spawn.waits or node.mode in ("sync", "executor")) else "plain"


def spawns(order: Schedule) -> list[Spawn]:
    return [*order.first, *(spawn for step in order.steps for spawn in step.spawns)]


def callees(module: ir.Module) -> list[ir.Callee]:
    """What every node calls, fallback calls included."""
    nodes = [node for flow in module.flows for node in flow.nodes]
    return [n.callee for n in nodes] + [n.fallback.callee for n in nodes if isinstance(n.fallback, ir.FallbackCall)]


def uses_asyncio(module: ir.Module) -> bool:
    """A flow timeout (`asyncio.timeout`) or a `thread` call without slots (`asyncio.to_thread`)."""
    return any(
        flow.timeout is not None
        or any(node.mode == "thread" and not uses_thread_helper(node, flow) for node in flow.nodes)
        for flow in module.flows
    )


def uses_thread_helper(node: ir.Node, flow: ir.Flow) -> bool:
    """A `thread` call that holds a pool or flow-limit slot runs through `_thread`, which keeps
    the slot until the thread really ends, even when a timeout abandons the call."""
    return node.mode == "thread" and (node.policy.pool is not None or flow.limit is not None)


def mutable(default: syntax.Expr | None) -> TypeGuard[syntax.ListExpr | syntax.DictExpr]:
    """Whether a parameter's default is a list or dict, rebuilt for every run."""
    return isinstance(default, (syntax.ListExpr, syntax.DictExpr))


def merge_imports(lines: set[str]) -> list[str]:
    """Import lines of one block, as isort (ruff's `I001` at its defaults) orders them:
    `import x` lines first, then `from x import …`, each by module; the names one module
    gives merged into one line, except those imported under another name, which keep a line
    each (so `from m import A as _A` sorts before `from m import B, C`)."""
    plain = sorted((line for line in lines if line.startswith("import ")), key=lambda line: module_key(line[7:]))
    names: dict[str, set[str]] = {}
    aliased: list[tuple[str, str, str]] = []
    for line in lines:
        if line.startswith("from "):
            module, _, imported = line[len("from ") :].partition(" import ")
            for name in imported.split(","):
                if " as " in name:
                    aliased.append((module, name.split(" as ")[0].strip(), name.strip()))
                else:
                    names.setdefault(module, set()).add(name.strip())
    froms = [
        (module, min(found, key=member_key), ", ".join(sorted(found, key=member_key)))
        for module, found in names.items()
    ]
    froms += aliased
    # A statement sorts by its module, then by the first name it imports.
    froms.sort(key=lambda item: (module_key(item[0]), member_key(item[1]), item[2]))
    return plain + [f"from {module} import {text}" for module, _, text in froms]


def module_key(module: str) -> tuple[str, str]:
    return (module.lower(), module)


def member_key(name: str) -> tuple[int, str, str]:
    """isort's `order-by-type`: constants (`MAX_SIZE`), then classes (`Order`, `T`), then
    the rest (`fetch`); alphabetical within each."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return (kind, name.lower(), name)


def import_lines(imports: tuple[ir.Import, ...]) -> list[str]:
    """A `.flow` file's imports as statements: `import a.b as b` as `from a import b`."""
    lines = []
    for item in imports:
        if item.name is None:
            head, _, last = item.module.rpartition(".")
            if item.alias == item.module or not item.written:
                lines.append(f"import {item.module}")
            elif head and item.alias == last:
                lines.append(f"from {head} import {last}")
            else:
                lines.append(f"import {item.module} as {item.alias}")
        else:
            alias = item.name if item.alias == item.name else f"{item.name} as {item.alias}"
            lines.append(f"from {item.module} import {alias}")
    return lines


def used_imports(module: ir.Module) -> tuple[ir.Import, ...]:
    """The file's imports that its flows use (as callees, in types, in `on` lists): an
    import nothing uses would be an unused import in the module."""
    texts: list[str] = []
    imported_pools = {item.alias for item in module.flow_imports if item.kind == "pool"}
    for flow in module.flows:
        texts += [p.type for p in flow.params] + [flow.result.annotation]
        if isinstance(flow.result, ir.NamedOutputs):
            texts += [o.type for o in flow.result.outputs]
        for node in flow.nodes:
            texts += [node.callee.text, *node.policy.retry_on]
            if node.policy.pool in imported_pools:
                texts.append(node.policy.pool)
            if isinstance(node.fallback, ir.FallbackCall):
                texts.append(node.fallback.callee.text)
    words = set(re.findall(r"[A-Za-z_]\w*", " ".join(texts)))
    return tuple(item for item in module.imports if item.alias in words)


STDLIB = frozenset(sys.stdlib_module_names) | frozenset(
    "aifc asynchat asyncore audioop cgi cgitb chunk crypt distutils imghdr imp lib2to3 mailcap"
    " msilib nis nntplib ossaudiodev pipes smtpd sndhdr spwd sunau telnetlib uu xdrlib".split()
)
"""The standard library's top-level modules, those of every supported Python (3.12 and 3.13
removed a few), so that sorting a file's imports does not depend on the Python running flowc."""


def is_stdlib(line: str) -> bool:
    module = line.split()[1]
    return module.split(".")[0] in STDLIB
