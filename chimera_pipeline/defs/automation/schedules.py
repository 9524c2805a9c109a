"""The nightly schedule: at 02:00 (``CHIMERA_SCHEDULE_TIMEZONE``, default UTC), the previous
day, which is finished by then -- unless the planner ``chimera run`` and the sensor use says
that day is already up to date (the sensor usually ran it within a minute of its files
arriving) or has no files: then the tick is skipped, with the reason, and no run (no LLM
call) starts. ``CHIMERA_SCHEDULE_FORCE=1`` runs the day regardless."""

import datetime as dt

import dagster as dg

from chimera_pipeline.defs.jobs import benchmark_job
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.incremental.automation import schedule_decision


@dg.schedule(
    cron_schedule="0 2 * * *",
    job=benchmark_job,
    execution_timezone=load_settings().schedule_timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:00 every night: the previous day's partition, every asset, when it is "
    "not already up to date.",
)
def nightly_benchmarks(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    day = context.scheduled_execution_time.date() - dt.timedelta(days=1)
    settings = load_settings()
    skip = (f"artifact root {settings.artifact_root} is missing"
            if not settings.artifact_root.is_dir()
            else schedule_decision(settings, day, settings.schedule_force))
    if skip is not None:
        context.log.info(skip)
        return dg.SkipReason(skip)
    return dg.RunRequest(run_key=f"nightly-{day}", partition_key=day.isoformat())
