"""One artifact file as the scanner saw it, and the rows it becomes: its ``artifact_files``
row, its scan-cache row, and exact-duplicate links between records."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from chimera_pipeline.lib.inventory.walk import top_folder


@dataclass(slots=True)  # one per file alive during a big scan: no per-record __dict__
class FileRecord:
    """One artifact file as the scanner saw it. ``scan_error`` is set when it can't be read."""

    path: str
    folder: str
    file_type: str
    size_bytes: int
    mtime: dt.datetime
    sha256: str | None
    kind: str
    benchmark_date: dt.date
    date_source: str
    date_raw: str
    scan_error: str | None = None
    scan_status: str = "pending"
    mtime_ns: int = 0
    duplicate_of: str | None = None

    @property
    def partition(self) -> str:
        return self.benchmark_date.isoformat()


def mark_duplicates(records: list[FileRecord]) -> None:
    """Point every exact copy (same sha256) at the first path in sorted order.

    Empty files are not copies of each other: each is reported as empty in its own right.
    """
    first: dict[str, str] = {}
    for record in sorted(records, key=lambda r: r.path):
        if record.sha256 is None or record.size_bytes == 0:
            continue
        canonical = first.setdefault(record.sha256, record.path)
        record.duplicate_of = canonical if canonical != record.path else None


def record_from_row(row: dict, path: str | None = None) -> FileRecord:
    """A file's record from its scan cache row (the file is not looked at)."""
    rel, ns = row["path"], row["mtime_ns"]
    seconds, fraction = divmod(ns, 1_000_000_000)
    mtime = seconds + fraction * 1e-9  # exactly os.stat's st_mtime for these nanoseconds
    return FileRecord(
        path=rel, folder=top_folder(rel),
        file_type=os.path.splitext(path or rel)[1].lower().lstrip("."),
        size_bytes=row["size_bytes"],
        mtime=dt.datetime.fromtimestamp(mtime, tz=dt.UTC).replace(tzinfo=None),
        sha256=row["sha256"], kind=row["kind"], benchmark_date=row["benchmark_date"],
        date_source=row["date_source"], date_raw=row["date_raw"], mtime_ns=ns)


def cache_row(record: FileRecord) -> dict:
    return {"path": record.path, "size_bytes": record.size_bytes,
            "mtime_ns": record.mtime_ns, "sha256": record.sha256, "kind": record.kind,
            "benchmark_date": record.benchmark_date, "date_source": record.date_source,
            "date_raw": record.date_raw}


def cacheable(record: FileRecord) -> bool:
    return record.scan_status == "pending" and bool(record.mtime_ns)


def inventory_row(record: FileRecord) -> dict:
    """The ``artifact_files`` row for a scanned file, before parsing."""
    return {
        "partition": record.partition, "path": record.path, "folder": record.folder,
        "type": record.file_type, "kind": record.kind, "size_bytes": record.size_bytes,
        "mtime": record.mtime, "sha256": record.sha256, "benchmark_date": record.benchmark_date,
        "date_source": record.date_source, "date_raw": record.date_raw,
        "duplicate_of": record.duplicate_of, "parser": None,
        "parse_status": record.scan_status,
        "parse_error": record.scan_error, "rows_loaded": 0, "values_loaded": 0,
        "parsed_with": None,
    }

