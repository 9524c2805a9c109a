"""Check on ``benchmark_report``: every day with files has its report files."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.check_window import run_window
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.checks import IN_WINDOW, window_params


@dg.asset_check(asset=stages.REPORT.asset, description="report.md and report.json exist for "
                "every day of the run that has files, and the index links them.")
def reports_written(context: dg.AssetCheckExecutionContext,
                    warehouse: DuckDBResource) -> dg.AssetCheckResult:
    reports = load_settings().reports_dir
    with warehouse.get_connection() as con:
        days = [r[0] for r in con.execute(
            f"SELECT DISTINCT partition FROM artifact_files WHERE {IN_WINDOW} "
            "ORDER BY 1", window_params(run_window(context.run.tags))).fetchall()]
    index = (reports / "index.md").read_text() if (reports / "index.md").is_file() else ""
    missing = [d for d in days if not ((reports / d / "report.md").is_file()
                                       and (reports / d / "report.json").is_file()
                                       and f"({d}/report.md)" in index)]
    return dg.AssetCheckResult(passed=not missing, metadata={
        "days": len(days), "missing": ", ".join(missing) or "none"})
