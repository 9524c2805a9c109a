"""The grounding check: how many numbers in the LLM text a fact backs."""

import os

import dagster as dg
from dagster_duckdb import DuckDBResource

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def run_partitions(tags: dict) -> tuple[str, str] | None:
    """The partition window a run covered, from its tags."""
    if "dagster/partition" in tags:
        return tags["dagster/partition"], tags["dagster/partition"]
    if RANGE_START in tags:
        return tags[RANGE_START], tags[RANGE_END]
    return None


@dg.asset_check(asset="llm_analysis", description="Share of numbers in the LLM text that a "
                "fact backs (cited by id, or typed with a matching value and subject). Warns "
                "below CHIMERA_GROUNDING_THRESHOLD (default 0.8).")
def grounding_rate(context: dg.AssetCheckExecutionContext,
                   warehouse: DuckDBResource) -> dg.AssetCheckResult:
    threshold = float(os.environ.get("CHIMERA_GROUNDING_THRESHOLD", "0.8"))
    window = run_partitions(context.run.tags) or ("0000-00-00", "9999-99-99")
    with warehouse.get_connection() as con:
        total, verified = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE verified) FROM report_claims "
            "WHERE partition BETWEEN ? AND ?", list(window)).fetchone()
    rate = verified / total if total else 1.0
    return dg.AssetCheckResult(
        passed=rate >= threshold, severity=dg.AssetCheckSeverity.WARN,
        metadata={"grounding_rate": rate, "numbers": total, "verified": verified,
                  "unverified": total - verified, "threshold": threshold,
                  "partitions": f"{window[0]}..{window[1]}"})
