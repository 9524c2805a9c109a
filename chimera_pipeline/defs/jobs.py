"""The job ``chimera run`` and the schedule launch: the whole asset graph, by day."""

import dagster as dg

from chimera_pipeline.defs.partitions import benchmark_days

benchmark_job = dg.define_asset_job(
    name="benchmark_job",
    selection=dg.AssetSelection.all(),
    partitions_def=benchmark_days,
    description="Materialize every stage for the selected benchmark days.",
)
