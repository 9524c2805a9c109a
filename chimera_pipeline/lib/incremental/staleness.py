"""Which benchmark days need a run: the incremental part of ``chimera run``.

A day is up to date when the files the scan finds for it are exactly the files (path and
sha256) its inventory holds, and every stage up to the requested one ran on what the stage
before it holds now (each ``stage_timings`` row names the run of the stage before it when it
ran, so a run that failed half way, an inventory taken again, or a stage rerun alone after a
later one leaves the day stale). The stages need not share one run: ``chimera run
--parallel`` parses days in runs of their own, then judges them in day order in another.
Everything else needs a run. A warehouse that is missing or locked by a writer makes every
day stale: running too much is safe, skipping is not.

A day's alerts and changes are judged against its series' earlier nights
(``lib/facts/regression.py``): when a day is stale (it arrived late, or its files changed),
the later days that read it, the next ``depth`` nights of each series it measured, are
stale too (:func:`dependents`), so the same nights give the same alerts whatever order
they arrived in.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from chimera_pipeline.lib.store import stages


def _files_by_day(records) -> dict[str, set[tuple[str, str | None]]]:
    days: dict[str, set] = defaultdict(set)
    for record in records:
        state = record.sha256 if record.scan_status == "pending" else f"retry:{record.path}"
        days[record.partition].add((record.path, state))
    return days


def stale_days(records, warehouse: Path, days: list[str], until: str) -> list[str]:
    """The subset of ``days`` that must be (re)materialized up to the ``until`` asset."""
    if not warehouse.is_file():
        return list(days)
    import duckdb  # only when a run is planned: the no-change run never needs it

    from chimera_pipeline.lib.store.warehouse import fetch_dicts

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return list(days)
    try:
        stored = fetch_dicts(con, "SELECT partition, path, sha256, parse_status FROM "
                             "artifact_files WHERE partition IN (SELECT unnest(?::VARCHAR[]))",
                             [days])
        timings = fetch_dicts(con, "SELECT partition, stage, run_id, coalesce("
                              "upstream_run_id, run_id) AS upstream_run_id FROM stage_timings "
                              "WHERE partition IN (SELECT unnest(?::VARCHAR[]))", [days])
    except duckdb.Error:  # tables not created yet
        return list(days)
    finally:
        con.close()
    have: dict[str, set] = defaultdict(set)
    for row in stored:
        retry = row["parse_status"] in ("unreadable", "busy")
        have[row["partition"]].add((row["path"], f"retry:{row['path']}" if retry
                                    else row["sha256"]))
    upstream = {(s["partition"], s["stage"]): s["upstream_run_id"] for s in timings}
    runs = {(s["partition"], s["stage"]): s["run_id"] for s in timings}
    found = _files_by_day(records)
    labels = [stages.by_asset(asset).label for asset in stages.up_to(until)]
    stale = []
    for day in days:
        done = runs.get((day, labels[0])) is not None and all(
            runs.get((day, label)) is not None
            and upstream.get((day, label)) == runs.get((day, earlier))
            for earlier, label in zip(labels, labels[1:], strict=False))
        retry = any(state and state.startswith("retry:") for _, state in found.get(day, ()))
        if not done or retry or found.get(day, set()) != have.get(day, set()):
            stale.append(day)
    return stale


_SERIES_NIGHTS = """
WITH nights AS (
    SELECT DISTINCT 'llm' AS source, coalesce(model, '') AS a, coalesce(suite, '') AS b,
           coalesce(config_name, '') AS c, partition FROM llm_runs
    UNION
    SELECT DISTINCT 'tool', coalesce(tool, '') || '|' || coalesce(model, ''),
           coalesce(engine, '') || '|' || coalesce(hardware, ''),
           coalesce(test, '') || '|' || coalesce(config, ''), partition FROM benchmark_results),
ranked AS (SELECT *, row_number() OVER (PARTITION BY source, a, b, c ORDER BY partition) AS k
           FROM nights),
touched AS (SELECT source, a, b, c, k AS k0 FROM ranked
            WHERE partition IN (SELECT unnest(?::VARCHAR[])))
SELECT DISTINCT r.partition FROM ranked r JOIN touched t USING (source, a, b, c)
WHERE r.k > t.k0 AND r.k <= t.k0 + ? ORDER BY 1
"""


def _read(warehouse: Path, read):
    """``read(con)`` on a read-only connection; None when the warehouse is missing, locked
    by a writer or has no such tables yet (the caller then runs too much, never too little)."""
    if not warehouse.is_file():
        return None
    import duckdb  # only when a run is planned: the no-change run never needs it

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return None
    try:
        return read(con)
    except duckdb.Error:
        return None
    finally:
        con.close()


def dependents(warehouse: Path, stale: list[str], candidates: list[str], depth: int
               ) -> set[str]:
    """The days among ``candidates`` whose comparisons read a ``stale`` day: the next
    ``depth`` nights after each stale night of every series measured on it, and, for
    a stale day it does not hold yet (a night arriving late), the next ``depth`` days with
    facts after it (its series are not known before it is parsed)."""
    if not stale:
        return set()
    found = _read(warehouse, lambda con: (
        {r[0] for r in con.execute(_SERIES_NIGHTS, [stale, depth]).fetchall()},
        {r[0] for r in con.execute("SELECT DISTINCT partition FROM facts WHERE partition >= ?",
                                   [min(stale)]).fetchall()}))
    if found is None:
        return set()
    later, held = found
    for day in set(stale) - held:  # not in the warehouse yet: the next days with facts
        later |= set(sorted(d for d in held if d > day)[:depth])
    return {d for d in candidates if d in later and d not in stale}


def warehouse_days(warehouse: Path) -> set[str]:
    """The days whose files the warehouse's inventory holds: a day among them that the tree
    no longer has lost its files, and must be run to take its rows out."""
    return _read(warehouse, lambda con: {r[0] for r in con.execute(
        "SELECT DISTINCT partition FROM artifact_files").fetchall()}) or set()
