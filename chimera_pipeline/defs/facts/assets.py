"""``benchmark_facts``: the deterministic analysis every report number comes from."""

import tempfile
import time
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.partitions import daily_asset
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.findings.build import stage_facts
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.warehouse import record_stage, replace_partitions


@daily_asset(
    deps=[stages.METRICS.asset],
    pool="duckdb_writer",
    group_name="facts",
    kinds={"duckdb"},
    description="Per model/config statistics, best sweep configs, compile results, inventory "
    "counts, data-quality findings and changes against earlier days, and the findings and "
    "recommendations ranked from them. Tables: facts, findings.",
)
def benchmark_facts(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    began = time.perf_counter()
    keys = sorted(context.partition_keys)
    data_dir = load_settings().data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    with warehouse.get_connection() as con, tempfile.TemporaryDirectory(
            prefix="chimera_facts_", dir=data_dir) as staging:
        replace_partitions(con, keys, {})  # creates the tables on a fresh warehouse
        staged = stage_facts(con, keys, Path(staging))
        replace_partitions(con, keys, staged.files)
        record_stage(con, keys, stages.FACTS.label, time.perf_counter() - began, context.run_id)
    return dg.MaterializeResult(
        metadata={"facts": staged.facts, "findings": staged.findings,
                  "by_category": dict(sorted(staged.by_category.items()))}
    )
