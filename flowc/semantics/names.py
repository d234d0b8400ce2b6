"""Which names a `.flow` file may use: reserved words, builtins for types and exceptions."""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Mapping
from dataclasses import dataclass

from ..syntax.grammar import reserved

PYTHON_KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)

BUILTIN_TYPES = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and not name.startswith("_")
)
BUILTIN_EXCEPTIONS = frozenset(name for name in BUILTIN_TYPES if issubclass(getattr(builtins, name), BaseException))


@dataclass(frozen=True, slots=True)
class GeneratedNames:
    """The names a generated module binds for itself, as the code generator declares them
    (the front end knows nothing of code generation; the compiler hands these over).

    `module` maps each name to what it imports, `(module, name or None)`, or to None for a
    helper or builtin; a flow, an import or a parameter cannot take one of them, except by
    importing the very same thing. `body` are the names a flow function's own body reads;
    `keywords` the keyword-only parameters every flow function takes (`observer`, …), which
    no parameter or node may be named."""

    module: Mapping[str, tuple[str, str | None] | None]
    body: frozenset[str]
    keywords: frozenset[str]

    def hidden_by_parameter(self, name: str) -> bool:
        """Whether a parameter named `name` would hide something its flow's body uses."""
        return name in self.module and (name.startswith("_") or name in self.body)


PYTHON_BUILTINS = frozenset(
    """
    ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError
    BrokenPipeError BufferError BytesWarning ChildProcessError ConnectionAbortedError
    ConnectionError ConnectionRefusedError ConnectionResetError DeprecationWarning EOFError Ellipsis
    EncodingWarning EnvironmentError Exception ExceptionGroup False FileExistsError
    FileNotFoundError FloatingPointError FutureWarning GeneratorExit IOError ImportError
    ImportWarning IndentationError IndexError InterruptedError IsADirectoryError KeyError
    KeyboardInterrupt LookupError MemoryError ModuleNotFoundError NameError None NotADirectoryError
    NotImplemented NotImplementedError OSError OverflowError PendingDeprecationWarning
    PermissionError ProcessLookupError PythonFinalizationError RecursionError ReferenceError
    ResourceWarning RuntimeError RuntimeWarning StopAsyncIteration StopIteration SyntaxError
    SyntaxWarning SystemError SystemExit TabError TimeoutError True TypeError UnboundLocalError
    UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError UnicodeWarning
    UserWarning ValueError Warning ZeroDivisionError _IncompleteInputError __build_class__ __debug__
    __doc__ __import__ __loader__ __name__ __package__ __spec__ abs aiter all anext any ascii bin
    bool breakpoint bytearray bytes callable chr classmethod compile complex copyright credits
    delattr dict dir divmod enumerate eval exec exit filter float format frozenset getattr globals
    hasattr hash help hex id input int isinstance issubclass iter len license list locals map max
    memoryview min next object oct open ord pow print property quit range repr reversed round set
    setattr slice sorted staticmethod str sum super tuple type vars zip
    """.split()
)
"""`dir(builtins)` of every supported Python (the union over 3.11, 3.12 and 3.13), fixed here
rather than read from the running interpreter, so that generated code keeps clear of the same
names whichever Python runs flowc: its bytes must not depend on it."""


def rename_help(name: str) -> str:
    """A `help:` text proposing a free name instead of a reserved one."""
    stem = name.strip("_") or "name"
    return f"rename it, e.g. `{stem}_`"


def reserved_reason(name: str) -> str | None:
    """Why `name` cannot name a flow, parameter, node, pool or import alias (None if it can)."""
    if name in reserved():
        return f"`{name}` is a reserved word of the flow language"
    if keyword.iskeyword(name):
        return f"`{name}` is a Python keyword"
    if name.startswith("__"):
        return f"`{name}`: names starting with `__` are reserved for generated code"
    return None
