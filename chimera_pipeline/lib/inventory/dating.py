"""Which benchmark date a file belongs to, and where that date came from.

Rules (docs/pipeline.md), first match wins:

1. ``path``: a stamp in the file name or a parent folder: ``YYYYMMDD-HHMMSS``,
   ``YYYYMMDD_HHMMSS``, ``YYYYMMDD`` or a Unix epoch (read as UTC).
2. ``content``: a date inside the file: top-level JSON keys such as ``generated_at`` or
   ``timestamp``, the earliest value of a CSV ``timestamp`` column, or a labelled date
   (``Date:``, ``Test Date``, ``Generated:``...) in the first 4 KiB of a Markdown file.
3. ``mtime``: the file's modification time, in UTC.

A stamp keeps its own calendar day: ``2025-10-03T03:19:06+00:00`` is 2025-10-03 and a
local ``20251002-170837`` is 2025-10-02. Converting between zones would move files across
midnight and away from the day the benchmark's author wrote down.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass

MARKDOWN_HEAD_CHARS = 4096
JSON_PARSE_LIMIT = 8 * 1024 * 1024

_STAMP_FULL = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})[-_](\d{2})(\d{2})(\d{2})(?!\d)")
_STAMP_DAY = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")
_STAMP_EPOCH = re.compile(r"(?<!\d)(1\d{9})(?:\.\d+)?(?!\d)")
_ISO_PREFIX = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_MD_LABEL = re.compile(
    r"(?i)\b(?:test\s+date|report\s+date|date|generated(?:\s+(?:on|at))?|last\s+updated"
    r"|timestamp)\b[\s:*|_-]{0,8}"
    r"(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)"
)
_JSON_DATE_KEYS = (
    "generated_at", "timestamp", "test_datetime", "export_datetime", "demo_timestamp",
    "datetime", "date", "created_at", "started_at", "test_timestamp", "export_timestamp",
)
_JSON_DATE_SUFFIXES = ("_at", "_datetime", "_timestamp", "_date")
_CSV_DATE_COLUMNS = ("timestamp", "datetime", "date", "generated_at", "started_at")


@dataclass(frozen=True)
class BenchmarkDate:
    """A file's benchmark date with its provenance (``path``, ``content`` or ``mtime``)."""

    date: dt.date
    source: str
    raw: str


def _valid_day(year: str, month: str, day: str) -> dt.date | None:
    try:
        value = dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return value if 2000 <= value.year <= 2099 else None


def _epoch_day(seconds: float) -> dt.date | None:
    if seconds > 1e12:  # milliseconds
        seconds /= 1000.0
    if not 946684800 <= seconds <= 4102444800:  # 2000-01-01 .. 2100-01-01
        return None
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).date()


def date_from_path(rel_path: str) -> BenchmarkDate | None:
    """Find a date stamp in the file name, then in its folders from the nearest up. The
    path is split as text: the components ``PurePosixPath`` would drop or add (empty, ``.``,
    a leading ``/``) hold no digits, so no stamp, and the scan dates every file of a tree."""
    for part in reversed(rel_path.split("/")):
        for pattern in (_STAMP_FULL, _STAMP_DAY):
            for match in pattern.finditer(part):
                day = _valid_day(*match.groups()[:3])
                if day:
                    return BenchmarkDate(day, "path", match.group(0))
        for match in _STAMP_EPOCH.finditer(part):
            day = _epoch_day(float(match.group(1)))
            if day:
                return BenchmarkDate(day, "path", match.group(0))
    return None


def parse_timestamp(value: object) -> dt.date | None:
    """Read an epoch number or an ISO-like string; return its calendar day."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _epoch_day(float(value))
    text = str(value).strip()
    match = _ISO_PREFIX.match(text)
    if match:
        return _valid_day(*match.groups())
    try:
        return _epoch_day(float(text))
    except ValueError:
        return None


def _json_date(text: str) -> BenchmarkDate | None:
    if len(text) > JSON_PARSE_LIMIT:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    keys = [k for k in _JSON_DATE_KEYS if k in data]
    keys += [k for k in data if isinstance(k, str) and k.endswith(_JSON_DATE_SUFFIXES)
             and k not in keys]
    for key in keys:
        day = parse_timestamp(data[key])
        if day:
            return BenchmarkDate(day, "content", f"{key}={data[key]}")
    return None


def _csv_date(text: str) -> BenchmarkDate | None:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error):
        return None
    columns = [i for i, name in enumerate(header) if name in _CSV_DATE_COLUMNS]
    if not columns:
        return None
    best: tuple[dt.date, str] | None = None
    try:
        for row in reader:
            for i in columns:
                if i < len(row):
                    day = parse_timestamp(row[i])
                    if day and (best is None or day < best[0]):
                        best = (day, row[i])
    except csv.Error:
        pass
    if best is None:
        return None
    return BenchmarkDate(best[0], "content", f"{header[columns[0]]} col {best[1]}")


def _markdown_date(text: str) -> BenchmarkDate | None:
    match = _MD_LABEL.search(text[:MARKDOWN_HEAD_CHARS])
    if not match:
        return None
    day = parse_timestamp(match.group(1))
    return BenchmarkDate(day, "content", f"md:{match.group(1)}") if day else None


def _notebook_date(text: str) -> BenchmarkDate | None:
    """A date a notebook's cells state (``Last updated: 2024-01-09`` in a Markdown cell, a
    ``Date:`` a cell printed), anywhere in it: its metadata comes first, not its story."""
    match = _MD_LABEL.search(text)
    day = parse_timestamp(match.group(1)) if match else None
    return BenchmarkDate(day, "content", f"ipynb:{match.group(1)}") if day else None


def date_from_content(file_type: str, text: str) -> BenchmarkDate | None:
    """Find the date a file's content states about itself, by file type."""
    if "\x00" in text:
        return None
    reader = {"json": _json_date, "csv": _csv_date, "md": _markdown_date,
              "ipynb": _notebook_date}.get(file_type)
    return reader(text) if reader else None


def date_from_mtime(mtime: float) -> BenchmarkDate:
    """Fall back to the modification time (UTC day); the weakest source, and recorded so."""
    when = dt.datetime.fromtimestamp(mtime, tz=dt.UTC)
    return BenchmarkDate(when.date(), "mtime", when.isoformat(timespec="seconds"))


def resolve_date(rel_path: str, file_type: str, text: str | None, mtime: float) -> BenchmarkDate:
    """Apply the rules in order: path stamp, content date, mtime."""
    found = date_from_path(rel_path)
    if found is None and text is not None:
        found = date_from_content(file_type, text)
    return found or date_from_mtime(mtime)
