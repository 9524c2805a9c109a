"""A CSV's numeric cells into ``metric_values`` as Arrow columns, without a Python object per
cell: pyarrow's C++ reader splits the file, RE2 patterns and a cast read the numbers, one
column at a time.

It gives exactly the rows, units, counts and warnings of :func:`.values.csv_values_python`
(the hand-written path, which stays for what this one declines: ragged rows, a header that
is not the first line) -- ``test_arrow_values`` compares both on the real, tools, sample
and torture corpora. Its fixed cost (the reader, a dozen kernel calls) is a few
milliseconds, more than Python needs for a small table, so :func:`.values.csv_values` sends
it only files of ``ARROW_MIN_BYTES`` and more, and every chunk of a streamed CSV.
Exactness rests on three facts about ``parse_number``:

- on ASCII text it accepts exactly ``_PLAIN`` and ``_GROUPED`` (after ``str.strip``), and
  ``float`` and Arrow's cast round the same digits to the same double;
- its ``strip`` removes Python's whitespace, which among ASCII is ``\\t\\n\\v\\f\\r``, the
  four separators ``\\x1c``-``\\x1f`` and space;
- a cell with any non-ASCII character (a Unicode digit or space ``float`` would accept) is
  rare, so such cells alone are handed to ``parse_number`` itself.
"""

from __future__ import annotations

import csv
import io
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from chimera_pipeline.lib.parsing.numbers import is_non_finite, parse_number, unit_from_name
from chimera_pipeline.lib.parsing.parsers.base import ParseContext, ParseOutput
from chimera_pipeline.lib.parsing.parsers.tabular import (
    LABEL_COLUMNS,
    column_plan,
    delimiter_of,
    is_units_header,
)
from chimera_pipeline.lib.parsing.sanity import MAX_VALUES_PER_FILE
from chimera_pipeline.lib.store.schema import arrow_schema

_WS = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"  # Python's str.strip() whitespace, ASCII part
_TRIM = rf"^{_WS}+|{_WS}+$"
_PLAIN = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_GROUPED = r"^[+-]?[0-9]{1,3}(?:,[0-9]{2,3})+(?:\.[0-9]+)?$"
_NON_ASCII = r"[^\x00-\x7f]"
_SCHEMA = arrow_schema("metric_values")
# pyarrow's CSV reader keeps a builder per column whose transient memory grows with the
# column count, not the data: a 1 MB file of 100,000 columns peaks at several hundred MB.
# Wider tables take the Python path, whose memory follows the cells.
MAX_COLUMNS = 2_000


def _same(value: object, n: int, type_: pa.DataType | None = None) -> pa.Array:
    """One value ``n`` times, as an Arrow array (no Python list); strings by default."""
    return pa.repeat(pa.scalar(value, type_ or pa.string()), n)


def _header(text: str, delimiter: str) -> list[str] | None:
    """The first line's cells, if the first line is the header the Python path would take
    (no blank rows before it) and holds no quoted line break."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        first = next(reader)
    except (StopIteration, csv.Error):
        return None
    if not any(cell.strip() for cell in first) or reader.line_num != 1:
        return None
    return first


def _read(text: str, delimiter: str, width: int) -> pa.Table | None:
    names = [f"c{i}" for i in range(width)]
    try:
        return pa_csv.read_csv(
            io.BytesIO(text.encode("utf-8", "surrogatepass")),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=False,
                                            block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                              ignore_empty_lines=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False, null_values=[]))
    except (pa.ArrowInvalid, UnicodeError):  # ragged rows and the like: the Python path
        return None


def _trimmed(cells: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(cells, _TRIM, "")


def _blank(cells: pa.Array) -> pa.Array:
    """A cell ``str.strip`` empties (non-ASCII cells are asked of Python itself)."""
    exotic = pc.match_substring_regex(cells, _NON_ASCII)
    blank = pc.equal(_trimmed(cells), "")
    if not pc.any(exotic).as_py():
        return blank
    python = pa.array([not c.strip() if e else False for c, e in zip(
        cells.to_pylist(), exotic.to_pylist(), strict=True)])
    return pc.or_(blank, python)


def _numbers(cells: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(value or null as parse_number gives it, cells that are non-finite numbers)."""
    text = _trimmed(cells)
    plain = pc.match_substring_regex(text, _PLAIN)
    grouped = pc.match_substring_regex(text, _GROUPED)
    numeric = pc.or_(plain, grouped)
    digits = pc.if_else(numeric, pc.replace_substring(text, ",", ""), None)
    values = pc.cast(digits, pa.float64())
    finite = pc.is_finite(values)
    non_finite = pc.and_(plain, pc.invert(finite))
    values = pc.if_else(finite, values, None)
    exotic = pc.match_substring_regex(cells, _NON_ASCII)
    if pc.any(exotic).as_py():  # Unicode digits and spaces: Python's own rules
        raw = cells.to_pylist()
        flags = exotic.to_pylist()
        values = pa.array([parse_number(c) if e else v for c, e, v in zip(
            raw, flags, values.to_pylist(), strict=True)], pa.float64())
        non_finite = pa.array([(parse_number(c) is None and is_non_finite(c)) if e else n
                               for c, e, n in zip(raw, flags, non_finite.to_pylist(),
                                                  strict=True)])
    return values, non_finite


