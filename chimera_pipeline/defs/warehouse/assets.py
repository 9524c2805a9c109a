"""``benchmark_metrics``: the partition's files parsed into typed DuckDB tables."""

import time
from collections import Counter

import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.partitions import daily_asset
from chimera_pipeline.defs.warehouse.frames import validate
from chimera_pipeline.lib.ingest import ingest
from chimera_pipeline.lib.schema import METRIC_TABLES
from chimera_pipeline.lib.settings import load_settings
from chimera_pipeline.lib.warehouse import (
    read_inventory,
    record_stage,
    to_arrow,
    write_metrics,
)


@daily_asset(
    deps=["artifact_inventory"],
    pool="duckdb_writer",
    group_name="warehouse",
    kinds={"duckdb", "pandas"},
    description="Typed, unit-normalised measurements with provenance: llm_runs, "
    "sweep_summaries, compile_benchmarks, timing_baselines, system_telemetry, metric_values.",
)
def benchmark_metrics(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    began = time.perf_counter()
    settings = load_settings()
    keys = set(context.partition_keys)
    with warehouse.get_connection() as con:
        inventory = read_inventory(con, keys)
    result = ingest(settings.artifact_root, inventory)  # parse outside the write lock
    for table in METRIC_TABLES:
        validate(table, to_arrow(table, result.tables.get(table, [])).to_pandas())
    statuses = [vars(s) for s in result.statuses]
    with warehouse.get_connection() as con:
        write_metrics(con, keys, result.tables, statuses)
        record_stage(con, keys, "parse", time.perf_counter() - began, context.run_id)
    outcome = Counter(s.parse_status for s in result.statuses)
    for status in result.statuses:
        if status.parse_status == "error":
            context.log.warning(f"{status.path}: {status.parse_error}")
    return dg.MaterializeResult(
        metadata={
            "files": len(result.statuses),
            "parse_status": dict(sorted(outcome.items())),
            **{f"rows.{t}": len(result.tables.get(t, [])) for t in METRIC_TABLES},
        }
    )
