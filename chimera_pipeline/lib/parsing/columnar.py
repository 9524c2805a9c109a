"""Stage a big per-request file through DuckDB's reader straight to Parquet.

The rows never become Python objects: DuckDB reads the file (``read_json``/``read_csv``,
:mod:`chimera_pipeline.lib.formats.columnar`), record batches are conformed to the
``benchmark_requests`` schema in Arrow and written as they come, so memory is one batch
plus DuckDB's own, bounded by ``CHIMERA_DUCKDB_MEMORY``. Its numbers are in
``benchmark_requests``; the generic ``metric_values`` walk is skipped for such a file (it
would hold the same numbers again, capped, at a Python object each).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chimera_pipeline.lib import formats
from chimera_pipeline.lib.common.numbers import DUCKDB_MACROS
from chimera_pipeline.lib.common.text import one_line
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.parsing.item import FileStatus, ParseItem
from chimera_pipeline.lib.parsing.parse_file import CHANGED
from chimera_pipeline.lib.parsing.reader import RootReader
from chimera_pipeline.lib.store.checks import NON_NEGATIVE
from chimera_pipeline.lib.store.schema import arrow_schema

COLUMNAR_BYTES = 8 * 2**20  # smaller per-request files go the whole-file way, with the rest
BATCH_ROWS = 100_000
NOTE = ("warning: read columnar by DuckDB; its requests are in benchmark_requests (no "
        "metric_values)")


def wanted(item: ParseItem, size: int, threshold: int = COLUMNAR_BYTES) -> bool:
    return (not item.scan_error and not item.duplicate_of and size >= threshold
            and formats.columnar_source(item.kind, item.type, item.path) is not None)


def conform(batch: pa.RecordBatch, item: ParseItem, schema: pa.Schema) -> pa.Table:
    """A batch of request columns as ``benchmark_requests`` rows: partition and source
    file added, missing columns NULL, every column in the table's type, a negative
    duration, rate or count NULL (as the Python readers' rows are cleaned)."""
    rows = batch.num_rows
    columns = []
    for field in schema:
        if field.name == "partition":
            column = pa.array([item.partition] * rows, pa.string())
        elif field.name == "source_file":
            column = pa.array([item.path] * rows, pa.string())
        elif field.name in batch.schema.names:
            column = batch.column(field.name).cast(field.type)
            if field.name in NON_NEGATIVE["benchmark_requests"]:
                column = pc.if_else(pc.less(column, 0), None, column)
        else:
            column = pa.nulls(rows, field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def stage_file(reader: RootReader, item: ParseItem, out: Path) -> tuple[FileStatus, Path | None]:
    """Parse one per-request file into ``out`` (Parquet); its status, and the file written."""
    name = f"formats.{formats.columnar_source(item.kind, item.type, item.path)[1]}+duckdb"
    return stage_pinned(reader, item, out, name, _stage)


# (path DuckDB may read, item, Parquet file to write, parser name) -> (status, file written)
Stager = Callable[[str, ParseItem, Path, str], tuple[FileStatus, Path | None]]


def stage_pinned(reader: RootReader, item: ParseItem, out: Path, name: str, stage: Stager
                 ) -> tuple[FileStatus, Path | None]:
    """Run ``stage`` on the open file that was hashed (:meth:`RootReader.pinned`), never on
    its name; a file whose sha256 is not the inventory's, or that changed while it was
    read, is an error and writes nothing."""
    with ExitStack() as stack:
        try:  # only opening and hashing the artifact make it unreadable; a failed write fails
            pinned, before = stack.enter_context(reader.pinned(item.path))
        except (OSError, ValueError) as exc:
            return FileStatus(item.path, name, "unreadable", one_line(f"cannot read: {exc}")
                              ), None
        if pinned.sha256 != item.sha256:
            return FileStatus(item.path, name, "error", CHANGED), None
        status, written = stage(pinned.path, item, out, name)
        if status.parse_status == "ok" and not pinned.unchanged(before):
            out.unlink(missing_ok=True)
            return FileStatus(item.path, name, "error", CHANGED), None
        return status, written


def _stage(path: str, item: ParseItem, out: Path, name: str
           ) -> tuple[FileStatus, Path | None]:
    import duckdb

    sql, tool, run_key = formats.columnar_source(item.kind, item.type, item.path)
    schema, written = arrow_schema("benchmark_requests"), 0
    con = duckdb.connect()
    writer = None
    try:
        con.execute(f"SET memory_limit = '{load_settings().duckdb_memory}'")
        con.execute(DUCKDB_MACROS)
        # sql(), not execute(): a DB-API result's Arrow output copies every row first
        batches = con.sql(sql, params={"path": path, "tool": tool, "run_key": run_key}
                          ).to_arrow_reader(BATCH_ROWS)
        for batch in batches:
            table = conform(batch, item, schema)
            if writer is None:
                out.parent.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(out, schema)
            writer.write_table(table)
            written += table.num_rows
    except duckdb.Error as exc:
        if writer is not None:
            writer.close()
            writer = None
        out.unlink(missing_ok=True)
        return FileStatus(item.path, name, "error", one_line(f"DuckDB could not read it: {exc}")
                          ), None
    finally:
        if writer is not None:
            writer.close()
        con.close()
    return FileStatus(item.path, name, "ok", NOTE, written, 0), out if written else None
