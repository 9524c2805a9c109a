"""CSV helpers shared by the typed parsers."""

from __future__ import annotations

import csv
import io

from chimera_pipeline.lib.parsing.numbers import parse_number
from chimera_pipeline.lib.parsing.parsers.base import ParseError

csv.field_size_limit(1 << 26)


def read_csv(text: str) -> tuple[list[str], list[list[str]]]:
    """Return the header and the data rows; a file with no header is an error.

    The delimiter is the first of ``,`` ``;`` tab found in the header line (European
    locales write ``;``). Lines may end in LF, CRLF or a bare CR.
    """
    first_line = text.split("\n", 1)[0][:4096]
    delimiter = next((d for d in (",", ";", "\t") if d in first_line), ",")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ParseError(f"malformed CSV: {exc}") from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ParseError("empty CSV: no header row")
    return [h.strip() for h in rows[0]], rows[1:]


def records(text: str) -> list[dict[str, str]]:
    """CSV rows as dicts keyed by lower-cased header; ragged rows are padded or cut."""
    header, rows = read_csv(text)
    keys = [h.lower() for h in header]
    return [dict(zip(keys, row + [""] * (len(keys) - len(row)), strict=False)) for row in rows]


def num(row: dict, key: str) -> float | None:
    return parse_number(row.get(key))


def integer(row: dict, key: str) -> int | None:
    value = parse_number(row.get(key))
    return int(value) if value is not None else None
