"""The registry of error codes: stable names a user can search for, each with what it means.

Every code is an `ErrorCode` constant here, and nowhere else: the compiler's stages report
`codes.X`, the command line reports the codes of whole-file problems, and the machine
formats look a code's description up by its name (`codes.lookup`). A `Diagnostic` carries
the name, the string users see in brackets, filter on and search for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """One code: its name as shown in brackets (`[unbound-input]`) and what it means."""

    code: str
    description: str
    whole_file: bool = False
    """A problem the command line finds with a whole file (stale, missing, unreadable), not
    an error at a position inside one; no `.flow` text produces it."""
    warning: bool = False
    """A warning: the file compiles, but something in it is likely a mistake; it fails a
    command only under `--warnings-as-errors`."""
    type_checker: bool = False
    """An error the type checker finds in the generated module (`--types`), reported at
    the `.flow` span it concerns."""

    def __str__(self) -> str:
        return self.code

    def __eq__(self, other: object) -> bool:
        """A code equals itself and its name, so `diagnostic.code == codes.SYNTAX` (a name
        against a code) holds when it should instead of being silently false."""
        if isinstance(other, str):
            return self.code == other
        if isinstance(other, ErrorCode):
            return self.code == other.code
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.code)


REGISTRY: Final[dict[str, ErrorCode]] = {}
"""Every code by its name, in the order they are declared."""


def _register(
    code: str, description: str, *, whole_file: bool = False, warning: bool = False, type_checker: bool = False
) -> ErrorCode:
    assert code not in REGISTRY, f"error code {code!r} declared twice"
    REGISTRY[code] = ErrorCode(code, description, whole_file, warning, type_checker)
    return REGISTRY[code]


def lookup(name: str) -> ErrorCode:
    """The code named `name`; KeyError if there is none."""
    return REGISTRY[name]


# Errors in a `.flow` file, at a position.
ENCODING: Final = _register("encoding", "the file is not UTF-8 text, or ends a line with CR alone")
EMPTY: Final = _register("empty", "the file declares no flow")
SYNTAX: Final = _register("syntax", "the text does not follow the grammar of the flow language")
TOO_DEEP: Final = _register("too-deep", "brackets, `not` or sub-flow calls nested more deeply than flowc accepts")
TOO_LARGE: Final = _register("too-large", "a file, expression or number larger than flowc accepts")
INVALID_LITERAL: Final = _register("invalid-literal", "a string escape or number that Python cannot represent")
RESERVED_NAME: Final = _register(
    "reserved-name",
    "a reserved word, Python keyword, `observer`, `run_id`, `parent_run_id` or `journal` used as a name",
)
PARAMETER_ORDER: Final = _register("parameter-order", "a parameter without a default after one with a default")
DUPLICATE_NAME: Final = _register("duplicate-name", "two things with the same name in one namespace")
DUPLICATE_ARGUMENT: Final = _register("duplicate-argument", "the same keyword argument or output given twice")
DUPLICATE_CLAUSE: Final = _register("duplicate-clause", "a clause given twice on one node")
UNDEFINED_REF: Final = _register("undefined-ref", "a reference to a parameter or node that the flow does not have")
UNDEFINED_NODE: Final = _register("undefined-node", "an edge naming a node that the flow does not have")
UNDEFINED_CALLEE: Final = _register("undefined-callee", "a callee that is neither imported nor a flow of the file")
UNDEFINED_TYPE: Final = _register("undefined-type", "a name in a type that is neither a builtin nor imported")
UNDEFINED_POOL: Final = _register("undefined-pool", "a `pool` clause naming no declared pool")
UNDEFINED_EXECUTOR: Final = _register("undefined-executor", "an `executor` clause naming no declared executor")
UNDEFINED_EXCEPTION: Final = _register(
    "undefined-exception", "an exception class in `on` that is neither builtin nor imported"
)
INVALID_TYPE: Final = _register("invalid-type", "a type expression outside the supported subset")
INVALID_CALL: Final = _register("invalid-call", "a call where a reference is expected, or a reference where a call is")
INVALID_EXPRESSION: Final = _register("invalid-expression", "an expression that is not allowed where it stands")
INVALID_EDGE: Final = _register("invalid-edge", "an edge into START or out of END")
NOT_POSITIVE: Final = _register("not-positive", "a limit, retry count, rate or duration that is not a positive number")
UNDEFINED_PARAMETER: Final = _register(
    "undefined-parameter", "a limit, retry count or duration naming something that is not a parameter of the flow"
)
PARAMETER_TYPE: Final = _register(
    "parameter-type", "a limit, retry count or duration naming a parameter whose type does not fit it"
)
CYCLE: Final = _register("cycle", "edges that form a cycle")
UNBOUND_INPUT: Final = _register("unbound-input", "a node, condition or return reading a node not upstream of it")
UNREACHABLE: Final = _register("unreachable", "a node that cannot be reached from START")
DEAD_END: Final = _register("dead-end", "a node from which END cannot be reached")
EACH_OUTSIDE_MAP: Final = _register("each-outside-map", "`each` in a node that is not a `map`")
MAP_EACH: Final = _register("map-each", "a `map` without exactly one `each` argument")
MAP_ONLY_CLAUSE: Final = _register("map-only-clause", "`limit` or `collect` on a node that is not a `map`")
FALLBACK_COLLECT: Final = _register("fallback-collect", "`fallback` and `collect` on the same map")
CLAUSE_CONFLICT: Final = _register("clause-conflict", "clauses that contradict each other or their callee")
EXECUTOR_MODE: Final = _register("executor-mode", "`executor` together with `sync` or `thread` on one node")
EXECUTOR_SUBFLOW: Final = _register(
    "executor-subflow", "`executor` on a node that calls a flow (its callee or its fallback call)"
)
RECURSION: Final = _register("recursion", "a flow that calls itself, directly or through other flows")
SUBFLOW_ARGUMENTS: Final = _register("subflow-arguments", "a sub-flow call with unknown, missing or surplus arguments")
UNDEFINED_IMPORT: Final = _register(
    "undefined-import", "an import from another `.flow` file of a name that file does not declare as a flow or pool"
)
UNKNOWN_MODULE: Final = _register(
    "unknown-module", "an import of a module that is neither a `.flow` file nor a Python module of its folder"
)
IMPORT_CYCLE: Final = _register("import-cycle", "`.flow` files that import each other in a cycle")
IMPORTED_ERRORS: Final = _register("imported-errors", "an import of a `.flow` file that has errors itself")
POOL_DEADLOCK: Final = _register(
    "pool-deadlock",
    "a node holding pool P while calling a sub-flow that needs P, or pools held and waited for in a cycle",
)
RETURN_MISMATCH: Final = _register("return-mismatch", "a `return` that does not match the flow's declared result")

# Errors the type checker finds (`--types`), reported at the `.flow` span they concern.
TYPE: Final = _register(
    "type",
    "a value handed to a step, condition, fallback or `return` of a type it does not accept",
    type_checker=True,
)
AWAITABLE_CALLEE: Final = _register(
    "awaitable-callee",
    "a `sync`, `thread` or `executor` node whose callee returns an awaitable (an `async def`)",
    type_checker=True,
)

# Warnings: the file compiles, but this is likely a mistake.
UNUSED_IMPORT: Final = _register("unused-import", "an imported name that nothing in the file uses", warning=True)
UNUSED_NODE: Final = _register(
    "unused-node", "a node whose value nothing reads, in a flow that returns a value", warning=True
)
CONSTANT_CONDITION: Final = _register(
    "constant-condition", "a `when` condition that is always true or always false", warning=True
)

# Problems the command line finds with whole files rather than inside them.
STALE_OUTPUT: Final = _register(
    "stale-output", "a generated module that differs from what its `.flow` source compiles to", whole_file=True
)
MISSING_OUTPUT: Final = _register(
    "missing-output", "a `.flow` source whose generated module does not exist", whole_file=True
)
ORPHANED_OUTPUT: Final = _register(
    "orphaned-output", "a generated module whose `.flow` source no longer exists", whole_file=True
)
IO_ERROR: Final = _register("io-error", "a file that cannot be read or written", whole_file=True)
FOREIGN_OUTPUT: Final = _register(
    "foreign-output",
    "an output path that holds a file flowc did not generate, which it will not overwrite",
    whole_file=True,
)
