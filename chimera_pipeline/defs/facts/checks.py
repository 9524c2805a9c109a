"""Checks on ``benchmark_facts``: facts exist for days with files; freshness of the data;
no series regressed beyond its noise band."""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.check_window import EVERYTHING, run_window
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.config.docs import describe
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.checks import (
    IN_WINDOW,
    alerts_in_window,
    days_since_latest,
    latest_night,
    window_params,
)

SEVERITY = load_settings().regression_check  # read when the code location loads: blocking is
# part of the check's definition


@dg.asset_check(asset=stages.FACTS.asset, description="Every day with files has facts.")
def facts_cover_every_day(context: dg.AssetCheckExecutionContext,
                          warehouse: DuckDBResource) -> dg.AssetCheckResult:
    window = run_window(context.run.tags)
    with warehouse.get_connection() as con:
        missing = [r[0] for r in con.execute(f"""
            SELECT DISTINCT partition FROM artifact_files WHERE {IN_WINDOW}
            EXCEPT SELECT DISTINCT partition FROM facts ORDER BY 1""",
            window_params(window)).fetchall()]
        facts = con.execute(f"SELECT count(*) FROM facts WHERE {IN_WINDOW}",
                            window_params(window)).fetchone()[0]
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


def _table(alerts: list[dict], reports: str) -> str:
    """The alerts as a Markdown table, each with both days' reports."""
    lines = ["| day | series | metric | before | now | change | noise band | reports |",
             "|---|---|---|---|---|---|---|---|"]
    for a in alerts:
        unit = a["unit"] or ""
        change = "" if a["change"] is None else f"{a['change']:+.1f} {a['change_unit']}"
        band = "" if a["noise_band"] is None else f"±{a['noise_band']:.1f} {a['change_unit']}"
        before = "compiled" if a["kind"] == "compile" and a["verdict"] == "regression" else (
            "failed" if a["kind"] == "compile" else f"{a['previous']:.4g} {unit}")
        now = ("fails" if a["verdict"] == "regression" else "compiles") if a["kind"] == (
            "compile") else f"{a['current']:.4g} {unit}"
        lines.append(f"| {a['partition']} | {a['series']} | {a['metric']} | {before} "
                     f"({a['previous_day']}) | {now} | {change} | {band} | "
                     f"{reports}/{a['previous_day']}/report.md, "
                     f"{reports}/{a['partition']}/report.md |")
    return "\n".join(lines)


@dg.asset_check(
    asset=stages.FACTS.asset, blocking=SEVERITY == "block",
    description="No throughput, latency, error rate or compile result regressed against the "
    "last day its series was measured, beyond the noise band (severity: "
    f"{describe('regression_check')}). Improvements are listed, never fail it.")
def no_performance_regressions(context: dg.AssetCheckExecutionContext,
                               warehouse: DuckDBResource) -> dg.AssetCheckResult:
    window = run_window(context.run.tags)
    with warehouse.get_connection() as con:
        if window == EVERYTHING:  # run on its own: the newest night, not all of history
            window = latest_night(con) or window
        days = alerts_in_window(con, window)
    alerts = [a for day in sorted(days) for a in days[day]]
    regressions = [a for a in alerts if a["verdict"] == "regression"]
    improvements = [a for a in alerts if a["verdict"] == "improvement"]
    regressed = sorted({a["partition"] for a in regressions})
    if regressions:
        shown = "; ".join(f"{a['partition']} {a['text']}" for a in regressions[:3])
        more = f" (and {len(regressions) - 3} more)" if len(regressions) > 3 else ""
        description = (f"{len(regressions)} regression(s) on {', '.join(regressed)}: "
                       f"{shown}{more}")
    else:
        description = (f"no regression beyond the noise band; {len(improvements)} "
                       "improvement(s)" if improvements else "no change beyond the noise band")
    reports = str(load_settings().reports_dir)
    metadata: dict = {"regressions": len(regressions), "improvements": len(improvements),
                      "regressed_days": ", ".join(regressed) or "none"}
    if regressions:
        metadata["regression_list"] = dg.MetadataValue.md(_table(regressions, reports))
    if improvements:
        metadata["improvement_list"] = dg.MetadataValue.md(_table(improvements, reports))
    return dg.AssetCheckResult(
        passed=not regressions, description=description[:1000], metadata=metadata,
        severity=dg.AssetCheckSeverity.WARN if SEVERITY == "warn"
        else dg.AssetCheckSeverity.ERROR)
