"""Tracebacks through a module `flowc run` compiled in memory: each frame in the generated
code is named as such, with the `.flow` line it was generated from (the node's, or the
flow's for the code around its nodes) and that line's text."""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass

NODE_COMMENT = re.compile(r"^\s*# (?P<file>.+):(?P<line>\d+)$")
FLOW_DEF = re.compile(r"^async def (?P<name>\w+)\(")
RUNTIME_DEF = re.compile(r"^(async def|def|class) _")
RUNTIME = -1
"""The origin of a line of the runtime's helpers, copied into every module."""
FLOW_DOC = re.compile(r'^\s*"""Run flow `(?P<name>\w+)` \((?P<file>.+):(?P<line>\d+)\)\.')
LEAVES_NODES = re.compile(r"^\s*(at\w* = None|except BaseException as \w+:.*)$")
"""Lines after which the code no longer belongs to the node above: the wait for a task
started earlier, the flow's error handling."""


@dataclass(frozen=True, slots=True)
class Generated:
    """A generated module run from memory: its frame filename, and for each of its lines
    the `.flow` line it comes from (0: the runtime's helpers)."""

    filename: str
    flow_file: str
    flow_lines: list[str]
    origins: dict[int, int]

    @classmethod
    def of(cls, filename: str, flow_file: str, flow_text: str, code: str) -> Generated:
        return cls(filename, flow_file, flow_text.splitlines(), origins(code))


def origins(code: str) -> dict[int, int]:
    """Each line of the flow functions → the `.flow` line it was generated from; each line of
    the runtime's functions and classes → `RUNTIME`."""
    result: dict[int, int] = {}
    flow_line = current = 0
    for number, line in enumerate(code.splitlines(), start=1):
        if line and not line[0].isspace() and not line.startswith(")"):
            flow_line = current = 0
            if FLOW_DEF.match(line):
                flow_line = current = RUNTIME
            elif RUNTIME_DEF.match(line):
                current = RUNTIME
        if flow_line == RUNTIME and (doc := FLOW_DOC.match(line)):
            flow_line = current = int(doc["line"])
        elif flow_line > 0 and (node := NODE_COMMENT.match(line)):
            current = int(node["line"])
        elif flow_line > 0 and LEAVES_NODES.match(line):
            current = flow_line
        if current:
            result[number] = current
    return result


class Summary(traceback.StackSummary):
    """Frames as Python prints them, those of the generated module named as such."""

    generated: Generated

    def format_frame_summary(self, frame: traceback.FrameSummary) -> str:
        text = super().format_frame_summary(frame)
        if frame.filename != self.generated.filename or frame.lineno is None:
            return text
        lines = self.generated.flow_lines
        origin = self.generated.origins.get(frame.lineno, 0)
        if origin == RUNTIME:
            return text + "    (flowc's runtime, copied into the generated module)\n"
        if not origin and frame.line:  # an import the `.flow` file wrote, copied as it is
            origin = next((i for i, line in enumerate(lines, start=1) if line.strip() == frame.line.strip()), 0)
        if not 0 < origin <= len(lines):
            return text
        return text + f"    flow {self.generated.flow_file}:{origin}: {lines[origin - 1].strip()}\n"


def format_exception(error: BaseException, generated: Generated) -> str:
    """The traceback of `error` (and of its causes, contexts and group members), from the
    first frame in the generated module on."""
    exception = traceback.TracebackException.from_exception(error)
    annotate(exception, generated, set())
    return "".join(exception.format())


def annotate(exception: traceback.TracebackException, generated: Generated, seen: set[int]) -> None:
    if id(exception) in seen:
        return
    seen.add(id(exception))
    frames = list(exception.stack)
    first = next((i for i, f in enumerate(frames) if f.filename == generated.filename), 0)
    summary = Summary(frames[first:])  # flowc's own frames and asyncio's, before the flow's, go
    summary.generated = generated
    exception.stack = summary
    for other in (exception.__cause__, exception.__context__, *(getattr(exception, "exceptions", None) or ())):
        if other is not None:
            annotate(other, generated, seen)
