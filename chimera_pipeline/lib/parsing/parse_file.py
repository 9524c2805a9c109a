"""Parse one inventoried file into warehouse rows: read, verify its sha256, parse, clean.

The same steps whether the file is read whole or, for a CSV too big to hold, streamed in
chunks of rows (:mod:`.stream_csv`): only where the text comes from differs. A file that fails
to parse costs only itself: its error goes to ``artifact_files`` and the rest of the partition
still loads; a streamed file whose later chunk fails loses the rows of its earlier chunks
too (a file loads whole or not at all). Exact duplicates are not parsed again (their rows
would double every count); they point at the copy that was.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from chimera_pipeline.lib.common.text import decode_bytes, one_line
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.parsing import parsers
from chimera_pipeline.lib.parsing.item import FileStatus, ParseItem
from chimera_pipeline.lib.parsing.parsers.base import dict_rows
from chimera_pipeline.lib.parsing.reader import RootReader, TooLarge
from chimera_pipeline.lib.parsing.sanity import MAX_VALUES_PER_FILE, clean_typed_rows, summarise
from chimera_pipeline.lib.parsing.stream_csv import chunks

CHANGED = "file changed since the inventory; re-run"


class RowSink(Protocol):
    """Where a file's rows go, chunk by chunk; ``discard`` drops what one file added."""

    def add(self, out: parsers.ParseOutput) -> None: ...

    def discard(self) -> None: ...


@dataclass
class _Source:
    """The text of one file, as parse contexts, with what was odd about reading it."""

    contexts: Iterator[parsers.ParseContext]
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def max_parse_bytes() -> int:
    """Files larger than ``CHIMERA_MAX_PARSE_MB`` are catalogued but not parsed: a JSON or
    Markdown file is parsed whole, and memory must stay bounded whatever lands in the tree."""
    return int(load_settings().max_parse_mb * 2**20)


def _message(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, json.JSONDecodeError):
        text = f"invalid JSON: {text}"
    if isinstance(exc, RecursionError):
        text = "nested too deeply to parse safely"
    if not isinstance(exc, parsers.ParseError):
        text = f"{type(exc).__name__}: {text}"
    return one_line(text)


def _whole(reader: RootReader, item: ParseItem, limit: int) -> _Source:
    data = reader.read(item.path, limit)
    if hashlib.sha256(data).hexdigest() != item.sha256:
        return _Source(iter(()), error=CHANGED)
    decoded = decode_bytes(data)
    del data
    if not decoded.text.strip():
        what = "binary data" if decoded.encoding == "binary" else "empty file"
        return _Source(iter(()), error=one_line(decoded.note or f"{what}: nothing to parse"))
    if "\x00" in decoded.text:
        return _Source(iter(()), error=one_line(decoded.note))
    context = parsers.ParseContext(item.path, item.kind, item.type, item.partition, decoded.text)
    return _Source(iter([context]), [decoded.note] if decoded.note else [])


def _streamed(reader: RootReader, item: ParseItem) -> _Source:
    digest, path = reader.sha256(item.path)
    if digest != item.sha256:
        return _Source(iter(()), error=CHANGED)
    return _Source(chunks(Path(path), item.path, item.kind, item.partition),
                   ["streamed in chunks of rows"])


def parse_file(reader: RootReader, item: ParseItem, sink: RowSink, limit: int,
               stream: bool = False) -> FileStatus:
    """Parse one file into ``sink``; return what became of it.

    Any exception a parser raises costs only this file: it is caught broadly on purpose
    (hostile files reach csv.Error, OverflowError, MemoryError...) and stored as the
    file's error, while the partition's other files load.
    """
    if item.scan_error:
        return FileStatus(item.path, None, item.parse_status or "unreadable", item.scan_error)
    if item.duplicate_of:
        return FileStatus(item.path, None, "duplicate", f"exact copy of {item.duplicate_of}")
    name = parsers.parser_name(item.kind, item.type)
    try:
        source = _streamed(reader, item) if stream else _whole(reader, item, limit)
    except TooLarge as exc:
        return FileStatus(item.path, name, "error", str(exc))
    except (OSError, ValueError) as exc:
        return FileStatus(item.path, name, "unreadable", one_line(f"cannot read: {exc}"))
    if source.error:
        return FileStatus(item.path, name, "error", source.error)
    totals: Counter = Counter()
    warnings: list[str] = []
    typed = values = 0
    try:
        for context in source.contexts:
            out = parsers.parse(context)
            clean_typed_rows(out, out.counts)
            totals.update(out.counts)
            warnings += [w for w in out.warnings if w not in warnings]
            out.cap("metric_values", MAX_VALUES_PER_FILE - values)
            values += out.count("metric_values")
            typed += sum(len(rows) for table, rows in out.rows.items()
                         if table != "metric_values")
            sink.add(out)
    except Exception as exc:  # noqa: BLE001 - one file's failure must not stop the rest
        sink.discard()
        return FileStatus(item.path, name, "error", _message(exc))
    notes = source.notes + warnings + summarise(totals, totals["values"])
    warning = one_line("warning: " + "; ".join(notes)) if notes else None
    return FileStatus(item.path, name, "ok", warning, typed, values)


@dataclass
class ParsedRows:
    """Rows for every metric table plus one status per file (a :class:`RowSink`)."""

    tables: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    columns: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    statuses: list[FileStatus] = field(default_factory=list)

    def add(self, out: parsers.ParseOutput) -> None:
        for table, rows in out.rows.items():
            self.tables[table].extend(rows)
        for table, pieces in out.columns.items():
            self.columns[table].extend(pieces)

    def discard(self) -> None:
        """Whole files only: a failed parse never reached :meth:`add`."""

    def all_rows(self, table: str) -> list[dict]:
        """Every row of ``table`` as a dict (for tests and small inputs)."""
        return dict_rows(self.tables.get(table, []), self.columns.get(table, ()))


def parse_files(root: Path, items: list[ParseItem]) -> ParsedRows:
    """Parse every item read whole, in order; collect rows per table and a status per file."""
    result = ParsedRows()
    limit, reader = max_parse_bytes(), RootReader(root)
    for item in items:
        result.statuses.append(parse_file(reader, item, result, limit))
    return result
