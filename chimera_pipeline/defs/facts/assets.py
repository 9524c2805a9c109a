"""``benchmark_facts``: the deterministic analysis every report number comes from."""

import time
from collections import Counter

import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.partitions import daily_asset
from chimera_pipeline.lib.facts import compute_facts, fact_rows
from chimera_pipeline.lib.findings import derive, finding_rows
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.warehouse import record_stage, replace_partitions, to_arrow


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
    rows: list[dict] = []
    findings: list[dict] = []
    with warehouse.get_connection() as con:
        replace_partitions(con, keys, {})  # creates the tables on a fresh warehouse
        for key in keys:
            day = fact_rows(key, compute_facts(con, key))
            findings += finding_rows(key, derive(key, day), {f["fact_id"]: f for f in day})
            rows += day
        replace_partitions(con, keys, {"facts": to_arrow("facts", rows),
                                       "findings": to_arrow("findings", findings)})
        record_stage(con, keys, stages.FACTS.label, time.perf_counter() - began, context.run_id)
    by_category = Counter(row["category"] for row in rows)
    return dg.MaterializeResult(
        metadata={"facts": len(rows), "findings": sum(f["role"] == "finding" for f in findings),
                  "by_category": dict(sorted(by_category.items()))}
    )
