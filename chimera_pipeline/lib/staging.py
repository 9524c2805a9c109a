"""Parse a backfill's files in chunks, on every core, and stage the rows as Parquet.

Memory holds one chunk of files per worker, whatever the size of the backfill; the caller
loads every staged file into DuckDB in one transaction (``write_staged_metrics``), so the
partitions still change atomically. Parsing is pure Python (every number becomes a typed
row with its provenance), so it runs in a process pool: threads would share one GIL.
"""

from __future__ import annotations

import multiprocessing
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from chimera_pipeline.lib.ingest import FileStatus, _is_big_csv, _stream_one, ingest, one_line
from chimera_pipeline.lib.settings import parse_workers

CHUNK_FILES = 500
# (table, pyarrow.Table) -> None, raises when the rows break a constraint. A check with a
# ``tables`` attribute is only given those tables (the others are not read back).
Check = Callable[[str, object], None]


def stage_chunk(root: Path, items: list[dict], staging: Path, start: int,
                check: Check | None) -> tuple[list[FileStatus], dict[str, Path]]:
    """Parse ``items`` and write each table's rows to ``staging/<table>_<start>.parquet``."""
    import pyarrow.parquet as pq

    from chimera_pipeline.lib.schema import METRIC_TABLES
    from chimera_pipeline.lib.warehouse import to_arrow

    result = ingest(root, items)
    staged: dict[str, Path] = {}
    for table in METRIC_TABLES:
        rows = result.tables.get(table)
        if not rows:
            continue
        arrow = to_arrow(table, rows)
        if check is not None:
            check(table, arrow)
        staged[table] = staging / f"{table}_{start:09d}.parquet"
        pq.write_table(arrow, staged[table])
    return result.statuses, staged


def _stage_big(root: Path, big: list[dict], staging: Path, check: Check | None,
               statuses: list[FileStatus], staged: dict[str, list[Path]]) -> None:
    """CSVs over ``CHIMERA_STREAM_CSV_MB``, each parsed in chunks of rows, one at a time."""
    for i, item in enumerate(big):
        try:
            status, files = _stream_one(root, item, staging / f"big_{i:05d}", check)
        except (OSError, ValueError) as exc:
            status, files = FileStatus(item["path"], None, "unreadable",
                                       one_line(f"cannot read: {exc}")), {}
        statuses.append(status)
        for table, paths in files.items():
            staged[table] += paths


def ingest_in_chunks(root: Path, inventory: list[dict], staging: Path,
                     chunk_files: int = CHUNK_FILES, check: Check | None = None,
                     workers: int | None = None) -> tuple[list[FileStatus],
                                                          dict[str, list[Path]]]:
    """Parse ``chunk_files`` files at a time and stage each chunk's rows as Parquet.

    With more than one chunk, chunks go to ``workers`` processes and ``check`` runs here,
    on the staged tables it asks for, read back: a check may need Dagster, whose import
    would cost each worker more than a chunk's parse. Results are taken in chunk order,
    so statuses and staged files do not depend on which worker finished first.
    """
    from chimera_pipeline.lib.stream_csv import stream_threshold

    threshold = stream_threshold()
    big = [item for item in inventory if _is_big_csv(root, item, threshold)]
    small = [item for item in inventory if item not in big]
    statuses: list[FileStatus] = []
    staged: dict[str, list[Path]] = defaultdict(list)
    _stage_big(root, big, staging, check, statuses, staged)
    starts = range(0, len(small), chunk_files)
    workers = min(workers or parse_workers(), len(starts))
    jobs = ((root, small[s:s + chunk_files], staging, s, check) for s in starts)
    if workers <= 1:
        results = (stage_chunk(*job) for job in jobs)
        _collect(results, statuses, staged)
        return statuses, staged
    # spawn, not fork: the Dagster step process runs threads (and pyarrow's pool), and a
    # forked child inherits their locks in whatever state they were
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        jobs = ((root, items, folder, s, None) for root, items, folder, s, _ in jobs)
        _collect(pool.map(stage_chunk, *zip(*jobs, strict=True)), statuses, staged, check)
    finally:  # on a failed check, drop the chunks not started instead of parsing them
        pool.shutdown(cancel_futures=True)
    return statuses, staged


def _collect(results, statuses: list[FileStatus], staged: dict[str, list[Path]],
             check: Check | None = None) -> None:
    import pyarrow.parquet as pq

    wanted = getattr(check, "tables", None)
    for chunk_statuses, files in results:
        statuses += chunk_statuses
        for table, path in files.items():
            if check is not None and (wanted is None or table in wanted):
                check(table, pq.read_table(path))
            staged[table].append(path)
