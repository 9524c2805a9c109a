"""Remember what each file was, so an unchanged file is never read again.

A file whose size and mtime (nanoseconds) match the cache keeps its sha256, kind and
benchmark date from the last scan: a re-run of an unchanged tree costs one ``stat`` per
file instead of reading every byte. Only clean scans are cached; unreadable,
busy and symlinked files are looked at again every time. The cache is a Parquet file in
the data dir, written atomically (parallel runs each replace it whole), and keyed by the
scan configuration and ``VERSION``, so a change to the dating or kind rules invalidates it.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chimera_pipeline.lib.config import Settings

VERSION = "3"  # 2: benchmark tools' kinds and content dates; 3: notebooks, llama.cpp texts


@cache
def schema():
    """The cache's Arrow schema (pyarrow is imported on first use: the no-change shortcut
    only needs ``cache_path`` and must stay at the cost of a walk)."""
    import pyarrow as pa

    return pa.schema([
        ("path", pa.string()), ("size_bytes", pa.int64()), ("mtime_ns", pa.int64()),
        ("sha256", pa.string()), ("kind", pa.string()), ("benchmark_date", pa.date32()),
        ("date_source", pa.string()), ("date_raw", pa.string())])


def cache_path(data_dir: Path, root: Path, roots: tuple[str, ...],
               extensions: tuple[str, ...], skip: tuple[str, ...] = ()) -> Path:
    key = "|".join([VERSION, str(root.resolve()), ",".join(roots), ",".join(extensions),
                    *(["skip:" + ",".join(skip)] if skip else [])])
    return data_dir / "scan_cache" / f"{hashlib.sha1(key.encode()).hexdigest()[:16]}.parquet"


def cache_path_for(settings: Settings) -> Path:
    """The cache of the configured root, scan roots and extensions."""
    return cache_path(settings.data_dir, settings.artifact_root, settings.scan_roots,
                      settings.extensions, settings.scan_skip)


def load_table(path: Path | None):
    """The cache as an Arrow table; None when missing or unreadable."""
    if path is None or not path.is_file():
        return None
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, schema=schema())
    except (OSError, pa.ArrowException):
        return None


def rows_by_path(table) -> dict[str, dict]:
    """path -> cached fields, for an Arrow table of cache rows."""
    if table is None:
        return {}
    names = table.column_names
    columns = [table.column(name).to_pylist() for name in names]  # far faster than rows
    return {row[0]: dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)}


def load(path: Path | None) -> dict[str, dict]:
    """path -> cached fields; an unreadable or missing cache is simply empty."""
    return rows_by_path(load_table(path))


def save(path: Path | None, rows) -> None:
    """Replace the cache with ``rows`` (dicts, or an Arrow table of the cache's schema)."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=schema())
    pq.write_table(table, temporary)
    os.replace(temporary, path)
