"""Parse a partition's inventoried files into warehouse rows, one file at a time.

A file that fails to parse costs only itself: its error goes to ``artifact_files`` and the
rest of the partition still loads. Exact duplicates are not parsed again (their rows
would double every count); they point at the copy that was.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from chimera_pipeline.lib import parsers
from chimera_pipeline.lib.parsers.sanity import (
    MAX_VALUES_PER_FILE,
    clean_typed_rows,
    summarise,
)
from chimera_pipeline.lib.text import decode_bytes


@dataclass(slots=True)
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


MAX_PARSE_BYTES_DEFAULT = 256 * 1024 * 1024


def max_parse_bytes() -> int:
    """Files larger than ``CHIMERA_MAX_PARSE_MB`` are catalogued but not parsed: a JSON or
    Markdown file is parsed whole, and memory must stay bounded whatever lands in the tree."""
    from chimera_pipeline.lib.settings import env_number

    return int(env_number("CHIMERA_MAX_PARSE_MB", MAX_PARSE_BYTES_DEFAULT / 2**20) * 2**20)


class RootReader:
    """Reads files of the artifact tree, refusing any that a link now leads out of it.

    The walk never follows folder links, but a file may be a link, or a folder may have been
    swapped for one since. Resolving every path from the root costs one ``lstat`` per path
    component per file (a tenth of the parse time at 10k files), so each folder is resolved
    once and only the file itself is checked; ``O_NOFOLLOW`` closes the gap between check
    and open (and ``O_NONBLOCK`` a FIFO put in its place).
    """

    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)
        self._folders: dict[str, str] = {}

    def real_path(self, rel: str) -> str:
        folder, name = os.path.split(os.path.join(self.root, rel))
        real = self._folders.get(folder)
        if real is None:
            real = self._folders[folder] = os.path.realpath(folder)
        path = os.path.join(real, name)
        if os.path.islink(path):
            path = os.path.realpath(path)
        if not path.startswith(self.root + os.sep):
            raise ValueError(f"{rel} leads outside the artifact root")
        return path

    def read(self, rel: str, limit: int) -> bytes:
        fd = os.open(self.real_path(rel), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise OSError(f"{rel} is no longer a regular file")
            if info.st_size > limit:
                raise _TooLarge(f"too large to parse: {info.st_size / 2**20:.0f} MB > "
                                f"CHIMERA_MAX_PARSE_MB={limit / 2**20:.0f}; catalogued only")
            return handle.read()


class _TooLarge(Exception):
    pass


def _message(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, json.JSONDecodeError):
        text = f"invalid JSON: {text}"
    if isinstance(exc, RecursionError):
        text = "nested too deeply to parse safely"
    if not isinstance(exc, parsers.ParseError):
        text = f"{type(exc).__name__}: {text}"
    return one_line(text)


def one_line(text: str, limit: int = 500) -> str:
    """Errors are stored and shown as one printable line, whatever bytes caused them."""
    clean = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(clean.split())[:limit]


def parse_one(root: Path | RootReader, item: dict, limit: int | None = None
              ) -> tuple[FileStatus, parsers.ParseOutput | None]:
    """Parse one inventoried file (a dict with path, kind, type, partition, sha256...).

    Any exception a parser raises costs only this file: it is caught broadly on purpose
    (hostile files reach csv.Error, OverflowError, MemoryError...) and stored as the
    file's error, while the partition's other files load.
    """
    rel, kind, file_type = item["path"], item["kind"], item["type"]
    if item.get("scan_error"):
        return FileStatus(rel, None, item.get("parse_status") or "unreadable",
                          item["scan_error"]), None
    if item.get("duplicate_of"):
        return FileStatus(rel, None, "duplicate", f"exact copy of {item['duplicate_of']}"), None
    name = parsers.parser_name(kind, file_type)
    reader = root if isinstance(root, RootReader) else RootReader(root)
    try:
        data = reader.read(rel, limit or max_parse_bytes())
    except _TooLarge as exc:
        return FileStatus(rel, name, "error", str(exc)), None
    except (OSError, ValueError) as exc:
        return FileStatus(rel, name, "unreadable", one_line(f"cannot read: {exc}")), None
    if hashlib.sha256(data).hexdigest() != item["sha256"]:
        return FileStatus(rel, name, "error", "file changed since the inventory; re-run"), None
    decoded = decode_bytes(data)
    del data
    if not decoded.text.strip():
        what = "binary data" if decoded.encoding == "binary" else "empty file"
        return FileStatus(rel, name, "error", one_line(decoded.note or f"{what}: nothing to "
                                                       "parse")), None
    if "\x00" in decoded.text:
        return FileStatus(rel, name, "error", one_line(decoded.note)), None
    ctx = parsers.ParseContext(rel, kind, file_type, item["partition"], decoded.text)
    try:
        out = parsers.parse(ctx)
    except Exception as exc:  # noqa: BLE001 - one file's failure must not stop the rest
        return FileStatus(rel, name, "error", _message(exc)), None
    clean_typed_rows(out, out.counts)
    notes = ([decoded.note] if decoded.note else []) + out.warnings
    notes += summarise(out.counts, out.counts["values"])
    typed = sum(len(rows) for table, rows in out.rows.items() if table != "metric_values")
    warning = one_line("warning: " + "; ".join(notes)) if notes else None
    return FileStatus(rel, name, "ok", warning, typed, out.count("metric_values")), out


def ingest(root: Path, inventory: list[dict]) -> IngestResult:
    """Parse every inventoried file; collect rows per table and a status per file."""
    result = IngestResult()
    limit, reader = max_parse_bytes(), RootReader(root)
    for item in inventory:
        status, out = parse_one(reader, item, limit)
        result.statuses.append(status)
        if out is not None:
            for table, rows in out.rows.items():
                result.tables[table].extend(rows)
    return result



def _is_big_csv(root: Path, item: dict, threshold: int) -> bool:
    if item["type"] != "csv" or item.get("scan_error") or item.get("duplicate_of"):
        return False
    try:
        return (root / item["path"]).stat().st_size > threshold
    except OSError:
        return False


def _stream_one(root: Path, item: dict, folder: Path, check) -> tuple[FileStatus, dict]:
    """Parse one big CSV chunk by chunk, staging each chunk's rows before reading on.

    Returns the file's status and {table: [parquet files]}; on an error midway the staged
    chunks are dropped, so a file loads whole or not at all, as a small one does."""
    import shutil

    import pyarrow.parquet as pq

    from chimera_pipeline.lib.stream_csv import chunks
    from chimera_pipeline.lib.warehouse import to_arrow

    rel, name = item["path"], parsers.parser_name(item["kind"], "csv")
    path = (root / rel).resolve(strict=True)
    path.relative_to(root.resolve())
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    if digest.hexdigest() != item["sha256"]:
        return FileStatus(rel, name, "error", "file changed since the inventory; re-run"), {}
    folder.mkdir(parents=True)
    staged: dict[str, list[Path]] = defaultdict(list)
    totals: Counter = Counter()
    warnings: list[str] = []
    typed = values = 0
    try:
        for n, ctx in enumerate(chunks(path, rel, item["kind"], item["partition"])):
            out = parsers.parse(ctx)
            clean_typed_rows(out, out.counts)
            totals.update(out.counts)
            warnings += [w for w in out.warnings if w not in warnings]
            keep = max(0, MAX_VALUES_PER_FILE - values)
            out.rows["metric_values"] = out.rows.get("metric_values", [])[:keep]
            for table, rows in out.rows.items():
                if rows:
                    arrow = to_arrow(table, rows)
                    if check is not None:
                        check(table, arrow)
                    staged[table].append(folder / f"{table}_{n:06d}.parquet")
                    pq.write_table(arrow, staged[table][-1])
            values += out.count("metric_values")
            typed += sum(len(r) for t, r in out.rows.items() if t != "metric_values")
    except Exception as exc:  # noqa: BLE001 - as in parse_one: this file only
        shutil.rmtree(folder, ignore_errors=True)
        return FileStatus(rel, name, "error", _message(exc)), {}
    notes = ["streamed in chunks of rows"] + warnings + summarise(totals, totals["values"])
    return FileStatus(rel, name, "ok", one_line("warning: " + "; ".join(notes)), typed,
                      values), staged
