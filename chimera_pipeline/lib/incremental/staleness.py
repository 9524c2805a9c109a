"""Which benchmark days need a run: the incremental part of ``chimera run``.

A day is up to date when the files the scan finds for it are exactly the files (path and
sha256) its inventory holds, and one run took that inventory all the way to the requested
stage (the ``stage_timings`` rows of both carry the same run id, so a run that failed half
way leaves the day stale). Everything else needs a run. A warehouse that is missing or
locked by a writer makes every day stale: running too much is safe, skipping is not.
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
        timings = fetch_dicts(con, "SELECT partition, stage, run_id FROM stage_timings WHERE "
                              "partition IN (SELECT unnest(?::VARCHAR[]))", [days])
    except duckdb.Error:  # tables not created yet
        return list(days)
    finally:
        con.close()
    have: dict[str, set] = defaultdict(set)
    for row in stored:
        retry = row["parse_status"] in ("unreadable", "busy")
        have[row["partition"]].add((row["path"], f"retry:{row['path']}" if retry
                                    else row["sha256"]))
    runs = {(s["partition"], s["stage"]): s["run_id"] for s in timings}
    found = _files_by_day(records)
    final, first = stages.by_asset(until).label, stages.INVENTORY.label
    stale = []
    for day in days:
        done = runs.get((day, final)) is not None and runs.get((day, final)) == runs.get(
            (day, first))
        retry = any(state and state.startswith("retry:") for _, state in found.get(day, ()))
        if not done or retry or found.get(day, set()) != have.get(day, set()):
            stale.append(day)
    return stale
