"""Parse a backfill's files in chunks, on every core, and stage the rows as Parquet.

Memory holds one chunk of files per worker, whatever the size of the backfill; the caller
loads every staged file into DuckDB in one transaction (``write_staged_metrics``), so the
partitions still change atomically. Parsing is pure Python (every number becomes a typed
row with its provenance), so it runs in a process pool: threads would share one GIL.
"""

from __future__ import annotations

import shutil
from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chimera_pipeline.lib import formats
from chimera_pipeline.lib.common.pools import parse_workers, spawn_pool
from chimera_pipeline.lib.parsing import columnar, llm_runs_sql, parsers
from chimera_pipeline.lib.parsing.item import FileStatus, ParseItem
from chimera_pipeline.lib.parsing.parse_file import (
    CHANGED,
    max_parse_bytes,
    parse_file,
    parse_files,
)
from chimera_pipeline.lib.parsing.reader import RootReader
from chimera_pipeline.lib.parsing.stream_csv import stream_threshold
from chimera_pipeline.lib.store.schema import METRIC_TABLES
from chimera_pipeline.lib.store.warehouse import STATUS_SCHEMA, to_arrow

CHUNK_FILES = 500
# below this many files, a pool's start (each spawned worker imports the parsers) costs more
# than it saves
POOL_MIN_FILES = 2500
# (table, pyarrow.Table or a staged Parquet file's Path) -> None, raises when the rows break
# a constraint. A check with a ``tables`` attribute is only given those tables (the others
# are not read back).
Check = Callable[[str, object], None]


def stage_chunk(root: Path, items: list[ParseItem], staging: Path, start: int,
                check: Check | None) -> tuple[list[FileStatus], dict[str, Path]]:
    """Parse ``items`` and write each table's rows to ``staging/<table>_<start>.parquet``."""
    result = parse_files(root, items)
    staged: dict[str, Path] = {}
    for table in METRIC_TABLES:
        arrow = _table(table, result.tables.get(table), result.columns.get(table))
        if arrow is None:
            continue
        if check is not None:
            check(table, arrow)
        staged[table] = staging / f"{table}_{start:09d}.parquet"
        pq.write_table(arrow, staged[table])
    return result.statuses, staged


def _table(table: str, rows: list[dict] | None, pieces: list[pa.Table] | None
           ) -> pa.Table | None:
    """A table's dict rows and Arrow pieces as one Arrow table, or None when there are none."""
    parts = ([to_arrow(table, rows)] if rows else []) + [p for p in pieces or () if p.num_rows]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else pa.concat_tables(parts)


class StagedFile:
    """Where a streamed file's rows go: one Parquet file per table and chunk of rows, in
    the file's own folder, dropped whole if a later chunk fails."""

    def __init__(self, folder: Path, check: Check | None) -> None:
        self.folder, self.check, self.chunk = folder, check, 0
        self.files: dict[str, list[Path]] = defaultdict(list)

    def add(self, out: parsers.ParseOutput) -> None:
        for table in {*out.rows, *out.columns}:
            arrow = _table(table, out.rows.get(table), out.columns.get(table))
            if arrow is not None:
                if self.check is not None:
                    self.check(table, arrow)
                self.folder.mkdir(parents=True, exist_ok=True)
                self.files[table].append(self.folder / f"{table}_{self.chunk:06d}.parquet")
                pq.write_table(arrow, self.files[table][-1])
        self.chunk += 1

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.files.clear()


def _stage_big(root: Path, big: list[ParseItem], staging: Path, check: Check | None,
               statuses: list[FileStatus], staged: dict[str, list[Path]]) -> None:
    """CSVs over ``CHIMERA_STREAM_CSV_MB``, each parsed in chunks of rows, one at a time."""
    reader, limit = RootReader(root), max_parse_bytes()
    for i, item in enumerate(big):
        sink = StagedFile(staging / f"big_{i:05d}", check)
        statuses.append(parse_file(reader, item, sink, limit, stream=True))
        for table, paths in sink.files.items():
            staged[table] += paths


