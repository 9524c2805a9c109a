"""Checks on ``benchmark_metrics``: schema, no negative durations/throughputs, error rate."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.check_window import run_window
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.config.docs import describe
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.checks import (
    IN_WINDOW,
    error_rate,
    negative_values,
    schema_problems,
    window_params,
)
from chimera_pipeline.lib.store.schema import METRIC_TABLES


@dg.asset_check(asset=stages.METRICS.asset, description="Typed tables follow the contract and "
                "hold no negative duration or throughput.")
def metrics_schema_and_values(context: dg.AssetCheckExecutionContext,
                              warehouse: DuckDBResource) -> dg.AssetCheckResult:
    window = run_window(context.run.tags)
    with warehouse.get_connection() as con:
        problems = schema_problems(con, METRIC_TABLES)
        negatives = negative_values(con, window)
        rows = {t: con.execute(f"SELECT count(*) FROM {t} WHERE {IN_WINDOW}",
                               window_params(window)).fetchone()[0] for t in METRIC_TABLES}
    return dg.AssetCheckResult(
        passed=not problems and not any(negatives.values()),
        metadata={"schema_problems": "; ".join(problems) or "none",
                  **{f"negative_rows.{t}": n for t, n in negatives.items()},
                  **{f"rows.{t}": n for t, n in rows.items()}})


@dg.asset_check(asset=stages.METRICS.asset, description="Share of failed LLM requests in "
                f"llm_runs; warns above {describe('max_error_rate')}.")
def llm_runs_error_rate(context: dg.AssetCheckExecutionContext,
                        warehouse: DuckDBResource) -> dg.AssetCheckResult:
    limit = load_settings().max_error_rate
    with warehouse.get_connection() as con:
        failed, total = error_rate(con, run_window(context.run.tags))
    rate = failed / total if total else 0.0
    return dg.AssetCheckResult(passed=rate <= limit, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"error_rate": rate, "failed": failed, "requests": total,
                                         "limit": limit})
