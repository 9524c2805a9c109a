"""What every parser receives and returns.

A parser gets one decoded file and returns rows for warehouse tables. It never touches
the warehouse: the caller writes a partition's rows in one transaction, so a parser that
raises loses only its own file (recorded with the error) and never half a partition.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath

import pyarrow as pa

from chimera_pipeline.lib.formats.text import json_start
from chimera_pipeline.lib.parsing.parsers.errors import ParseError
from chimera_pipeline.lib.parsing.parsers.jsonload import load_json

__all__ = ["ParseContext", "ParseError", "ParseOutput", "measurement_key"]


@dataclass(frozen=True)
class ParseContext:
    """One file to parse: its path, recognised kind, partition and decoded text."""

    path: str
    kind: str
    file_type: str
    partition: str
    text: str
    json_duplicates: list[str] = field(default_factory=list, compare=False)
    first_row: int = 1  # a later chunk of a streamed CSV numbers its rows from here
    csv_units: tuple[str, ...] = ()  # the units row seen in a streamed CSV's first chunk
    skipped_lines: list[int] = field(default_factory=list, compare=False)

    @property
    def stem(self) -> str:
        return PurePosixPath(self.path).stem

    @cached_property
    def json(self) -> object:
        """The file parsed as JSON, once for the typed parser and the value extractor. Lines
        a tool printed before its JSON (llama-bench's device lines on the same stream) are
        skipped and counted in ``skipped_lines``."""
        try:
            return load_json(self.text, self.json_duplicates)
        except ParseError:
            start = json_start(self.text)
            if start is None:
                raise
        self.skipped_lines.append(self.text[:start].count("\n"))
        return load_json(self.text[start:], self.json_duplicates)


@dataclass
class ParseOutput:
    """Rows per warehouse table produced from one file: as dicts (``rows``) or, where an
    extractor works on columns, as Arrow tables in the table's schema (``columns``)."""

    rows: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    columns: dict[str, list[pa.Table]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # skipped values by reason, for warnings

    def add(self, table: str, ctx: ParseContext, **values: object) -> None:
        self.rows[table].append({"partition": ctx.partition, "source_file": ctx.path, **values})

    def all_rows(self, table: str) -> list[dict]:
        """Every row of ``table`` as a dict, whichever way it was produced (for tests and
        small files; the pipeline stages the columns as they are)."""
        return dict_rows(self.rows.get(table, []), self.columns.get(table, ()))

    def count(self, table: str) -> int:
        return len(self.rows.get(table, ())) + sum(t.num_rows for t in self.columns.get(
            table, ()))

    def cap(self, table: str, limit: int) -> None:
        """Keep the first ``limit`` rows of ``table`` (dict rows first, then columns)."""
        self.rows[table] = self.rows.get(table, [])[:max(0, limit)]
        left, kept = max(0, limit - len(self.rows[table])), []
        for piece in self.columns.get(table, ()):
            kept.append(piece.slice(0, left))
            left -= kept[-1].num_rows
        if table in self.columns:
            self.columns[table] = kept


def dict_rows(rows: list[dict], pieces: object) -> list[dict]:
    """Dict rows followed by the rows of Arrow ``pieces``, as dicts."""
    return rows + [row for piece in pieces for row in piece.to_pylist()]


def _key_part(value: object) -> str:
    """One value of :func:`measurement_key` as text: typed (``i805`` is not ``f805``),
    floats as ``repr`` writes them (the shortest text that reads back as the same double,
    which DuckDB's cast to VARCHAR writes alike), strings prefixed with their UTF-8 length
    so that no separator inside one can fake another split."""
    if value is None:
        return "n"
    if isinstance(value, bool):
        return f"b{int(value)}"
    if isinstance(value, int):
        return f"i{value}"
    if isinstance(value, float):
        return f"f{value!r}"
    if isinstance(value, str):
        return f"s{len(value.encode('utf-8', 'surrogatepass'))}:{value}"
    return f"r{value!r}"


def measurement_key(*values: object) -> str:
    """Stable hash of measured values: the same request written to two files hashes equal.

    The text hashed is one that SQL can build too (:func:`measurement_key_sql`): a big CSV is
    typed in DuckDB (:mod:`chimera_pipeline.lib.parsing.llm_runs_sql`) while its JSON twin
    goes through Python, and the day's statistics count the two rows once by this key."""
    text = "|".join(_key_part(value) for value in values)
    return hashlib.md5(text.encode("utf-8", "surrogatepass"),  # a key, not a secret
                       usedforsecurity=False).hexdigest()[:16]


# the same key in DuckDB SQL (macros): key_s/key_f/key_i build a VARCHAR, DOUBLE or BIGINT
# value's part as _key_part does (a test holds DuckDB's DOUBLE text to Python's repr)
MEASUREMENT_KEY_MACROS = """
CREATE OR REPLACE TEMP MACRO key_s(x) AS coalesce('s' || strlen(x) || ':' || x, 'n');
CREATE OR REPLACE TEMP MACRO key_f(x) AS coalesce('f' || CAST(x AS DOUBLE)::VARCHAR, 'n');
CREATE OR REPLACE TEMP MACRO key_i(x) AS coalesce('i' || CAST(x AS VARCHAR), 'n');
"""


def measurement_key_sql(parts: list[str]) -> str:
    """SQL of :func:`measurement_key` over ``parts``, each an expression made with the
    ``MEASUREMENT_KEY_MACROS`` (``key_f(ttft_s)``) or ``'n'`` for a value always None."""
    return f"left(md5(concat_ws('|', {', '.join(parts)})), 16)"