def _is_big_csv(root: Path, item: ParseItem, threshold: int) -> bool:
    if item.type != "csv" or item.scan_error or item.duplicate_of:
        return False
    try:
        return (root / item.path).stat().st_size > threshold
    except OSError:
        return False


def statuses_table(statuses: list[FileStatus]) -> pa.Table:
    """Statuses as columns: a year's statuses as objects would weigh on a backfill's peak.
    Read a field at a time (``dataclasses.asdict`` deep-copies each status, a cost per file
    paid in the process that waits on the parse workers)."""
    return pa.Table.from_pydict({name: [getattr(s, name) for s in statuses]
                                 for name in STATUS_SCHEMA.names}, schema=STATUS_SCHEMA)


def _items(inventory: list[ParseItem] | pa.Table, start: int, count: int) -> list[ParseItem]:
    if isinstance(inventory, pa.Table):
        return [ParseItem.from_row(row) for row in inventory.slice(start, count).to_pylist()]
    return inventory[start:start + count]


def _columnar(root: Path, inventory: list[ParseItem] | pa.Table, threshold: int
              ) -> list[ParseItem]:
    """The per-request files big enough to go through DuckDB's reader (:mod:`.columnar`)."""
    kinds = sorted({kind for kind in formats.BY_KIND if formats.columnar.reads(
        kind, "csv") or formats.columnar.reads(kind, "jsonl") or formats.columnar.reads(
        kind, "json")})
    return _sized(root, inventory, kinds, lambda item, size: columnar.wanted(
        item, size, threshold))


def _typed_in_sql(root: Path, inventory: list[ParseItem] | pa.Table, threshold: int
                  ) -> list[ParseItem]:
    """The project's Ollama request CSVs big enough to be typed by DuckDB (:mod:`.llm_runs_sql`)."""
    return _sized(root, inventory, sorted(llm_runs_sql.KINDS), lambda item, size:
                  llm_runs_sql.wanted(item, size, threshold) and not _marked(root, item))


def _marked(root: Path, item: ParseItem) -> bool:
    """A byte-order mark: a UTF-16 or UTF-32 file (DuckDB reads UTF-8 only) or a UTF-8 one
    whose first header cell DuckDB and Python would name apart; Python decodes those."""
    try:
        with (root / item.path).open("rb") as handle:
            head = handle.read(4)
    except OSError:
        return False
    return head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"))


def _sized(root: Path, inventory: list[ParseItem] | pa.Table, kinds: list[str],
           wanted: Callable[[ParseItem, int], bool]) -> list[ParseItem]:
    """The items of ``kinds`` that ``wanted`` takes, given their size on disk."""
    if isinstance(inventory, pa.Table):
        candidates = [ParseItem.from_row(row) for row in inventory.filter(
            pc.is_in(inventory["kind"], pa.array(kinds, pa.string()))).to_pylist()]
    else:
        candidates = [item for item in inventory if item.kind in kinds]
    chosen = []
    for item in candidates:
        try:
            size = (root / item.path).stat().st_size
        except OSError:
            continue
        if wanted(item, size):
            chosen.append(item)
    return chosen


def _stage_by_duckdb(root: Path, items: list[ParseItem], staging: Path, prefix: str,
                     table: str, stage, check: Check | None, staged: dict[str, list[Path]]
                     ) -> pa.Table:
    """Stage each of ``items`` with ``stage`` (a DuckDB reader) into ``table``; statuses."""
    reader, done = RootReader(root), []
    for i, item in enumerate(items):
        status, path = stage(reader, item, staging / f"{prefix}_{i:05d}.parquet")
        done.append(status)
        if path is not None:
            if check is not None:
                check(table, path)
            staged[table].append(path)
    return statuses_table(done)


