"""The partitioning every asset shares: one partition per benchmark day (UTC).

``end_offset=1`` makes today's partition exist: files dated by mtime land on today, and a
sensor must be able to request today's run. The nightly schedule still targets the
previous, finished day.
"""

import dagster as dg

from chimera_pipeline.defs.check_window import DAYS_TAG
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.incremental.days import decode_days

benchmark_days = dg.DailyPartitionsDefinition(
    start_date=load_settings().partition_start, end_offset=1, timezone="UTC"
)

single_run_backfill = dg.BackfillPolicy.single_run()


def daily_asset(**kwargs):
    """``@dg.asset`` for a pipeline stage: partitioned by benchmark day, and backfilled in a
    single run per range of days (one Dagster run's overhead, not one per day)."""
    return dg.asset(partitions_def=benchmark_days, backfill_policy=single_run_backfill, **kwargs)



def work_keys(context: dg.AssetExecutionContext) -> list[str]:
    """The run's days a stage works on: its partitions, less the unchanged days a planned
    run skips (the ``chimera/days`` tag of a run whose range spans stale days a few days
    apart). A skipped day keeps what every stage holds for it, so its chain of runs
    (``stage_timings``) and its report stay as they were."""
    keys = sorted(context.partition_keys)
    tagged = context.run.tags.get(DAYS_TAG)
    return keys if not tagged else [k for k in keys if k in decode_days(tagged)]
