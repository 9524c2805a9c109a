"""The LLM step over the warehouse, Dagster-free: what ``llm_analysis`` runs and the tests
run the same way. It reads and writes; what a narrative is made of is ``rows`` and the
modules it imports (this module is hashed with the rest of ``lib/llm`` all the same).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path

import duckdb

from chimera_pipeline.lib.llm.inputs import stored
from chimera_pipeline.lib.llm.rows import AnalysisRows, DayFailed, analyse_days, blockwise
from chimera_pipeline.lib.llm.settings import LLMSettings
from chimera_pipeline.lib.store.warehouse import (
    FACT_ORDER,
    read_rows,
    replace_partitions,
    to_arrow,
)

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


def analyse_and_write(connect: Connect, days: list[str], settings: LLMSettings,
                      models_dir: Path, reuse: bool = True,
                      log: Callable[[str], None] = print) -> AnalysisRows:
    """The whole step over the warehouse ``connect`` opens: the days' stored digests read
    (unless not ``reuse``: every day asked), their facts and findings read a block at a
    time, each on a connection closed before the LLM calls (writers are not held up), then
    every day's rows replaced in one transaction but the kept days', which stay as written.
    A day whose call fails for good raises :class:`DayFailed` once the days before it are
    written."""
    written: Mapping[str, str] = {}
    if reuse:
        with connect() as con:
            written = stored(con, days)

    def read_block(block: list[str]) -> tuple[list[dict], list[dict]]:
        with connect() as con:
            return (read_rows(con, "facts", block, order=FACT_ORDER),
                    read_rows(con, "findings", block, order="rank"))

    try:
        rows = analyse_days(days, blockwise(days, read_block), settings, models_dir, log=log,
                            stored=written)
    except DayFailed as failed:
        # the days finished before the one that failed are written: a run asks for them
        # again only if what they are written from changes; the failed day and the days
        # after it keep what they held
        if failed.done is not None and failed.done.days:
            _write(connect, failed.done.days, failed.done)
        raise
    _write(connect, days, rows)
    return rows


def _write(connect: Connect, days: list[str], rows: AnalysisRows) -> None:
    """Replace ``days``' rows in one transaction, but the kept days', which stay."""
    with connect() as con:
        replace_partitions(con, days, {t: to_arrow(t, r) for t, r in rows.tables.items()},
                           keep=rows.keep())
