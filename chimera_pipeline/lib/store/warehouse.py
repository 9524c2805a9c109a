"""Partitioned writes to the DuckDB warehouse: delete-then-insert, one transaction.

Rows travel as Arrow tables (zero-copy into DuckDB). A partition's rows in every table
are replaced inside a single transaction, so a crash or a concurrent reader sees either
the old partition or the new one, never half. Callers keep connections short (open,
write, close): DuckDB lets only one process hold the file for writing.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from chimera_pipeline.lib.common.sql import sql_literal
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.results import BLOCK_DAYS, derive_statements
from chimera_pipeline.lib.store.schema import (
    METRIC_TABLES,
    arrow_schema,
    column_names,
    create_statements,
    expected_columns,
)


class WarehouseBusy(RuntimeError):
    """The warehouse file is locked by a writer; the message says so and what to do."""


def connect_read_only(path: Path, attempts: int = 5, delay_s: float = 0.2,
                      files: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the warehouse for reading while runs may be writing it.

    DuckDB lets one process write a file and no other process open it meanwhile, not even
    to read. A reader therefore retries briefly with backoff, then raises
    :class:`WarehouseBusy` with a one-line explanation instead of DuckDB's lock error.
    Reading never changes the file, so a refused reader cannot corrupt anything. With
    ``files=False`` the connection reads the warehouse and nothing else: DuckDB's external
    access (COPY TO, read_csv of any path, ATTACH, extensions) is off, and the setting locked.
    """
    if not path.is_file():
        raise FileNotFoundError(f"no warehouse at {path}; run `chimera run` first")
    for attempt in range(attempts):
        try:
            config = {} if files else {"enable_external_access": False,
                                       "lock_configuration": True}
            return duckdb.connect(str(path), read_only=True, config=config)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            holder = re.search(r"PID (\d+)", str(exc))
            if attempt + 1 == attempts:
                raise WarehouseBusy(
                    f"the warehouse {path} is being written by a running materialization"
                    f"{f' (pid {holder.group(1)})' if holder else ''}; try again in a few "
                    "seconds, or read a copy of the file") from None
            time.sleep(delay_s * 2 ** attempt)
    raise AssertionError("unreachable")


def fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> list[dict]:
    """Run a query and return its rows as dicts keyed by column name."""
    cursor = con.execute(sql, params) if params is not None else con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables and add missing columns. Every write calls this, so the usual case
    (all there) is one catalog query instead of a few hundred idempotent DDL statements."""
    present = set(con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' "
        "AND database_name = current_database()").fetchall())
    if expected_columns() <= present:
        return
    for statement in create_statements():
        con.execute(statement)


def to_arrow(table: str, rows: Sequence[Mapping[str, object]]) -> pa.Table:
    """Rows (dicts) -> Arrow table with the warehouse schema; unknown keys are an error.

    Built a column at a time (a missing key is NULL, as ``from_pylist`` reads it): a day's
    facts are tens of thousands of rows, and row-wise conversion costs nearly twice as much."""
    names = column_names(table)
    for row in rows[:1]:
        extra = set(row) - set(names)
        if extra:
            raise KeyError(f"{table}: columns not in the warehouse contract: {sorted(extra)}")
    return pa.Table.from_pydict({name: [row.get(name) for row in rows] for name in names},
                                schema=arrow_schema(table))


def literal_path(path: str) -> str:
    """``path`` as a DuckDB file pattern that matches exactly that file: DuckDB expands glob
    characters (``*``, ``?``, ``[``) in any path it reads, so a data dir named ``runs[1]``
    would read ``runs1``'s files, or none. Each is put in a one-character class."""
    return re.sub(r"([*?\[])", r"[\1]", path)


def _addressable(path: str) -> bool:
    """Whether DuckDB can read ``path`` by :func:`literal_path`: once a path holds a glob
    character, DuckDB's glob takes a backslash for a separator, and no escape gets past it."""
    return "\\" not in path or not any(c in path for c in "*?[")


def _staged_stream(files: list[str]) -> pa.RecordBatchReader:
    """The staged files as one Arrow stream, a small batch at a time (no read-ahead, no
    pre-buffering): for the paths DuckDB cannot address. DuckDB holds the rows it appends
    from a stream until the transaction commits, so this is the exception, not the way."""
    import pyarrow.dataset as ds

    parquet = ds.ParquetFileFormat(
        default_fragment_scan_options=ds.ParquetFragmentScanOptions(pre_buffer=False))
    return ds.dataset(files, format=parquet).scanner(
        batch_size=8192, batch_readahead=0, fragment_readahead=0,
        use_threads=False).to_reader()


def _staged_rows(files: list[str]) -> str:
    """SQL reading exactly these staged Parquet files, by DuckDB's own reader.

    Not an Arrow stream handed to DuckDB: the rows DuckDB appends from Arrow are held in
    memory until the transaction commits (a year's facts then weighed several times their
    size in the step), where its Parquet reader's appends go to its spillable storage, within
    ``memory_limit``, and take a third of the time."""
    listed = ", ".join(sql_literal(literal_path(str(f))) for f in files)
    return f"read_parquet([{listed}], union_by_name = true)"


def _replace(con: duckdb.DuckDBPyConnection, table: str, partitions: list[str],
             data: pa.Table | list[str], keep: str = "") -> None:
    """Delete the partitions' rows (all but those ``keep`` names, a SQL condition), insert
    ``data``: an Arrow table or staged Parquet files."""
    con.execute(f"DELETE FROM {table} WHERE partition IN (SELECT unnest(?::VARCHAR[]))"
                + (f" AND NOT ({keep})" if keep else ""), [partitions])
    if isinstance(data, list):
        if data:
            if all(_addressable(str(f)) for f in data):
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {_staged_rows(data)}")
                return
            con.register("staged_rows", _staged_stream([str(f) for f in data]))
            try:
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM staged_rows")
            finally:
                con.unregister("staged_rows")
        return
    if data.num_rows:
        con.register("incoming_rows", data)
        try:
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_rows")
        finally:
            con.unregister("incoming_rows")


def replace_partitions(con: duckdb.DuckDBPyConnection, partitions: Iterable[str],
                       tables: Mapping[str, pa.Table | list[str]],
                       after: Iterable[tuple[str, list]] = (),
                       keep: Mapping[str, str] | None = None) -> None:
    """Replace ``partitions`` in each given table, then run ``after`` statements; atomic.
    ``keep`` maps a table to a SQL condition naming the rows of it that stay."""
    keys = sorted(set(partitions))
    ensure_schema(con)
    # the rows' order in storage means nothing (every reader orders what it needs): without
    # keeping it, DuckDB inserts staged files on every thread. The setting is the database's,
    # not the transaction's: set around the transaction, and put back as it was whatever
    # happens (inside, a failed insert would leave it off and hide its error behind the reset)
    staged = any(isinstance(data, list) and data for data in tables.values())
    kept_order = (con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
                  if staged else None)
    if staged:
        con.execute("SET preserve_insertion_order = false")
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            for table, data in tables.items():
                _replace(con, table, keys, data, (keep or {}).get(table, ""))
            for sql, params in after:
                con.execute(sql, params)
            _fault_pause(tables)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        if staged:
            con.execute(f"SET preserve_insertion_order = {bool(kept_order)}")


def _fault_pause(tables: Mapping[str, pa.Table]) -> None:
    """Fault injection for the crash-safety test: with ``CHIMERA_FAULT_PAUSE_IN_WRITE`` set
    to ``<table>:<marker file>``, a write to that table stops just before COMMIT (its
    deletes and inserts done), touches the marker and waits there to be killed."""
    spec = load_settings().fault_pause_in_write
    if not spec:
        return
    table, _, marker = spec.partition(":")
    if table in tables:
        Path(marker).write_text(str(os.getpid()))
        time.sleep(600)


# what a file's parse depends on besides the parser: the same values in a new inventory
# row let it keep the parse state (and the rows) of the old one
_SAME_FILE = ("partition", "path", "sha256", "kind", "type", "duplicate_of")
_PARSE_STATE = ("parser", "parse_status", "parse_error", "rows_loaded", "values_loaded",
                "parsed_with")


def write_inventory(con: duckdb.DuckDBPyConnection, partitions: Iterable[str],
                    rows: Sequence[Mapping[str, object]] | pa.Table) -> None:
    """Replace the partitions' ``artifact_files`` rows (dicts, or an Arrow table of them).

    A file that is the same file as before (``_SAME_FILE``) and that the scanner read keeps
    its parse state: its rows are still in the metric tables, and ``benchmark_metrics``
    keeps them rather than parse it again. Anything else starts unparsed."""
    table = rows if isinstance(rows, pa.Table) else to_arrow("artifact_files", rows)
    same = " AND ".join(f"f.{c} IS NOT DISTINCT FROM o.{c}" for c in _SAME_FILE)
    state = ", ".join(f"{c} = o.{c}" for c in _PARSE_STATE)
    keys = sorted(set(partitions))
    ensure_schema(con)
    con.execute("CREATE OR REPLACE TEMP TABLE previous_parse AS SELECT "
                f"{', '.join(_SAME_FILE + _PARSE_STATE)} FROM artifact_files WHERE partition "
                "IN (SELECT unnest(?::VARCHAR[])) AND parsed_with IS NOT NULL AND parse_status NOT "
                f"IN ({', '.join(repr(x) for x in (*SCAN_STATUSES, 'pending'))})", [keys])
    try:
        replace_partitions(con, keys, {"artifact_files": table}, after=[(
            f"UPDATE artifact_files AS f SET {state} FROM previous_parse AS o WHERE {same} "
            f"AND f.parse_status IS NOT DISTINCT FROM 'pending'", [])])
    finally:
        con.execute("DROP TABLE IF EXISTS previous_parse")


SCAN_STATUSES = ("unreadable", "busy")  # set by the scanner; the parser leaves these files alone


STATUS_SCHEMA = pa.schema([("path", pa.string()), ("parser", pa.string()),
                           ("parse_status", pa.string()), ("parse_error", pa.string()),
                           ("rows_loaded", pa.int64()), ("values_loaded", pa.int64())])


def read_inventory(con: duckdb.DuckDBPyConnection, partitions: Iterable[str]) -> pa.Table:
    """The partitions' inventoried files in path order, as one Arrow table (a year's rows as
    dicts would be held through the whole parse); ``scan_error`` is the
    scanner's own failure, stored as parse_status=unreadable/busy."""
    ensure_schema(con)
    statuses = ", ".join(f"'{s}'" for s in SCAN_STATUSES)
    return con.sql(  # sql(), not execute(): no extra copy of the rows on the way to Arrow
        "SELECT path, kind, type, partition, sha256, duplicate_of, parse_status, parse_error, "
        "parsed_with, "
        f"CASE WHEN parse_status IN ({statuses}) THEN parse_error END AS scan_error "
        "FROM artifact_files WHERE partition IN (SELECT unnest(?::VARCHAR[])) ORDER BY path",
        params=[sorted(set(partitions))]).to_arrow_table()


def write_staged_metrics(con: duckdb.DuckDBPyConnection, partitions: Iterable[str],
                         staged: Mapping[str, Sequence[Path]], statuses: pa.Table,
                         kept: Sequence[str] = (), parsed_with: str | None = None) -> None:
    """Replace the partitions' rows in every metric table with the staged Parquet files
    (DuckDB streams them in: a year-long backfill never holds its rows in Python memory) and
    record each file's parse status in ``artifact_files``, in one transaction.

    The rows of the ``kept`` files (unchanged since they were parsed with this parser
    version) stay where they are; every other row of the partitions goes, and the day's
    computed statistics (``derived``) are computed again over what the day now holds."""
    tables = {table: [str(p) for p in staged.get(table, ())] for table in METRIC_TABLES}
    keys = sorted(set(partitions))
    keep = "source_file IN (SELECT path FROM kept_files)"
    con.register("file_statuses", statuses)
    con.register("kept_files", pa.table({"path": pa.array(list(kept), pa.string())}))
    try:
        replace_partitions(con, partitions, tables, keep={
            table: keep + (" AND derived IS NOT TRUE" if table == "benchmark_results" else "")
            for table in tables} if kept else None, after=[(
                "UPDATE artifact_files AS f SET parser = s.parser, "
                "parse_status = s.parse_status, parse_error = s.parse_error, "
                "rows_loaded = s.rows_loaded, values_loaded = s.values_loaded, "
                "parsed_with = ? FROM file_statuses AS s "
                "WHERE f.path = s.path AND f.partition IN (SELECT unnest(?::VARCHAR[]))",
                [parsed_with, keys],
            ), *[(sql, {"partitions": keys[start:start + BLOCK_DAYS]})
                 for start in range(0, len(keys), BLOCK_DAYS) for sql in derive_statements()]])
    finally:
        con.unregister("file_statuses")
        con.unregister("kept_files")


def record_stage(con: duckdb.DuckDBPyConnection, partitions: Iterable[str], stage: str,
                 seconds: float, run_id: str) -> None:
    """Replace the partitions' timing for one stage (the Workflow Summary reads these), with
    the run id of the stage before it as each partition held it when this stage ran: a
    stage may run in another run than the one before it (``chimera run --parallel`` parses
    day by day, then judges the days in order), and the plan calls a day done when each
    stage ran on what the stage before it holds now, all the way back to the inventory."""
    keys = sorted(set(partitions))
    ensure_schema(con)
    rows = [{"partition": k, "stage": stage, "seconds": seconds, "partitions_in_step": len(keys),
             "run_id": run_id} for k in keys]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM stage_timings WHERE stage = ? AND partition IN "
                    "(SELECT unnest(?::VARCHAR[]))", [stage, keys])
        if rows:
            con.register("stage_rows", to_arrow("stage_timings", rows))
            before = stages.before(stage)
            con.execute(
                "INSERT INTO stage_timings BY NAME SELECT r.* EXCLUDE (upstream_run_id), "
                "CASE WHEN ? IS NULL THEN r.run_id ELSE u.run_id END AS upstream_run_id "
                "FROM stage_rows r LEFT JOIN stage_timings u "
                "ON u.partition = r.partition AND u.stage = ?", [before, before])
            con.unregister("stage_rows")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


# a day's facts in priority order, total: two facts of one key and priority (a model named
# "unknown model" and the rows without one) come in id order, not in storage order, which
# the parallel loads do not keep (a reader keeping the last of a key keeps the same one)
FACT_ORDER = "priority, fact_key, TRY_CAST(substr(fact_id, 2) AS BIGINT)"


def read_rows(con: duckdb.DuckDBPyConnection, table: str, partitions: Iterable[str],
              order: str = "partition") -> list[dict]:
    """A table's rows for the partitions, as dicts (reports and the LLM step read these)."""
    ensure_schema(con)
    return fetch_dicts(
        con, f"SELECT * FROM {table} WHERE partition IN (SELECT unnest(?::VARCHAR[])) "
        f"ORDER BY partition, {order}", [sorted(set(partitions))])
