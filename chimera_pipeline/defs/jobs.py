"""The job ``chimera run`` and the schedule launch: the whole asset graph, by day.

Its executor is ``chimera_executor``; its default run config comes from ``CHIMERA_PROFILE``
(and, locally, ``CHIMERA_RUN_EXECUTOR``), so a schedule, a sensor or a launchpad run in the
celery profile goes to the workers with no run config of its own.
"""

import dagster as dg

from chimera_pipeline.defs.execution.executor import chimera_executor
from chimera_pipeline.deployment.profile import run_config_execution
from chimera_pipeline.lib.config import load_settings

benchmark_job = dg.define_asset_job(
    name="benchmark_job",
    selection=dg.AssetSelection.all(),  # daily-partitioned, like every asset it selects
    executor_def=chimera_executor,
    config={"execution": run_config_execution(
        in_process=load_settings().run_executor == "in_process")},
    description="Materialize every stage for the selected benchmark days.",
)