def parse_in_chunks(root: Path, inventory: list[ParseItem] | pa.Table, staging: Path,
                     chunk_files: int = CHUNK_FILES, check: Check | None = None,
                     workers: int | None = None,
                     columnar_bytes: int = columnar.COLUMNAR_BYTES
                     ) -> tuple[pa.Table, dict[str, list[Path]]]:
    """Parse ``chunk_files`` files at a time and stage each chunk's rows as Parquet.

    ``inventory`` is dicts or, to keep a year's backfill small in memory, an Arrow table of
    them (``read_inventory``): only the chunks in flight exist as dicts. With more
    than one chunk, chunks go to ``workers`` processes (by default ``CHIMERA_PARSE_WORKERS``
    from ``POOL_MIN_FILES`` files up, else this one), at most two per worker in flight,
    and ``check`` runs here on the staged tables it asks for, read back: a check may need
    Dagster, whose import would cost each worker more than a chunk's parse. Per-request
    files of ``columnar_bytes`` or more are read by DuckDB (:mod:`.columnar`), and the
    project's Ollama request CSVs typed in SQL (:mod:`.llm_runs_sql`). Results are
    taken in chunk order, so statuses (an Arrow table, ``STATUS_SCHEMA``) and staged files
    do not depend on which worker finished first.
    """
    threshold, total = stream_threshold(), len(inventory)
    statuses: list[pa.Table] = []
    staged: dict[str, list[Path]] = defaultdict(list)
    by_duckdb = _columnar(root, inventory, columnar_bytes)
    if by_duckdb:
        statuses.append(_stage_by_duckdb(root, by_duckdb, staging, "requests",
                                         "benchmark_requests", columnar.stage_file, check,
                                         staged))
    in_sql = _typed_in_sql(root, inventory, columnar_bytes)
    if in_sql:
        typed = _stage_by_duckdb(root, in_sql, staging, "llm_runs", "llm_runs",
                                 llm_runs_sql.stage_file, check, staged)
        # what DuckDB could not read (an invalid byte, a cell too big for int64...) goes the
        # Python way, which reads it as a smaller copy of the file would be read
        refused = pc.and_(pc.equal(typed["parse_status"], "error"),
                          pc.not_equal(typed["parse_error"], CHANGED))
        retried = set(typed.filter(refused)["path"].to_pylist())
        statuses.append(typed.filter(pc.invert(refused)))
        in_sql = [item for item in in_sql if item.path not in retried]
    by_duckdb += in_sql
    csvs = [ParseItem.from_row(row) for row in inventory.filter(
        pc.equal(inventory["type"], "csv")).to_pylist()] if isinstance(
        inventory, pa.Table) else [item for item in inventory if item.type == "csv"]
    big = [item for item in csvs if item.path not in {i.path for i in by_duckdb}
           and _is_big_csv(root, item, threshold)]
    big_paths = {item.path for item in big} | {item.path for item in by_duckdb}
    del csvs
    if big:
        big_statuses: list[FileStatus] = []
        _stage_big(root, big, staging, check, big_statuses, staged)
        statuses.append(statuses_table(big_statuses))
    starts = range(0, total, chunk_files)
    if workers is None:
        workers = parse_workers() if total >= POOL_MIN_FILES else 1
    workers = min(workers, len(starts))
    jobs = ((root, [i for i in _items(inventory, s, chunk_files) if i.path not in big_paths],
             staging, s, check if workers <= 1 else None) for s in starts)
    if workers <= 1:
        _collect((stage_chunk(*job) for job in jobs), statuses, staged)
    else:
        pool = spawn_pool(workers)
        try:
            _collect(_in_order(pool, jobs, 2 * workers), statuses, staged, check)
        finally:  # on a failed check, drop the chunks not started instead of parsing them
            pool.shutdown(cancel_futures=True)
    table = pa.concat_tables(statuses) if statuses else STATUS_SCHEMA.empty_table()
    return table, staged


def _in_order(pool: ProcessPoolExecutor, jobs, window: int):
    """``pool.map`` with at most ``window`` chunks submitted and not yet collected:
    ``Executor.map`` submits every job at once, which would build every chunk's dicts."""
    pending: deque = deque()
    for job in jobs:
        pending.append(pool.submit(stage_chunk, *job))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _collect(results, statuses: list[pa.Table], staged: dict[str, list[Path]],
             check: Check | None = None) -> None:

    wanted = getattr(check, "tables", None)
    for chunk_statuses, files in results:
        statuses.append(statuses_table(chunk_statuses))
        for table, path in files.items():
            if check is not None and (wanted is None or table in wanted):
                check(table, path)
            staged[table].append(path)
