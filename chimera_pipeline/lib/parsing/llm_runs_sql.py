"""Type a big Ollama request CSV of the project into ``llm_runs`` rows in SQL (DuckDB).

:func:`chimera_pipeline.lib.parsing.parsers.llm_runs.parse_ollama_csv` makes a dict per
request; a CSV of millions of requests then costs minutes and a Python object per value.
Here DuckDB reads the CSV (every cell as text) and types it with the rules of the Python
reader, so the rows are the same, value for value:

* numbers through ``finite_number`` (``DUCKDB_MACROS``), the SQL twin of ``parse_number``;
* the failed-row rules of ``add_run`` (error text, impossible negatives, no throughput, a
  failed row's zeros NULL) and the plausibility limits of ``clean_typed_rows``;
* ``measurement_key`` through ``MEASUREMENT_KEY_MACROS``, which hash the same text as the
  Python function, so a JSON twin parsed by Python still counts once with its CSV;
* what only Python code says (the ``options`` JSON, ``quant_of``, the file name's model) is
  computed by that very code once per distinct value of :data:`CONTEXT_COLUMNS`: those
  repeat from request to request, and each batch maps its distinct values back to rows.

The rows go to Parquet a batch at a time; memory is one batch plus DuckDB's own, bounded
by ``CHIMERA_DUCKDB_MEMORY``. Row numbers count data rows in file order, blank rows skipped,
as the Python reader counts them, in the order DuckDB hands them over (the file's).
Like the benchmark tools' columnar path, such a file adds no ``metric_values`` rows: its
numbers are its ``llm_runs`` rows.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chimera_pipeline.lib.common.numbers import _PLAIN, DUCKDB_MACROS
from chimera_pipeline.lib.common.text import one_line
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.parsing.columnar import BATCH_ROWS, COLUMNAR_BYTES, stage_pinned
from chimera_pipeline.lib.parsing.item import FileStatus, ParseItem
from chimera_pipeline.lib.parsing.parsers.base import (
    MEASUREMENT_KEY_MACROS,
    measurement_key_sql,
)
from chimera_pipeline.lib.parsing.parsers.llm_runs import (
    CONTEXT_COLUMNS,
    MEASURED,
    SUITES,
    model_from_filename,
    parse_ollama_csv,
    run_context,
)
from chimera_pipeline.lib.parsing.parsers.tabular import delimiter_of
from chimera_pipeline.lib.parsing.sanity import MAX_SECONDS, MAX_TOKENS_PER_SECOND
from chimera_pipeline.lib.store.checks import NON_NEGATIVE
from chimera_pipeline.lib.store.schema import arrow_schema

KINDS = frozenset(SUITES)
NAME = f"llm_runs.{parse_ollama_csv.__name__}+duckdb"
NOTE = ("warning: typed in SQL by DuckDB; its requests are in llm_runs (no metric_values)")
# cells the typed rows read besides the context columns (lower-cased header names)
_CELLS = ("prompt_index", "prompt_text", "prompt", "timestamp", "ttft_s", "tokens_s", "load_s",
          "prompt_eval_s", "eval_s", "prompt_eval_count", "eval_count", "response_chars",
          "error")
_CONTEXT_TYPES = {"model": pa.string(), "quant": pa.string(), "config_name": pa.string(),
                  "num_gpu": pa.int64(), "num_ctx": pa.int64(), "temperature": pa.float64(),
                  "top_p": pa.float64(), "top_k": pa.int64(), "repeat_penalty": pa.float64(),
                  "options_json": pa.string()}
# the longest row read: DuckDB holds buffers of twice that (a 64 MiB cell, the Python
# reader's limit, would cost 1 GiB of buffers), so a longer row is an error of its file
_MAX_LINE = 1 << 24
_TYPING_CHUNK = 8192  # rows per Arrow chunk typed: DuckDB's threads split a batch by chunk
_CACHE_LIMIT = 100_000  # distinct contexts kept between batches (a sweep has a handful)
# shortcuts of the shared macros for the usual cell, same answers: ``stripped`` trims ~25
# characters and costs most of a cell's typing, yet a cell that already is a plain number,
# or starts with a printable ASCII character, has nothing to strip that changes the answer
CELL_MACROS = f"""
CREATE OR REPLACE TEMP MACRO cell_number(t) AS CASE
    WHEN regexp_full_match(t, '{_PLAIN.pattern[1:-1]}') THEN finite(TRY_CAST(t AS DOUBLE))
    ELSE finite_number(t) END;
CREATE OR REPLACE TEMP MACRO cell_blank(t) AS CASE
    WHEN ascii(t) BETWEEN 33 AND 126 THEN false ELSE coalesce(stripped(t), '') = '' END;
CREATE OR REPLACE TEMP MACRO cell_text(t) AS CASE
    WHEN coalesce(t, '') = '' THEN NULL ELSE nullif(stripped(t), '') END;
