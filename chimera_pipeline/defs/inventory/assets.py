"""``artifact_inventory``: the catalog of artifact files for the selected benchmark days."""

import time
from collections import Counter

import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.partitions import daily_asset
from chimera_pipeline.lib.scanning import inventory_row
from chimera_pipeline.lib.settings import load_settings
from chimera_pipeline.lib.warehouse import record_stage, write_inventory


@daily_asset(
    pool="duckdb_writer",
    group_name="inventory",
    kinds={"duckdb", "python"},
    description="Every artifact file dated to the partition's day: type, kind, size, sha256, "
    "benchmark date and its source, duplicate-of. Table: artifact_files.",
)
def artifact_inventory(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    began = time.perf_counter()
    settings = load_settings()
    if not settings.artifact_root.is_dir():
        raise dg.Failure(
            f"artifact root {settings.artifact_root} does not exist; "
            "set CHIMERA_ARTIFACT_ROOT to the folder that holds reports/ and csv_data/"
        )
    keys = set(context.partition_keys)
    records = settings.scan()
    selected, scanned = [r for r in records if r.partition in keys], len(records)
    del records  # only the selected days' records are needed from here on
    with warehouse.get_connection() as con:
        write_inventory(con, keys, [inventory_row(r) for r in selected])
        record_stage(con, keys, "ingest", time.perf_counter() - began, context.run_id)
    by_type = Counter(r.file_type for r in selected)
    context.log.info(f"{len(selected)} of {scanned} scanned files fall on {len(keys)} day(s)")
    return dg.MaterializeResult(
        metadata={
            "files": len(selected),
            "scanned_in_tree": scanned,
            "by_type": dict(sorted(by_type.items())),
            "duplicates": sum(1 for r in selected if r.duplicate_of),
            "unreadable": sum(1 for r in selected if r.scan_error),
            "dated_by_mtime": sum(1 for r in selected if r.date_source == "mtime"),
        }
    )
