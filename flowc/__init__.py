"""flowc: compile `.flow` workflows into standalone, typed Python asyncio modules."""

from typing import Literal

from .diagnostics import CompileError, Diagnostic

__version__ = "0.1.0"
__all__ = ["CompileError", "Diagnostic", "__version__", "check_source", "compile_source", "runtime_source"]


def check_source(text: str, filename: str = "<string>") -> None:
    """Check `.flow` text; raise `CompileError` carrying every diagnostic if it has errors."""
    from .compiler import analyze
    from .source import Source

    analyze(Source(filename, text))


def compile_source(
    text: str,
    filename: str = "<string>",
    *,
    runtime: Literal["inline", "shared"] = "inline",
    package: bool = False,
) -> str:
    """Compile `.flow` text into the generated module's source; raises `CompileError`.

    With `runtime="shared"` the module imports its helpers from `_flowc_runtime.py` (the text
    of `runtime_source()`), which belongs beside it: by a relative import when `package` (the
    folder has an `__init__.py`), else by its plain name."""
    from .codegen.shared import runtime_import
    from .compiler import compile_text

    if runtime not in ("inline", "shared"):
        raise ValueError(f'runtime must be "inline" or "shared", not {runtime!r}')
    module = None if runtime == "inline" else runtime_import(package)
    return compile_text(text, filename, module)


def runtime_source() -> str:
    """The text of `_flowc_runtime.py`, the helpers of modules compiled with `runtime="shared"`."""
    from .compiler import runtime_text

    return runtime_text()