"""


class BrokenCsv(Exception):
    """The CSV has no header to read rows by."""


def wanted(item: ParseItem, size: int, threshold: int = COLUMNAR_BYTES) -> bool:
    """An Ollama request CSV of the project, big enough to be worth DuckDB's start."""
    return (not item.scan_error and not item.duplicate_of and item.type == "csv"
            and item.kind in KINDS and size >= threshold)


def stage_file(reader, item: ParseItem, out: Path) -> tuple[FileStatus, Path | None]:
    """Type one request CSV into ``out`` (Parquet, ``llm_runs``); its status, and the file."""
    return stage_pinned(reader, item, out, NAME, _stage)


def _header(path: str) -> tuple[list[str], str, int]:
    """(header cells, delimiter, lines before the header) as the Python reader sees them:
    the delimiter from the first line, the header the first row with a non-blank cell."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
        delimiter = delimiter_of(handle.read(65536))
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        before = 0
        for row in reader:
            if any(cell.strip() for cell in row):
                return row, delimiter, before
            before = reader.line_num
    raise BrokenCsv("empty CSV: no header row")


def _positions(header: list[str]) -> dict[str, int]:
    """Column index of each name, the last one for a name written twice (as a dict of the
    row's cells keeps it)."""
    return {name.strip().lower(): i for i, name in enumerate(header)}


def _read_sql(width: int, positions: dict[str, int], parallel: bool) -> str:
    """The file's data rows, blank ones left out, each cell wanted as text (NULL when the
    column is absent), and the row's context cells as one JSON array (the mapping key)."""
    def cell(name: str) -> str:
        return f"c{positions[name]}" if name in positions else "NULL::VARCHAR"

    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    cells = ", ".join(f"{cell(name)} AS cell_{name}" for name in _CELLS)
    context = ", ".join(f"coalesce({cell(name)}, '')" for name in CONTEXT_COLUMNS)
    blank = " AND ".join(f"cell_blank(c{i})" for i in range(width))
    return f"""
    SELECT {cells}, to_json([{context}]) AS context
    FROM read_csv($path, header = true, skip = $skip, delim = $delim, quote = '"',
                  escape = '"', columns = {{{columns}}}, null_padding = true,
                  strict_mode = false, parallel = {str(parallel).lower()}, auto_detect = false,
                  max_line_size = {_MAX_LINE}, buffer_size = {2 * _MAX_LINE})
    WHERE NOT ({blank})
    """


def _sane(column: str) -> str:
    """``clean_typed_rows`` in SQL: a negative or absurd duration or rate is NULL."""
    limit = MAX_SECONDS if column.endswith("_s") else MAX_TOKENS_PER_SECOND
    return f"CASE WHEN {column} < 0 OR {column} > {limit!r} THEN NULL ELSE {column} END"


def _typed_sql() -> str:
    """A batch's cells and mapped context (table ``batch``) as ``llm_runs`` rows, by the
    rules of ``add_run``; parameters: partition, source_file, suite."""
    checked = (*MEASURED, "prefill_tps")
    negatives = ", ".join(f"CASE WHEN {c} < 0 THEN '{c}' END" for c in checked)
    failed_zeros = ", ".join(f"CASE WHEN error IS NULL OR {c} > 0 THEN {c} END AS {c}"
                             for c in checked)
    key = measurement_key_sql([
        "key_s(model)", "key_s(config_name)", "key_s(prompt_id)", "key_s(prompt_text)",
        "key_s(started_at)", "key_s(error)",
        *(f"key_i({c})" if c.endswith("_tokens") else f"key_f({c})" for c in MEASURED)])
    sane = ", ".join(f"{_sane(c)} AS {c}" for c in NON_NEGATIVE["llm_runs"])
    integer = "CAST(trunc(cell_number({})) AS BIGINT)"
    return f"""
    WITH typed AS (
        SELECT source_row, {", ".join(_CONTEXT_TYPES)},
               nullif(cell_prompt_index, '') AS prompt_id,
               coalesce(nullif(cell_prompt_text, ''), nullif(cell_prompt, '')) AS prompt_text,
               nullif(cell_timestamp, '') AS started_at,
               cell_number(cell_ttft_s) AS ttft_s, cell_number(cell_tokens_s) AS decode_tps,
               cell_number(cell_load_s) AS load_s,
               cell_number(cell_prompt_eval_s) AS prompt_eval_s,
               cell_number(cell_eval_s) AS eval_s,
               {integer.format("cell_prompt_eval_count")} AS prompt_tokens,
               {integer.format("cell_eval_count")} AS output_tokens,
               {integer.format("cell_response_chars")} AS response_chars,
               NULL::DOUBLE AS e2e_tps, NULL::DOUBLE AS total_s,
               cell_text(cell_error) AS given_error
        FROM batch),
    rated AS (
        SELECT *, CASE WHEN prompt_tokens <> 0 AND prompt_eval_s > 0
                       THEN prompt_tokens / prompt_eval_s END AS prefill_tps
        FROM typed),
    judged AS (
        SELECT * EXCLUDE (given_error, negatives),
               coalesce(given_error,
                        'impossible negative value: ' || negatives,
                        CASE WHEN NOT coalesce(decode_tps > 0, false)
                             THEN 'no measurement: throughput empty or zero' END) AS error
        FROM (SELECT *, nullif(concat_ws(', ', {negatives}), '') AS negatives FROM rated)),
    kept AS (
        SELECT * REPLACE ({failed_zeros}), error IS NULL AS ok FROM judged)
    SELECT $partition AS partition, $source_file || '#' || source_row AS run_id,
           $source_file AS source_file, $suite AS suite,
           * EXCLUDE ({", ".join(NON_NEGATIVE["llm_runs"])}), {sane},
           {key} AS measurement_key
    FROM kept
    """


def _context_arrays(keys: pa.Array, model: str | None, cache: dict[str, tuple]
                    ) -> dict[str, pa.Array]:
    """The context columns of a batch's rows (``keys``: each row's context cells as a JSON
    array), worked out by :func:`run_context` once per distinct key."""
    encoded = pc.dictionary_encode(keys).combine_chunks() if isinstance(
        keys, pa.ChunkedArray) else pc.dictionary_encode(keys)
    if len(cache) > _CACHE_LIMIT:
        cache.clear()
    values = []
    for key in encoded.dictionary.to_pylist():
        if key not in cache:
            context = run_context(dict(zip(CONTEXT_COLUMNS, json.loads(key), strict=True)),
                                  model)
            cache[key] = tuple(context[name] for name in _CONTEXT_TYPES)
        values.append(cache[key])
    return {name: pa.array([v[i] for v in values], kind).take(encoded.indices)
            for i, (name, kind) in enumerate(_CONTEXT_TYPES.items())}


def _batches(con, path: str, item: ParseItem, parallel: bool) -> Iterator[pa.Table]:
    """The file's ``llm_runs`` rows, a batch at a time, in the warehouse schema."""
    header, delimiter, skip = _header(path)
    reader = con.sql(_read_sql(len(header), _positions(header), parallel),  # sql(): no copy
                     params={"path": path, "skip": skip, "delim": delimiter}
                     ).to_arrow_reader(BATCH_ROWS)
    typing, sql = con.cursor(), _typed_sql()
    typing.execute(DUCKDB_MACROS + CELL_MACROS + MEASUREMENT_KEY_MACROS)
    model, cache, first = model_from_filename(PurePosixPath(item.path).stem), {}, 1
    schema = arrow_schema("llm_runs")
    params = {"partition": item.partition, "source_file": item.path,
              "suite": SUITES[item.kind]}
    try:
        for batch in reader:
            rows = pa.Table.from_batches([batch])
            table = rows.drop_columns(["context"]).append_column(
                "source_row", pa.array(range(first, first + rows.num_rows), pa.int64()))
            first += rows.num_rows
            for name, column in _context_arrays(rows["context"], model, cache).items():
                table = table.append_column(name, column)
            # in chunks: DuckDB scans an Arrow table a chunk per thread, one chunk on one
            typing.register("batch", pa.Table.from_batches(
                table.to_batches(max_chunksize=_TYPING_CHUNK)))
            typed = typing.sql(sql, params=params).to_arrow_table()
            typing.unregister("batch")
            yield typed.select(schema.names).cast(schema)
    finally:
        typing.close()


def _serial_only(exc: Exception) -> bool:
    """DuckDB's parallel CSV scanner refuses quoted line breaks with short rows padded;
    its serial one reads them (and keeps more of the file in its buffers, hence second)."""
    return "parallel=false" in str(exc)


def _stage(path: str, item: ParseItem, out: Path, name: str) -> tuple[FileStatus, Path | None]:
    import duckdb

    try:
        try:
            written = _write(path, item, out, parallel=True)
        except duckdb.Error as exc:
            if not _serial_only(exc):
                raise
            written = _write(path, item, out, parallel=False)
    except (duckdb.Error, BrokenCsv, pa.ArrowException, OverflowError, ValueError) as exc:
        out.unlink(missing_ok=True)
        return FileStatus(item.path, name, "error", one_line(f"could not type it in SQL: {exc}")
                          ), None
    return FileStatus(item.path, name, "ok", NOTE, written, 0), out if written else None


def _write(path: str, item: ParseItem, out: Path, parallel: bool) -> int:
    """Write the file's rows to ``out``, a batch at a time; how many. The CSV scanner,
    parallel or not, hands rows over in file order (DuckDB preserves insertion order), and
    row numbers are counted in that order."""
    import duckdb

    con, writer, written = duckdb.connect(), None, 0
    try:
        con.execute(f"SET memory_limit = '{load_settings().duckdb_memory}'")
        con.execute(DUCKDB_MACROS + CELL_MACROS)
        for table in _batches(con, path, item, parallel):
            if writer is None:
                out.parent.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(out, table.schema)
            writer.write_table(table)
            written += table.num_rows
    finally:
        if writer is not None:
            writer.close()
        con.close()
    return written
