"""The partitioning every asset shares: one partition per benchmark day (UTC).

``end_offset=1`` makes today's partition exist: files dated by mtime land on today, and a
sensor must be able to request today's run. The nightly schedule still targets the
previous, finished day.
"""

import dagster as dg

from chimera_pipeline.lib.config import load_settings

benchmark_days = dg.DailyPartitionsDefinition(
    start_date=load_settings().partition_start, end_offset=1, timezone="UTC"
)

single_run_backfill = dg.BackfillPolicy.single_run()


def daily_asset(**kwargs):
    """``@dg.asset`` for a pipeline stage: partitioned by benchmark day, and backfilled in a
    single run per range of days (one Dagster run's overhead, not one per day)."""
    return dg.asset(partitions_def=benchmark_days, backfill_policy=single_run_backfill, **kwargs)
