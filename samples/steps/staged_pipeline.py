"""Steps of `staged_pipeline.flow`: two parallel stages, each step keeping a processing log."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

DELAY = {"A": 0.015, "B": 0.025, "C": 0.01, "X": 0.01, "Y": 0.02, "Z": 0.015}


@dataclass(frozen=True)
class Step:
    output: str
    log: list[str]


@dataclass(frozen=True)
class FinalResult:
    stage1_count: int
    stage2_count: int
    total_steps: int
    combined_output: str


async def preprocess(raw_input: str, strip: bool = True, lowercase: bool = False) -> Step:
    """Initial cleaning before the parallel stages."""
    await asyncio.sleep(0.005)
    text = raw_input.strip() if strip else raw_input
    text = text.lower() if lowercase else text
    return Step(output=f"Cleaned: {text}", log=["Preprocessing completed"])


async def stage1_processor(name: str, processed: Step) -> Step:
    """One stage-1 processor."""
    await asyncio.sleep(DELAY[name])
    return Step(output=f"Stage1-{name}: {processed.output}", log=[f"Stage 1 {name} completed"])


async def stage1_combiner(preprocessed: Step, results: Sequence[Step]) -> Step:
    """Combine stage 1, carrying the log of everything so far."""
    await asyncio.sleep(0.002)
    log = preprocessed.log + [entry for r in results for entry in r.log] + ["Stage 1 combination completed"]
    return Step(output=" + ".join(r.output for r in results), log=log)


async def stage2_processor(name: str, stage1: Step) -> Step:
    """One stage-2 processor, reading the stage-1 combination."""
    await asyncio.sleep(DELAY[name])
    return Step(output=f"Stage2-{name}: {stage1.output}", log=[f"Stage 2 {name} completed"])


async def final_combiner(stage1: Step, results: Sequence[Step]) -> FinalResult:
    """The final combination of both stages."""
    await asyncio.sleep(0.002)
    stage1_count = sum(1 for entry in stage1.log if entry.startswith("Stage 1 ") and "combination" not in entry)
    return FinalResult(
        stage1_count=stage1_count,
        stage2_count=len(results),
        total_steps=len(stage1.log) + sum(len(r.log) for r in results),
        combined_output=" | ".join(r.output for r in results),
    )
