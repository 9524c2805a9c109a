"""Checks on ``artifact_inventory``: schema, row counts, duplicates."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.check_window import run_window
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.checks import (
    IN_WINDOW,
    duplicate_rows,
    schema_problems,
    window_params,
)


@dg.asset_check(asset=stages.INVENTORY.asset, description="artifact_files has the contract's "
                "columns and types, and each file is listed once.")
def artifact_files_schema_and_rows(context: dg.AssetCheckExecutionContext,
                                   warehouse: DuckDBResource) -> dg.AssetCheckResult:
    window = run_window(context.run.tags)
    with warehouse.get_connection() as con:
        problems = schema_problems(con, ("artifact_files",))
        rows = con.execute(f"SELECT count(*) FROM artifact_files WHERE {IN_WINDOW}",
                           window_params(window)).fetchone()[0]
        twice, copies = duplicate_rows(con, window)
    return dg.AssetCheckResult(
        passed=not problems and twice == 0,
        metadata={"rows": rows, "schema_problems": "; ".join(problems) or "none",
                  "paths_listed_twice": twice, "exact_duplicate_files": copies})
