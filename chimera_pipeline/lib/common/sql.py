"""SQL text built from data: every value goes through :func:`sql_literal`.

Most queries bind their values as parameters. A fact's provenance cannot: it is a query a
reader copies and runs (``chimera query "<provenance>"``), so the values it filters by are
written into its text. A model, suite or path may hold any character (a quote, ``--``, a
semicolon, a backslash), so each is written as a literal whose quotes are doubled; nothing
else in a DuckDB string literal is special (a backslash escapes only in ``E'...'``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable


def sql_literal(value: object) -> str:
    """``value`` as a DuckDB literal: NULL, TRUE/FALSE, a number, or a quoted string."""
    if type(value) is str:  # most calls: a block's facts quote the same days and models
        return _quoted(value)
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same double
        return repr(value) if math.isfinite(value) else f"'{value}'::DOUBLE"
    return _quoted(str(value))


@functools.lru_cache(maxsize=4096)  # a block's days, models and suites
def _quoted(text: str) -> str:
    quoted = "'" + text.replace("'", "''") + "'"
    # a NUL cannot pass through a command line (``chimera query``): written as chr(0)
    if "\x00" in text:
        return "(" + quoted.replace("\x00", "' || chr(0) || '") + ")"
    return quoted


def equals(column: str, value: object) -> str:
    """A filter ``column`` equals ``value``; a None is ``IS NULL`` (``= NULL`` is never true,
    and a fact of the rows without a model is still a fact of some rows)."""
    return f"{column} IS NULL" if value is None else f"{column} = {sql_literal(value)}"


def in_list(column: str, values: Iterable[object]) -> str:
    """A filter ``column IN (...)`` of literals."""
    return f"{column} IN ({', '.join(sql_literal(v) for v in values)})"


def all_of(*conditions: str) -> str:
    """The conditions joined by AND (empty ones left out); TRUE when there are none."""
    kept = [c for c in conditions if c]
    return " AND ".join(kept) if kept else "TRUE"
