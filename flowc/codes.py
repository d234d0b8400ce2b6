"""Diagnostic codes: stable names a user can search for, each with what it means."""

from typing import Final

ENCODING: Final = "encoding"
EMPTY: Final = "empty"
SYNTAX: Final = "syntax"
TOO_DEEP: Final = "too-deep"
TOO_LARGE: Final = "too-large"
INVALID_LITERAL: Final = "invalid-literal"
RESERVED_NAME: Final = "reserved-name"
PARAMETER_ORDER: Final = "parameter-order"
DUPLICATE_NAME: Final = "duplicate-name"
DUPLICATE_ARGUMENT: Final = "duplicate-argument"
DUPLICATE_CLAUSE: Final = "duplicate-clause"
UNDEFINED_REF: Final = "undefined-ref"
UNDEFINED_NODE: Final = "undefined-node"
UNDEFINED_CALLEE: Final = "undefined-callee"
UNDEFINED_TYPE: Final = "undefined-type"
UNDEFINED_POOL: Final = "undefined-pool"
UNDEFINED_EXCEPTION: Final = "undefined-exception"
INVALID_TYPE: Final = "invalid-type"
INVALID_CALL: Final = "invalid-call"
INVALID_EXPRESSION: Final = "invalid-expression"
INVALID_EDGE: Final = "invalid-edge"
NOT_POSITIVE: Final = "not-positive"
CYCLE: Final = "cycle"
UNBOUND_INPUT: Final = "unbound-input"
UNREACHABLE: Final = "unreachable"
DEAD_END: Final = "dead-end"
EACH_OUTSIDE_MAP: Final = "each-outside-map"
MAP_EACH: Final = "map-each"
MAP_ONLY_CLAUSE: Final = "map-only-clause"
FALLBACK_COLLECT: Final = "fallback-collect"
CLAUSE_CONFLICT: Final = "clause-conflict"
RECURSION: Final = "recursion"
SUBFLOW_ARGUMENTS: Final = "subflow-arguments"
POOL_DEADLOCK: Final = "pool-deadlock"
RETURN_MISMATCH: Final = "return-mismatch"

DESCRIPTIONS: Final[dict[str, str]] = {
    ENCODING: "the file is not UTF-8 text",
    EMPTY: "the file declares no flow",
    SYNTAX: "the text does not follow the grammar of the flow language",
    TOO_DEEP: "brackets, `not` or sub-flow calls nested more deeply than flowc accepts",
    TOO_LARGE: "a file, expression or number larger than flowc accepts",
    INVALID_LITERAL: "a string escape or number that Python cannot represent",
    RESERVED_NAME: "a reserved word, Python keyword or `observer` used as a name",
    PARAMETER_ORDER: "a parameter without a default after one with a default",
    DUPLICATE_NAME: "two things with the same name in one namespace",
    DUPLICATE_ARGUMENT: "the same keyword argument or output given twice",
    DUPLICATE_CLAUSE: "a clause given twice on one node",
    UNDEFINED_REF: "a reference to a parameter or node that the flow does not have",
    UNDEFINED_NODE: "an edge naming a node that the flow does not have",
    UNDEFINED_CALLEE: "a callee that is neither imported nor a flow of the file",
    UNDEFINED_TYPE: "a name in a type that is neither a builtin nor imported",
    UNDEFINED_POOL: "a `pool` clause naming no declared pool",
    UNDEFINED_EXCEPTION: "an exception class in `on` that is neither builtin nor imported",
    INVALID_TYPE: "a type expression outside the supported subset",
    INVALID_CALL: "a call where a reference is expected, or a reference where a call is",
    INVALID_EXPRESSION: "an expression that is not allowed where it stands",
    INVALID_EDGE: "an edge into START or out of END",
    NOT_POSITIVE: "a limit, retry count, rate or duration that is not a positive number",
    CYCLE: "edges that form a cycle",
    UNBOUND_INPUT: "a node, condition or return reading a node not upstream of it",
    UNREACHABLE: "a node that cannot be reached from START",
    DEAD_END: "a node from which END cannot be reached",
    EACH_OUTSIDE_MAP: "`each` in a node that is not a `map`",
    MAP_EACH: "a `map` without exactly one `each` argument",
    MAP_ONLY_CLAUSE: "`limit` or `collect` on a node that is not a `map`",
    FALLBACK_COLLECT: "`fallback` and `collect` on the same map",
    CLAUSE_CONFLICT: "clauses that contradict each other or their callee",
    RECURSION: "a flow that calls itself, directly or through other flows",
    SUBFLOW_ARGUMENTS: "a sub-flow call with unknown, missing or surplus arguments",
    POOL_DEADLOCK: "a node holding pool P while calling a sub-flow that needs P, or pools held and waited for in a cycle",
    RETURN_MISMATCH: "a `return` that does not match the flow's declared result",
}
