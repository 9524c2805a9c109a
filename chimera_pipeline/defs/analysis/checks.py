"""The grounding check: how many numbers in the LLM text a fact backs. Blocking: a report
whose narrative is not grounded enough is not published."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.check_window import run_window
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.config.docs import describe
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.checks import grounding


@dg.asset_check(asset=stages.ANALYSIS.asset, blocking=True,
                description="Share of numbers in the LLM text that a fact backs (cited by "
                "id, or typed with a matching value and subject). Below "
                f"{describe('grounding_threshold')} it fails and benchmark_report is not "
                "materialized.")
def grounding_rate(context: dg.AssetCheckExecutionContext,
                   warehouse: DuckDBResource) -> dg.AssetCheckResult:
    threshold = load_settings().grounding_threshold
    window = run_window(context.run.tags)
    with warehouse.get_connection() as con:
        verified, total = grounding(con, window)
    rate = verified / total if total else 1.0
    return dg.AssetCheckResult(
        passed=rate >= threshold, severity=dg.AssetCheckSeverity.ERROR,
        description=None if rate >= threshold else
        f"only {verified} of {total} numbers in the published LLM text are backed by facts "
        f"({rate:.0%} < {threshold:.0%}); the report is not published. Unset "
        "CHIMERA_LLM_MARK_UNVERIFIED (the gate then leaves such sentences out), lower "
        "CHIMERA_GROUNDING_THRESHOLD or use a stronger model.",
        metadata={"grounding_rate": rate, "numbers": total, "verified": verified,
                  "unverified": total - verified, "threshold": threshold,
                  "partitions": f"{window[0]}..{window[1]}"})
