"""A sensor on the artifact root: runs for exactly the days that need one, one run per block
of consecutive days.

It asks the planner ``chimera run`` uses (``lib.incremental``), so the two agree: after a
``chimera run`` the first tick starts nothing, and after the sensor's runs ``chimera run``
finds nothing to do. Historical days are included (a late-arriving run from last month
re-materializes that day) and today (the partitions have ``end_offset=1``). A day holding a
file modified in the last ``CHIMERA_SENSOR_SETTLE_SECONDS`` waits for the next tick (still
being written). While any run of the job is queued or running, a tick plans nothing: the
warehouse is being written, and a plan now would ask again for the days in flight.
"""

import datetime as dt
import time

import dagster as dg

from chimera_pipeline.defs.check_window import DAYS_TAG, RANGE_END, RANGE_START
from chimera_pipeline.defs.jobs import benchmark_job
from chimera_pipeline.defs.partitions import benchmark_days
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.incremental.automation import sensor_decision
from chimera_pipeline.lib.incremental.planner import Block

IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
             dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
             dg.DagsterRunStatus.CANCELING]


def block_request(block: Block) -> dg.RunRequest:
    """One run for the block: a single day as a partition, several as a partition range (the
    assets' single-run backfill policy makes it one run, as ``chimera run`` does)."""
    tags = {"chimera/planned_files": str(block.files),
            **({DAYS_TAG: block.days_tag} if block.days_tag else {})}
    if block.first == block.last:
        return dg.RunRequest(run_key=block.key, partition_key=block.first.isoformat(),
                             tags=tags)
    return dg.RunRequest(run_key=block.key, tags={
        **tags, RANGE_START: block.first.isoformat(), RANGE_END: block.last.isoformat()})


@dg.sensor(job=benchmark_job, minimum_interval_seconds=load_settings().sensor_interval_seconds,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Days whose files are not what the warehouse holds -> one run per "
           "block of consecutive days (the planner `chimera run` uses).")
def new_artifacts(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    settings = load_settings()
    if not settings.artifact_root.is_dir():
        return dg.SensorResult(skip_reason=f"artifact root {settings.artifact_root} is missing")
    busy = context.instance.get_run_records(
        filters=dg.RunsFilter(job_name=benchmark_job.name, statuses=IN_FLIGHT), limit=1)
    if busy:
        run = busy[0].dagster_run
        return dg.SensorResult(skip_reason=f"run {run.run_id[:8]} is {run.status.value.lower()}"
                               "; planning after the job's runs end")
    last_day = benchmark_days.get_last_partition_key()
    if last_day is None:
        return dg.SensorResult(skip_reason="no partition exists yet (CHIMERA_PARTITION_START "
                               "is in the future)")
    decision = sensor_decision(settings, context.cursor, time.time(),
                               dt.date.fromisoformat(last_day))
    for message in decision.messages:
        context.log.info(message)
    if not decision.blocks:
        return dg.SensorResult(skip_reason=decision.skip_reason, cursor=decision.cursor)
    return dg.SensorResult(run_requests=[block_request(b) for b in decision.blocks],
                           cursor=decision.cursor)
