"""Parse a partition's inventoried files into warehouse rows, one file at a time.

A file that fails to parse costs only itself: its error goes to ``artifact_files`` and the
rest of the partition still loads. Exact duplicates are not parsed again (their rows
would double every count); they point at the copy that was.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from chimera_pipeline.lib import parsers
from chimera_pipeline.lib.text import decode_bytes


@dataclass
class FileStatus:
    """What became of one file; written back to ``artifact_files``."""

    path: str
    parser: str | None
    parse_status: str
    parse_error: str | None = None
    rows_loaded: int = 0
    values_loaded: int = 0


@dataclass
class IngestResult:
    """Rows for every metric table plus one status per file."""

    tables: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    statuses: list[FileStatus] = field(default_factory=list)


def _read_inside(root: Path, rel: str) -> bytes:
    path = (root / rel).resolve(strict=True)
    path.relative_to(root.resolve())  # raises ValueError when a link now leads outside
    return path.read_bytes()


def parse_one(root: Path, item: dict) -> tuple[FileStatus, parsers.ParseOutput | None]:
    """Parse one inventoried file (a dict with path, kind, type, partition, sha256...)."""
    rel, kind, file_type = item["path"], item["kind"], item["type"]
    if item.get("scan_error"):
        return FileStatus(rel, None, "unreadable", item["scan_error"]), None
    if item.get("duplicate_of"):
        return FileStatus(rel, None, "duplicate", f"exact copy of {item['duplicate_of']}"), None
    name = parsers.parser_name(kind, file_type)
    try:
        data = _read_inside(root, rel)
    except (OSError, ValueError) as exc:
        return FileStatus(rel, name, "unreadable", f"cannot read: {exc}"), None
    if hashlib.sha256(data).hexdigest() != item["sha256"]:
        return FileStatus(rel, name, "error", "file changed since the inventory; re-run"), None
    decoded = decode_bytes(data)
    if "\x00" in decoded.text:
        return FileStatus(rel, name, "error", decoded.note), None
    ctx = parsers.ParseContext(rel, kind, file_type, item["partition"], decoded.text)
    try:
        out = parsers.parse(ctx)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        message = str(exc) or type(exc).__name__
        if isinstance(exc, json.JSONDecodeError):
            message = f"invalid JSON: {exc}"
        return FileStatus(rel, name, "error", f"{type(exc).__name__}: {message}"[:500]), None
    typed = sum(len(rows) for table, rows in out.rows.items() if table != "metric_values")
    warning = f"warning: {decoded.note}" if decoded.note else None
    return FileStatus(rel, name, "ok", warning, typed, out.count("metric_values")), out


def ingest(root: Path, inventory: list[dict]) -> IngestResult:
    """Parse every inventoried file; collect rows per table and a status per file."""
    result = IngestResult()
    for item in inventory:
        status, out = parse_one(root, item)
        result.statuses.append(status)
        if out is not None:
            for table, rows in out.rows.items():
                result.tables[table].extend(rows)
    return result
