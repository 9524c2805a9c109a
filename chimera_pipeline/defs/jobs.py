"""The job ``chimera run`` and the schedule launch: the whole asset graph, by day."""

import dagster as dg

benchmark_job = dg.define_asset_job(
    name="benchmark_job",
    selection=dg.AssetSelection.all(),  # daily-partitioned, like every asset it selects
    description="Materialize every stage for the selected benchmark days.",
)
