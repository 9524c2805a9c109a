"""What the ``new_artifacts`` sensor and the nightly schedule decide, without Dagster: the
planner's answer turned into blocks of days to request, or the reason to request nothing.

The sensor's cursor holds the tree digest and warehouse state its last plan saw. When both
are still the same, planning again would give the same blocks with the same keys, which
Dagster has already seen (it skips a run key it has launched), so the tick says so and costs
a walk. Anything else -- a file added, edited or removed; a run, from anywhere, that wrote the
warehouse -- and the planner decides again.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from chimera_pipeline.lib.config import Settings
from chimera_pipeline.lib.incremental.planner import UP_TO_DATE, Block, Planner


@dataclass
class SensorDecision:
    """Blocks to request, or why none; the cursor to keep; what to log."""

    blocks: list[Block] = field(default_factory=list)
    skip_reason: str | None = None
    cursor: str | None = None
    messages: list[str] = field(default_factory=list)


def _summary(blocks: list[Block]) -> str:
    shown = ", ".join(b.label for b in blocks[:5])
    return shown + (f" and {len(blocks) - 5} more" if len(blocks) > 5 else "")


def sensor_decision(settings: Settings, cursor: str | None, now: float,
                    last_day: dt.date) -> SensorDecision:
    """The runs the sensor requests now. ``last_day`` is the newest partition (a file dated
    later waits for its day to exist); a day holding a file modified less than
    ``sensor_settle_seconds`` before ``now`` waits for a later tick (still being written)."""
    planner = Planner(settings)
    tree = planner.fingerprint()
    if planner.unchanged(tree):
        return SensorDecision(skip_reason=f"every day up to date: {UP_TO_DATE}",
                              cursor=cursor)
    # a new partition day counts as a change: a file dated after the newest partition waits
    seen = {"tree": tree.digest, "warehouse": planner.warehouse_state(),
            "last_day": last_day.isoformat()}
    previous = _load(cursor)
    if all(previous.get(key) == value for key, value in seen.items()):
        pending = previous.get("requested") or "no day"
        return SensorDecision(
            skip_reason=f"tree and warehouse as at the last plan; {pending} requested then "
            "(a run key Dagster has launched is not launched again: re-execute a failed run "
            "from the UI, or `chimera run --force`)", cursor=cursor)
    plan = planner.stale(tree)
    decision = SensorDecision(messages=list(plan.messages))
    if not plan.days:
        planner.settle(plan)
        decision.skip_reason = f"every day up to date ({plan.tree_files} files compared)"
        decision.cursor = json.dumps({**seen, "requested": None})
        return decision
    settle_after = now - settings.sensor_settle_seconds
    busy = {r.benchmark_date for r in plan.records if r.mtime_ns / 1e9 > settle_after}
    later = {d for d in plan.days if d > last_day}
    if busy:
        decision.messages.append(
            f"{len(busy)} day(s) hold a file modified in the last "
            f"{settings.sensor_settle_seconds:g} s (still being written): next tick")
    if later:
        decision.messages.append(f"{len(later)} day(s) after {last_day} wait for their "
                                 "partition to exist")
    decision.blocks = planner.blocks(plan, [d for d in plan.days if d not in busy | later])
    # a day still being written must be planned again next tick: the cursor must not say seen
    decision.cursor = cursor if busy else json.dumps(
        {**seen, "requested": _summary(decision.blocks)})
    if not decision.blocks:
        decision.skip_reason = "; ".join(decision.messages)
    return decision


def schedule_decision(settings: Settings, day: dt.date, force: bool) -> str | None:
    """Why the nightly run for ``day`` is skipped (up to date, or no file is dated that day),
    or None to run it. ``force`` runs it without asking."""
    if force:
        return None
    planner = Planner(settings)
    plan = planner.stale(only={day})
    if plan.days:
        return None
    if day in plan.considered or (plan.unchanged and _cached_day(planner, day)):
        return (f"{day} is up to date: its files are what its inventory holds and one run "
                "took them to the report; nothing to do (CHIMERA_SCHEDULE_FORCE=1 runs it "
                "anyway)")
    return f"no artifact file is dated {day}: nothing to run"


def _cached_day(planner: Planner, day: dt.date) -> bool:
    """Whether the scan cache (which describes the tree while the marker holds) has a file
    dated ``day``."""
    import pyarrow.compute as pc

    from chimera_pipeline.lib.inventory import scan_cache

    table = scan_cache.load_table(planner.cache)
    return table is not None and bool(pc.any(pc.equal(table.column("benchmark_date"), day)).as_py())


def _load(cursor: str | None) -> dict:
    try:
        loaded = json.loads(cursor) if cursor else {}
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}
