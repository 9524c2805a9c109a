"""``artifact_inventory``: the catalog of artifact files for the selected benchmark days."""

import time
from collections import Counter

import dagster as dg
import pyarrow as pa
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.partitions import daily_asset, work_keys
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.inventory import scan_snapshot
from chimera_pipeline.lib.inventory.records import inventory_row
from chimera_pipeline.lib.inventory.scan import scan_configured
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.warehouse import record_stage, write_inventory


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
    keys = set(work_keys(context))
    snapshot = scan_snapshot.load(settings.data_dir, context.run.tags.get(scan_snapshot.TAG),
                                  keys)
    if snapshot is not None:  # the launcher's scan of a moment ago: no second walk
        selected, scanned = snapshot
        context.log.info(f"inventory from the launcher's scan ({scanned} files)")
    else:
        records = scan_configured(settings)
        scanned = len(records)
        selected = [inventory_row(r) for r in records if r.partition in keys]
        del records  # only the selected days' rows are needed from here on
    with warehouse.get_connection() as con:
        write_inventory(con, keys, selected)
        record_stage(con, keys, stages.INVENTORY.label, time.perf_counter() - began, context.run_id)
    columns = _columns(selected, ("type", "duplicate_of", "parse_error", "date_source"))
    context.log.info(f"{len(columns['type'])} of {scanned} scanned files fall on "
                     f"{len(keys)} day(s)")
    return dg.MaterializeResult(
        metadata={
            "files": len(columns["type"]),
            "scanned_in_tree": scanned,
            "inventory_from": "launcher's scan" if snapshot is not None else "scan",
            "by_type": dict(sorted(Counter(columns["type"]).items())),
            "duplicates": sum(1 for d in columns["duplicate_of"] if d),
            "unreadable": sum(1 for e in columns["parse_error"] if e),
            "dated_by_mtime": columns["date_source"].count("mtime"),
        }
    )


def _columns(rows: list[dict] | pa.Table, names: tuple[str, ...]) -> dict[str, list]:
    if isinstance(rows, pa.Table):
        return {n: rows.column(n).to_pylist() for n in names}
    return {n: [row[n] for row in rows] for n in names}
