"""The nightly schedule: at 02:00 (``CHIMERA_SCHEDULE_TIMEZONE``, default UTC), materialize
the whole graph for the previous day, which is finished by then."""

import datetime as dt

import dagster as dg

from chimera_pipeline.defs.jobs import benchmark_job
from chimera_pipeline.lib.config import load_settings


@dg.schedule(
    cron_schedule="0 2 * * *",
    job=benchmark_job,
    execution_timezone=load_settings().schedule_timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:00 every night: the previous day's partition, every asset.",
)
def nightly_benchmarks(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = (context.scheduled_execution_time.date() - dt.timedelta(days=1)).isoformat()
    return dg.RunRequest(run_key=f"nightly-{day}", partition_key=day)
