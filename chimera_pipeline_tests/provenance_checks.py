"""Running facts' provenance: each must be a query that returns exactly the fact's value.

Shared by the unit test that attacks the provenance with hostile names and the corpus tests
that run every stored fact's provenance on a real warehouse, read-only and with external
access off, as ``chimera query`` runs a user's SQL.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from chimera_pipeline.lib.store.warehouse import connect_read_only, fetch_dicts

# a fact keeps 12 significant digits, and DuckDB's parallel sums vary in the last bits of a
# double: relative 1e-9, and absolute 1e-9 for a change between two equal means (its value
# is floating-point noise around zero, 1e-14 one way or the other)
REL_TOL = ABS_TOL = 1e-9


def provenance_error(con: duckdb.DuckDBPyConnection, fact: Mapping) -> str | None:
    """None when ``fact``'s provenance returns one row whose first column is its value
    (``text_value`` for a label), else what went wrong. ``fact`` is a ``facts`` row."""
    where = f"{fact['partition']} {fact['fact_key']}: {fact['provenance']}"
    try:
        rows = con.execute(fact["provenance"]).fetchall()
    except duckdb.Error as exc:
        return f"{where}\n  fails: {' '.join(str(exc).split())[:300]}"
    if len(rows) != 1:
        return f"{where}\n  returns {len(rows)} rows"
    got = rows[0][0]
    if fact["value"] is None:
        return None if got == fact["text_value"] else (
            f"{where}\n  returns {got!r}, the fact's text is {fact['text_value']!r}")
    if isinstance(got, int | float) and not isinstance(got, bool) and math.isclose(
            float(got), fact["value"], rel_tol=REL_TOL, abs_tol=ABS_TOL):
        return None
    return f"{where}\n  returns {got!r}, the fact's value is {fact['value']!r}"


def provenance_errors(con: duckdb.DuckDBPyConnection, facts: Iterable[Mapping]) -> list[str]:
    """What went wrong with each of ``facts`` whose provenance does not return its value."""
    return [error for fact in facts if (error := provenance_error(con, fact)) is not None]


@dataclass
class StoredCheck:
    """What running a warehouse's stored provenance found."""

    facts: int  # provenance queries run: every fact of every day
    cited: int  # of those, the facts a finding cites
    missing: list[str]  # cited ids with no fact
    errors: list[str]


def check_stored(warehouse: Path, tmp_path: Path) -> StoredCheck:
    """Run every stored fact's provenance on a copy of ``warehouse`` opened as ``chimera
    query`` opens it (read-only, external access off; a copy, because this process may hold
    the file open with another configuration)."""
    copy = tmp_path / "provenance_warehouse.duckdb"
    shutil.copyfile(warehouse, copy)
    con = connect_read_only(copy, files=False)
    try:
        facts = fetch_dicts(con, "SELECT partition, fact_id, fact_key, value, text_value, "
                                 "provenance FROM facts ORDER BY partition, fact_id")
        cited = {(day, fact_id) for day, ids in con.execute(
            "SELECT partition, fact_ids FROM findings WHERE fact_ids <> ''").fetchall()
            for fact_id in ids.split(",")}
        known = {(f["partition"], f["fact_id"]) for f in facts}
        return StoredCheck(len(facts), len(cited & known),
                           sorted(" ".join(c) for c in cited - known),
                           provenance_errors(con, facts))
    finally:
        con.close()
