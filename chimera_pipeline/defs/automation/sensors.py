"""A sensor on the artifact root: runs exactly the days whose files were added or changed.

Historical days included (a late-arriving run from last month re-materializes that day) and
today (the partitions have ``end_offset=1``). A file still being written waits for the next
tick (``CHIMERA_SENSOR_SETTLE_SECONDS``, default 60 s without modification).
"""

import time

import dagster as dg

from chimera_pipeline.defs.jobs import benchmark_job
from chimera_pipeline.defs.partitions import benchmark_days
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.incremental.watch import detect_changes


@dg.sensor(job=benchmark_job, minimum_interval_seconds=60,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="New or changed artifact files -> runs for exactly their days.")
def new_artifacts(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    settings = load_settings()
    if not settings.artifact_root.is_dir():
        return dg.SensorResult(skip_reason=f"artifact root {settings.artifact_root} is missing")
    changes = detect_changes(settings.artifact_root, settings.scan_roots, settings.extensions,
                             context.cursor, time.time(),
                             settings.sensor_settle_seconds)
    valid = set(benchmark_days.get_partition_keys())
    requests = [dg.RunRequest(run_key=changes.run_key(day), partition_key=day,
                              tags={"chimera/changed_files": str(len(files))})
                for day, files in sorted(changes.days.items()) if day in valid]
    skipped = sorted(set(changes.days) - valid)
    if skipped:
        context.log.warning(f"days outside the partitions (CHIMERA_PARTITION_START?): {skipped}")
    if changes.waiting:
        context.log.info(f"{len(changes.waiting)} file(s) still being written; next tick")
    return dg.SensorResult(run_requests=requests, cursor=changes.cursor)
