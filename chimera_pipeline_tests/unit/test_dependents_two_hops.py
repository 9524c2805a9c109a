"""A changed night is judged again with the nights that read it, two hops out: its series'
next nights, and the next nights of every series measured on those (a night's false-discovery
control runs over every series' tests of that night)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.incremental.plan import _with_dependents
from chimera_pipeline.lib.store.warehouse import ensure_schema


def _day(n: int) -> dt.date:
    return dt.date(2025, 1, 1) + dt.timedelta(n)


def test_a_series_measured_after_the_changed_series_nights_is_judged_again(
        tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CHIMERA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHIMERA_REGRESSION_HISTORY", "2")  # depth: 5 nights
    settings = load_settings()
    con = duckdb.connect(str(settings.warehouse_path))
    ensure_schema(con)
    # S runs on nights 0..6 and 10; T runs every night 0..30
    rows = [(_day(n).isoformat(), "s:7b") for n in (*range(7), 10)]
    rows += [(_day(n).isoformat(), "t:7b") for n in range(31)]
    con.executemany("INSERT INTO llm_runs (partition, model, suite, ok) VALUES "
                    "(?, ?, 'quant_bench', true)", rows)
    con.close()
    days = [_day(n) for n in range(31)]
    stale = _with_dependents(settings, {_day(6).isoformat()}, days, "benchmark_facts")
    # first hop: the next 5 nights of S (10) and of T (7..11); second: T's next 5 after 11
    assert {_day(n).isoformat() for n in (7, 10, 11, 12, 16)} <= stale, sorted(stale)
    assert _day(30).isoformat() not in stale
