"""The command line (`flowc compile | check | graph | run | lsp`) and the build integrations that
share its file handling: batches of files, `[tool.flowc]`, reports and the hatch hook."""

from .commands import main

__all__ = ["main"]
