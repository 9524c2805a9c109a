"""The parser version a file's rows were read with: what lets a run keep them.

A file whose path, content (sha256), day and parser version are what they were when its rows
were written gives the same rows again, so ``benchmark_metrics`` keeps them instead of
parsing it (:func:`reusable`). The version is a digest of the code that turns bytes into
rows (the readers, the parsing and cleaning, the warehouse contract) and of the settings
that change what a parse gives (how big a file is parsed, which files DuckDB reads and with
how much memory), not a
number someone must remember to bump: any edit to a reader makes every file be read again.
"""

from __future__ import annotations

import functools

import pyarrow as pa
import pyarrow.compute as pc

from chimera_pipeline.lib.common.code import code_digest

# what a file's rows depend on, besides the file itself
_SOURCES = ("formats", "parsing", "common", "store/schema.py", "store/checks.py",
            "store/warehouse.py", "inventory/kinds.py")
# a transient failure is tried again, never kept: the file may read fine next time
_RETRIED = ("unreadable", "busy", "pending")
# errors that say the machine, not the file, failed (``parse_file`` prefixes an exception's
# class; DuckDB names its I/O and memory errors)
_TRANSIENT = (r"^(OSError|PermissionError|FileNotFoundError|IsADirectoryError|TimeoutError|"
              r"InterruptedError|BlockingIOError|MemoryError)\b|Out of Memory|IO Error|"
              r"cannot read")


@functools.cache
def parser_version() -> str:
    """Digest of the parsing code and the parse settings of this process."""
    import duckdb

    from chimera_pipeline.lib.config import load_settings
    from chimera_pipeline.lib.parsing.columnar import COLUMNAR_BYTES

    # the readers' libraries and the interpreter shape rows too (DuckDB's CSV sniffing, its
    # text of a double in a measurement key)
    digest = code_digest(_SOURCES, (duckdb.__version__, pa.__version__))
    settings = load_settings()
    # DuckDB's memory limit decides whether a big file reads or fails for want of memory
    digest.update(repr((settings.max_parse_mb, settings.stream_csv_mb, settings.duckdb_memory,
                        COLUMNAR_BYTES)).encode())
    return digest.hexdigest()[:16]


def reusable(inventory: pa.Table, version: str) -> pa.ChunkedArray:
    """Which inventory rows (``read_inventory``) still hold the rows they were parsed into:
    parsed by this parser version, and not a failure worth another try. The inventory keeps
    a file's parse state only while its path, day, sha256, kind and duplicate link stay the
    same (``write_inventory``), so a kept state is one a parse now would give again."""
    from chimera_pipeline.lib.parsing.parse_file import CHANGED

    parsed = pc.fill_null(pc.equal(inventory["parsed_with"], version), False)
    settled = pc.invert(pc.fill_null(pc.is_in(inventory["parse_status"],
                                              pa.array(_RETRIED, pa.string())), True))
    current = pc.invert(pc.fill_null(pc.equal(inventory["parse_error"], CHANGED), False))
    lasting = pc.invert(pc.fill_null(pc.and_(
        pc.equal(inventory["parse_status"], "error"),
        pc.match_substring_regex(inventory["parse_error"], _TRANSIENT)), False))
    return pc.and_(pc.and_(parsed, settled), pc.and_(current, lasting))
