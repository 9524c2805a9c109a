"""Parse a very large CSV in chunks of rows, so a 1 GB artifact needs bounded memory.

Small files are read whole (simple, and the typed parsers see the whole text). A CSV over
``CHIMERA_STREAM_CSV_MB`` is read row by row instead; every ``ROWS_PER_CHUNK`` rows become
a small CSV text (header included) parsed by the same parsers, with ``first_row`` carrying
the row numbering and ``csv_units`` the units row, so the rows are the same as a whole-file
parse would give. The caller writes each chunk's rows out before the next is read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.parsing.parsers.base import ParseContext
from chimera_pipeline.lib.parsing.parsers.tabular import delimiter_of, is_units_header

ROWS_PER_CHUNK = 5_000


def stream_threshold() -> int:
    return int(load_settings().stream_csv_mb * 2**20)


def _text(header: list[str], rows: list[list[str]], delimiter: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def chunks(path: Path, rel: str, kind: str, partition: str,
           rows_per_chunk: int = ROWS_PER_CHUNK) -> Iterator[ParseContext]:
    """Parse contexts for consecutive blocks of the CSV's rows."""
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        delimiter = delimiter_of(handle.readline(4096))
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return
        block: list[list[str]] = []
        first_row, units = 1, ()
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            block.append(row)
            if len(block) >= rows_per_chunk:
                if first_row == 1 and is_units_header(block):
                    units = tuple(c.strip() for c in block[0])
                yield ParseContext(rel, kind, "csv", partition, _text(header, block, delimiter),
                                   first_row=first_row, csv_units=units if first_row > 1 else ())
                first_row += len(block)
                block = []
        if block or first_row == 1:
            yield ParseContext(rel, kind, "csv", partition, _text(header, block, delimiter),
                               first_row=first_row, csv_units=units if first_row > 1 else ())