def csv_values(ctx: ParseContext, out: ParseOutput) -> bool:
    """Add the file's numeric cells to ``out`` as Arrow; False (nothing added) when the file
    needs the Python path. Units, limits, labels and the units row come from the helpers
    both paths share (:mod:`.tabular`).

    The table is unpivoted first (every cell of every column in one array, with its row and
    column numbers): each step below is then one kernel call for the whole file, however
    many columns it has.
    """
    delimiter = delimiter_of(ctx.text)
    header = _header(ctx.text, delimiter)
    if header is None or len(header) > MAX_COLUMNS:
        return False
    table = _read(ctx.text, delimiter, len(header))
    if table is None or table.num_rows == 0:
        return False
    table = table.slice(1)  # the header line
    width = len(header)
    if table.num_rows:  # rows whose every cell is blank are no rows (as csv_values_python)
        blank = _blank(_unpivot(table)).to_numpy(zero_copy_only=False)
        table = table.filter(pa.array(~blank.reshape(width, table.num_rows).all(axis=0)))
    if table.num_rows == 0 and ctx.first_row == 1:
        out.warnings.append("no data rows (header only)")
    header = [h.strip() for h in header]
    units: list[str] = list(ctx.csv_units)  # a streamed chunk's, seen in the first chunk
    first = ctx.first_row - (1 if units else 0)
    head = table.slice(0, 2).to_pylist()
    if ctx.first_row == 1 and is_units_header(
            [[row[f"c{c}"] for c in range(width)] for row in head]):
        units, table = [c.strip() for c in head[0].values()], table.slice(1)
    lowered = [h.lower() for h in header]
    label = next((lowered.index(c) for c in LABEL_COLUMNS if c in lowered), None)
    plan = [column_plan(name, (units[c] if c < len(units) and units[c] else None)
                  or unit_from_name(name)) for c, name in enumerate(header)]
    stored = out.counts["values"]
    found = _extract(table, plan, label, out.counts, first)
    if found is None:
        return True
    found = found.slice(0, max(0, MAX_VALUES_PER_FILE - stored))
    n = found.num_rows
    result = pa.table({
        "partition": _same(ctx.partition, n), "source_file": _same(ctx.path, n),
        **{name: found.column(name) for name in ("locator", "metric", "entity", "value",
                                                 "unit", "raw_value", "raw_unit")},
    }).cast(_SCHEMA)
    out.columns.setdefault("metric_values", []).append(result)
    return True


def _unpivot(table: pa.Table) -> pa.Array:
    """Every cell, column after column."""
    return pa.concat_arrays([column.combine_chunks() for column in table.columns])


def _extract(table: pa.Table, plan: list[tuple], label: int | None, counts: Counter,
             first: int = 1) -> pa.Table | None:
    """The numeric cells of ``table`` (rows numbered from ``first``) as metric_values
    columns in row-major order, with their counts by reason in ``counts``; None when there
    are none."""
    rows, width = table.num_rows, table.num_columns
    if rows == 0:
        return None
    cells = _unpivot(table)
    column = np.repeat(np.arange(width, dtype=np.int32), rows)
    row = np.tile(np.arange(first, first + rows, dtype=np.int64), width)
    values, non_finite = _numbers(cells)
    counts["not_finite"] += int(pc.sum(non_finite).as_py() or 0)
    factor = np.array([p[2] for p in plan], dtype=np.float64)[column]
    values = pc.multiply(values, pa.array(factor))
    valid = pc.is_valid(values).to_numpy(zero_copy_only=False)
    limit = np.array([np.nan if p[3] is None else p[3] for p in plan])[column]
    number = pc.fill_null(values, 0.0).to_numpy(zero_copy_only=False)
    checked = valid & ~np.isnan(limit)
    negative, absurd = checked & (number < 0), checked & (number > limit)
    counts["negative"] += int(negative.sum())
    counts["absurd"] += int(absurd.sum())
    keep = valid & ~negative & ~absurd
    total = int(keep.sum())
    counts["values"] += total
    if not total:
        return None
    # row-major, as the Python path emits them (the per-file cap keeps the first ones)
    order = np.lexsort((column[keep], row[keep]))
    picked = np.flatnonzero(keep)[order]
    at = pa.array(picked)
    cols = pa.array(column[picked])
    metric = pc.take(pa.array([p[0] for p in plan], pa.string()), cols)
    entity = (pc.take(table.column(label).combine_chunks(), pa.array(row[picked] - first))
              if label is not None else pa.nulls(total, pa.string()))
    return pa.table({
        "locator": pc.binary_join_element_wise(
            "row", pc.cast(pa.array(row[picked]), pa.string()), ".", metric, ""),
        "metric": metric, "entity": entity, "value": pc.take(values, at),
        "unit": pc.take(pa.array([p[1] for p in plan], pa.string()), cols),
        "raw_value": pc.take(cells, at),
        "raw_unit": pc.take(pa.array([p[4] for p in plan], pa.string()), cols),
    })
