"""``chimera run``: find the days that need work, run them as Dagster runs, settle the tree.

The command orchestrates; the decisions live in ``lib``: the :class:`Planner` the sensor and
the schedule also ask says which days need a run and how they group into runs, and the runs
take their inventory from the scan it just did (a scan snapshot named by a run tag).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import sys
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from chimera_pipeline.defs.check_window import (
    DAYS_TAG,
    PARTITION_TAG,
    RANGE_END,
    RANGE_START,
    RECOMPUTE_TAG,
)
from chimera_pipeline.deployment.profile import run_config_execution
from chimera_pipeline.deployment.reaper import launcher_tags, reap_dead_runs
from chimera_pipeline.lib.config import Settings, SettingsError
from chimera_pipeline.lib.incremental.days import merged_ranges
from chimera_pipeline.lib.incremental.planner import Block, Planner
from chimera_pipeline.lib.inventory import scan_snapshot
from chimera_pipeline.lib.store import stages

BATCH_TAG = "chimera/batch"


@functools.cache
def _job():
    from chimera_pipeline.definitions import defs

    return defs().resolve_job_def("benchmark_job")


def benchmark_job():
    """The job, from the code location (``reconstructable`` needs a module-level fn).

    Dagster calls this once per reconstruction (several times per run, and again in each
    step process): building the definitions folder costs over a second of CPU each time,
    and they cannot change while this process lives, so the first build is kept.
    """
    return _job()


def _run_config(in_process: bool) -> dict:
    """The profile's executor: in-process or multiprocess (local), or the Celery workers.
    Multiprocess uses a forkserver that has already imported dagster and the definitions:
    each step then forks in milliseconds instead of spending seconds on imports."""
    return {"execution": run_config_execution(in_process),
            "loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _tags(block: Block, batch: str, recompute: bool = False) -> dict[str, str]:
    days = {DAYS_TAG: block.days_tag} if block.days_tag else {}
    forced = {RECOMPUTE_TAG: "true"} if recompute else {}
    if block.first == block.last:
        return {PARTITION_TAG: block.first.isoformat(), BATCH_TAG: batch, **forced}
    return {RANGE_START: block.first.isoformat(), RANGE_END: block.last.isoformat(),
            BATCH_TAG: batch, **days, **forced}


def _follow_steps(instance, batch: str, stop: threading.Event) -> None:
    """Print each step as it finishes, so a long run shows progress (polled once a second:
    with several runs at once, tighter polling costs the SQLite instance more than it helps)."""
    import dagster as dg

    wanted = {dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    seen, run_id = 0, None
    while not stop.wait(1.0):
        if run_id is None:
            runs = instance.get_runs(filters=dg.RunsFilter(tags={BATCH_TAG: batch}), limit=1)
            run_id = runs[0].run_id if runs else None
            continue
        records = instance.all_logs(run_id, of_type=wanted)
        for record in records[seen:]:
            event = record.dagster_event
            verb = "done" if event.event_type == dg.DagsterEventType.STEP_SUCCESS else "FAILED"
            print(f"      step {event.step_key}: {verb}", flush=True)
        seen = len(records)


def _execute(block: Block, in_process: bool, until: str, snapshot: str | None = None,
             start: str = stages.INVENTORY.asset, recompute: bool = False) -> tuple[bool, str]:
    import dagster as dg

    instance = dg.DagsterInstance.get()
    batch = uuid.uuid4().hex
    stop = threading.Event()
    follower = threading.Thread(target=_follow_steps, args=(instance, batch, stop), daemon=True)
    follower.start()
    try:
        result = dg.execute_job(
            dg.reconstructable(benchmark_job), instance=instance,
            run_config=_run_config(in_process),
            tags={**_tags(block, batch, recompute), **launcher_tags(),
                  **({scan_snapshot.TAG: snapshot} if snapshot else {})},
            asset_selection=[dg.AssetKey(k) for k in stages.between(start, until)],
        )
    finally:
        stop.set()
        follower.join(timeout=2)
    return result.success, result.run_id


@dataclass(frozen=True)
class _Job:
    """One Dagster run: a block of days, from stage ``start`` to ``until``."""

    i: int
    total: int
    block: Block
    in_process: bool
    until: str
    snapshot: str | None
    start: str = stages.INVENTORY.asset
    recompute: bool = False  # every day's facts and narrative made again (``--force``)


def _run_group(job: _Job) -> bool:
    """Execute one block of days as one Dagster run, printing progress around it."""
    label = job.block.label
    if job.start != stages.INVENTORY.asset:
        label += f" ({job.start} to {job.until})"
    i, total = job.i, job.total
    print(f"[{i}/{total}] {label}", flush=True)
    t0 = time.perf_counter()
    ok, run_id = _execute(job.block, job.in_process, job.until, job.snapshot, job.start,
                          job.recompute)
    print(f"[{i}/{total}] {label}: {'ok' if ok else 'FAILED'} in "
          f"{time.perf_counter() - t0:.1f}s (run {run_id[:8]})", flush=True)
    return ok


def _reap(home: Path) -> None:
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        for run_id in reap_dead_runs(instance):
            print(f"chimera: run {run_id[:8]} had died mid-step (process gone); marked failed "
                  f"and its pool slots freed ({home})")


def _run_blocks(args: argparse.Namespace, settings: Settings, blocks: list[Block],
                snapshot: str | None) -> list[bool]:
    """Each block as a run; with ``--parallel``, several at once.

    A day's facts and alerts compare it with its series' earlier nights, so runs that reach
    the facts side by side would each judge a day against whatever earlier days had landed
    by then. Parallel runs therefore stop at the parsed metrics (which read only their own
    day), and once every one has succeeded, the facts and what follows are computed for the
    same days in day order, one run per stretch of consecutive days: the same facts and
    alerts as one serial run, whatever order the days finished in.
    """
    def job(i: int, block: Block, until: str, start: str = stages.INVENTORY.asset) -> _Job:
        return _Job(i, len(blocks), block, args.in_process, until, snapshot, start, args.force)

    judged = stages.by_asset(args.until).rank >= stages.FACTS.rank
    if args.parallel <= 1 or len(blocks) < 2:
        return [_run_group(job(i, b, args.until)) for i, b in enumerate(blocks, start=1)]
    local = stages.METRICS.asset if judged else args.until
    with ProcessPoolExecutor(args.parallel) as pool:
        outcomes = list(pool.map(_run_group, [job(i, b, local)
                                              for i, b in enumerate(blocks, start=1)]))
    if not judged or False in outcomes:
        return outcomes
    stretches = merged_ranges([d for b in blocks for d in b.days], settings.run_merge_gap_days)
    return outcomes + [_run_group(_Job(i, len(stretches), _stretch(days), args.in_process,
                                       args.until, None, stages.FACTS.asset, args.force))
                       for i, days in enumerate(stretches, start=1)]


def _stretch(days: list[dt.date]) -> Block:
    """Days judged in one run after their parallel parses (no files: its key is unused)."""
    return Block(days[0], days[-1], "", 0, tuple(days))


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.artifact_root.is_dir():
        print(f"chimera: artifact root {settings.artifact_root} does not exist; "
              "set CHIMERA_ARTIFACT_ROOT", file=sys.stderr)
        return 2
    explicit = bool(args.date or args.date_from or args.date_to)
    planner = Planner(settings, args.until)
    # a streamed walk, compared folder by folder with the last complete run's prints as it
    # goes: the no-change run's memory does not grow with the tree
    plan = (planner.explicit(list(args.date or ()), args.date_from, args.date_to) if explicit
            else planner.stale(force=args.force))  # before Dagster
    if not plan.days and not plan.tree_files:  # say why, not only "no days", every time
        from chimera_pipeline.lib.inventory.explain import why_nothing_was_read

        for line in why_nothing_was_read(settings):
            print(f"chimera: {line}")
    if plan.unchanged:
        print("chimera: nothing changed since the last run (same files, warehouse untouched); "
              "--force runs every day anyway\nchimera: no benchmark days to run")
        return 0
    for message in plan.messages:
        print(f"chimera: {message}")
    planner.stage(plan)  # settled once every run succeeds; not held through them
    snapshot = scan_snapshot.save(settings.data_dir, plan.records,
                                  plan.tree_files) if plan.days else None
    blocks = planner.blocks(plan, per_day=args.per_partition)
    del plan  # the runs read the snapshot; don't hold the records beside them
    try:
        return _launch(args, settings, blocks, planner, snapshot)
    finally:
        scan_snapshot.remove(settings.data_dir, snapshot)
        planner.discard()


def _launch(args: argparse.Namespace, settings: Settings, blocks: list[Block],
            planner: Planner, snapshot: str | None) -> int:
    """Start one run per block of days, report, settle."""
    from chimera_pipeline.deployment.instance import prepare_dagster_home

    if not blocks:
        planner.finish(ok=True)
        print("chimera: no benchmark days to run")
        return 0
    try:
        home = prepare_dagster_home(settings)
    except SettingsError as exc:
        print(f"chimera: {exc}", file=sys.stderr)
        return 2
    _reap(home)
    days = sum(len(b.days) for b in blocks)
    print(f"chimera: {days} benchmark day(s) in {len(blocks)} run(s); "
          f"artifacts {settings.artifact_root}")
    began = time.perf_counter()
    outcomes = _run_blocks(args, settings, blocks, snapshot)
    failures = outcomes.count(False)
    planner.finish(ok=not failures)  # every day now up to date: the next no-change run is cheap
    print(f"chimera: {len(outcomes) - failures}/{len(outcomes)} run(s) succeeded in "
          f"{time.perf_counter() - began:.1f}s")
    print(f"  warehouse: {settings.warehouse_path}")
    print(f"  reports:   {settings.reports_dir}")
    print(f"  dagster:   {home} (open the UI with `make ui`)")
    return 1 if failures else 0
