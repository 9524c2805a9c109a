"""Checks on ``benchmark_facts``: facts exist for days with files; freshness of the data."""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.check_window import run_window
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.config.docs import describe
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.checks import days_since_latest


@dg.asset_check(asset=stages.FACTS.asset, description="Every day with files has facts.")
def facts_cover_every_day(context: dg.AssetCheckExecutionContext,
                          warehouse: DuckDBResource) -> dg.AssetCheckResult:
    window = run_window(context.run.tags)
    with warehouse.get_connection() as con:
        missing = [r[0] for r in con.execute("""
            SELECT DISTINCT partition FROM artifact_files WHERE partition BETWEEN ? AND ?
            EXCEPT SELECT DISTINCT partition FROM facts ORDER BY 1""", list(window)).fetchall()]
        facts = con.execute("SELECT count(*) FROM facts WHERE partition BETWEEN ? AND ?",
                            list(window)).fetchone()[0]
    return dg.AssetCheckResult(passed=not missing, metadata={
        "facts": facts, "days_without_facts": ", ".join(missing) or "none"})


@dg.asset_check(asset=stages.FACTS.asset, description="The newest benchmark day is at most "
                f"{describe('freshness_days')} old.")
def latest_partition_freshness(context: dg.AssetCheckExecutionContext,
                               warehouse: DuckDBResource) -> dg.AssetCheckResult:
    limit = load_settings().freshness_days
    with warehouse.get_connection() as con:
        age = days_since_latest(con, dt.datetime.now(dt.UTC).date())
    return dg.AssetCheckResult(passed=age is not None and age <= limit,
                               severity=dg.AssetCheckSeverity.WARN,
                               metadata={"days_since_latest_benchmark": -1 if age is None else age,
                                         "limit_days": limit})
