"""flowc: compile `.flow` workflows into standalone, typed Python asyncio modules."""

from .diagnostics import CompileError, Diagnostic

__version__ = "0.1.0"
__all__ = ["CompileError", "Diagnostic", "__version__", "check_source", "compile_source"]


def check_source(text: str, filename: str = "<string>") -> None:
    """Check `.flow` text; raise `CompileError` carrying every diagnostic if it has errors."""
    from .compiler import analyze
    from .source import Source

    analyze(Source(filename, text))


def compile_source(text: str, filename: str = "<string>") -> str:
    """Compile `.flow` text into the generated module's source; raises `CompileError`."""
    from .compiler import compile_text

    return compile_text(text, filename)
