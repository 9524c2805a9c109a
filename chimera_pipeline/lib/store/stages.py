"""The pipeline's stages, in order: each one's Dagster asset key, the label its rows carry in
``stage_timings``, and its rank (``chimera run --until`` and the incremental plan compare
ranks). One table, so no stage name is written as a literal anywhere else."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    asset: str  # the Dagster asset key
    label: str  # the stage_timings.stage value (users query it: keep it stable)
    rank: int


INVENTORY = Stage("artifact_inventory", "ingest", 0)
METRICS = Stage("benchmark_metrics", "parse", 1)
FACTS = Stage("benchmark_facts", "facts", 2)
ANALYSIS = Stage("llm_analysis", "analysis", 3)
REPORT = Stage("benchmark_report", "report", 4)
STAGES: tuple[Stage, ...] = (INVENTORY, METRICS, FACTS, ANALYSIS, REPORT)
ASSETS: tuple[str, ...] = tuple(stage.asset for stage in STAGES)
LABELS: tuple[str, ...] = tuple(stage.label for stage in STAGES)


def by_asset(asset: str) -> Stage:
    """The stage an asset key names; ``KeyError`` for anything else."""
    for stage in STAGES:
        if stage.asset == asset:
            return stage
    raise KeyError(asset)


def up_to(asset: str) -> tuple[str, ...]:
    """The asset keys from the first stage to ``asset``, inclusive."""
    return ASSETS[: by_asset(asset).rank + 1]


def before(label: str) -> str | None:
    """The ``stage_timings`` label of the stage before ``label``'s (None for the first)."""
    rank = next(stage.rank for stage in STAGES if stage.label == label)
    return STAGES[rank - 1].label if rank else None


def between(first: str, last: str) -> tuple[str, ...]:
    """The asset keys from ``first`` to ``last``, inclusive."""
    return ASSETS[by_asset(first).rank: by_asset(last).rank + 1]
