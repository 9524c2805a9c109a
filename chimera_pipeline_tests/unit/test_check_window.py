"""A run that skips the unchanged days of its range checks the days it worked on only: an old
regression on a skipped day neither fails nor blocks the days the run made."""

from __future__ import annotations

import duckdb

from chimera_pipeline.defs.check_window import (
    DAYS_TAG,
    EVERYTHING,
    RANGE_END,
    RANGE_START,
    run_window,
)
from chimera_pipeline.lib.store.checks import alerts_in_window, error_rate
from chimera_pipeline.lib.store.warehouse import ensure_schema


def test_the_window_of_a_run_is_its_worked_days() -> None:
    tags = {RANGE_START: "2025-10-01", RANGE_END: "2025-10-12",
            DAYS_TAG: "2025-10-01,2025-10-11..2025-10-12"}
    assert run_window(tags) == ("2025-10-01", "2025-10-12",
                                ["2025-10-01", "2025-10-11", "2025-10-12"])
    assert run_window({RANGE_START: "2025-10-01", RANGE_END: "2025-10-02"}) == (
        "2025-10-01", "2025-10-02", None)
    assert run_window({}) == EVERYTHING
    con = duckdb.connect()
    ensure_schema(con)
    for day in ("2025-10-01", "2025-10-05", "2025-10-12"):
        con.execute("INSERT INTO alerts (partition, rank, verdict) VALUES (?, 1, 'regression')",
                    [day])
        con.execute("INSERT INTO llm_runs (partition, ok) VALUES (?, ?)",
                    [day, day != "2025-10-05"])
    assert sorted(alerts_in_window(con, run_window(tags))) == ["2025-10-01", "2025-10-12"]
    assert error_rate(con, run_window(tags)) == (0, 2)  # the skipped day's failure is not here
    whole = run_window({RANGE_START: "2025-10-01", RANGE_END: "2025-10-12"})
    assert sorted(alerts_in_window(con, whole)) == ["2025-10-01", "2025-10-05", "2025-10-12"]
    assert error_rate(con, whole) == (1, 3)
