"""CSV helpers shared by the typed parsers."""

from __future__ import annotations

import csv
import io

from chimera_pipeline.lib.parsing.numbers import normalise, parse_number
from chimera_pipeline.lib.parsing.parsers.base import ParseError
from chimera_pipeline.lib.parsing.sanity import MAX_SECONDS, MAX_TOKENS_PER_SECOND

csv.field_size_limit(1 << 26)

# a column that names its row (the ``entity`` of that row's values), first match wins
LABEL_COLUMNS = ("config_name", "model", "test name", "test_name", "kernel name", "prompt",
                 "prompt_text", "scenario", "backend", "name", "tag")


def delimiter_of(text: str) -> str:
    """The first of ``,`` ``;`` tab found in the header line (European locales write
    ``;``), else ``,``."""
    first_line = text.split("\n", 1)[0][:4096]
    return next((d for d in (",", ";", "\t") if d in first_line), ",")


def read_csv(text: str) -> tuple[list[str], list[list[str]]]:
    """Return the header and the data rows; a file with no header is an error.

    The delimiter is the first of ``,`` ``;`` tab found in the header line (European
    locales write ``;``). Lines may end in LF, CRLF or a bare CR.
    """
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text)))
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


INT64 = 2**63


def integer(row: dict, key: str) -> int | None:
    """A whole number, or None: also for one beyond the warehouse's BIGINT, which no count or
    option can honestly be (as a row it would fail the whole chunk's conversion to Arrow)."""
    value = parse_number(row.get(key))
    if value is None or not -INT64 <= value < INT64:
        return None
    return int(value)


def is_units_row(row: list[str]) -> bool:
    filled = [cell.strip() for cell in row if cell.strip()]
    return bool(filled) and all(parse_number(c) is None and len(c) <= 20 for c in filled)


def is_units_header(rows: list[list[str]]) -> bool:
    """A second header line of units (Nsight Compute writes one) under the column names."""
    return len(rows) > 1 and is_units_row(rows[0]) and not is_units_row(rows[1])


def column_plan(name: str, unit: str | None) -> tuple[str, str | None, float, float | None,
                                                        str | None]:
    """What every cell of one column shares: (metric, canonical unit, factor to it, upper
    plausibility limit or None, unit as written). Worked out once per column, not per cell:
    a CSV's cells are most of the values in a tree."""
    canonical, canonical_unit = normalise(1.0, unit)
    limit = {"s": MAX_SECONDS, "tok/s": MAX_TOKENS_PER_SECOND}.get(canonical_unit)
    return name, canonical_unit, canonical, limit, unit
