"""The one planner ``chimera run``, the ``new_artifacts`` sensor and the nightly schedule ask:
which days need a run, in which blocks, and when the answer is "nothing" after one walk.

A run is stood in for by what a successful run leaves in a real DuckDB warehouse -- each
day's inventory and one run id on every stage's timing row -- written with the pipeline's
own store functions; the daemon test (``e2e/test_daemon.py``) drives the same decisions with
real Dagster runs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from pathlib import Path

import duckdb
import pytest

from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.incremental.automation import schedule_decision, sensor_decision
from chimera_pipeline.lib.incremental.planner import Planner
from chimera_pipeline.lib.inventory.records import inventory_row
from chimera_pipeline.lib.inventory.scan import scan_configured
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.warehouse import ensure_schema, record_stage, write_inventory

FAR = dt.date(2100, 1, 1)  # the sensor's newest partition, when a test does not care


def _write(root: Path, day: dt.date, name: str = "runs", text: str = "model,tps\na,1\n",
           age_s: float = 3600) -> Path:
    path = root / "reports" / f"{name}_{day:%Y%m%d}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    past = time.time() - age_s
    os.utime(path, (past, past))
    return path


def _runs_done(days: list[dt.date] | None = None, until: str = stages.ASSETS[-1],
               start: str = stages.INVENTORY.asset) -> str:
    """What one successful run leaves for ``days`` (default: every day in the tree): their
    inventory as scanned now (when the run starts there), and the run's id on each stage's
    timing row from ``start`` to ``until``."""
    settings = load_settings()
    records = scan_configured(settings)
    keys = sorted({r.partition for r in records} if days is None
                  else {d.isoformat() for d in days})
    run_id = uuid.uuid4().hex
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        ensure_schema(con)
        if start == stages.INVENTORY.asset:
            write_inventory(con, keys, [inventory_row(r) for r in records
                                        if r.partition in keys])
        for asset in stages.between(start, until):
            record_stage(con, keys, stages.by_asset(asset).label, 0.1, run_id)
    finally:
        con.close()
    return run_id


def _cli(settings=None, until: str = stages.ASSETS[-1]) -> list[tuple[str, str]]:
    """What ``chimera run`` does around its runs: plan, stage, run, settle on success."""
    planner = Planner(settings or load_settings(), until)
    plan = planner.stale()
    if plan.unchanged:
        return []
    planner.stage(plan)
    blocks = planner.blocks(plan)
    if blocks:
        _runs_done(plan.days, until)
    planner.finish(ok=True)
    planner.discard()
    return [(b.first.isoformat(), b.last.isoformat()) for b in blocks]


def _sensor(cursor: str | None = None, last_day: dt.date = FAR):
    decision = sensor_decision(load_settings(), cursor, time.time(), last_day)
    return [(b.first.isoformat(), b.last.isoformat()) for b in decision.blocks], decision


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tree = tmp_path / "artifacts"
    tree.mkdir()
    monkeypatch.setenv("CHIMERA_ARTIFACT_ROOT", str(tree))
    monkeypatch.setenv("CHIMERA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CHIMERA_SENSOR_SETTLE_SECONDS", "60")
    # blocks of consecutive days (stale days a few days apart sharing a run: test_automation)
    monkeypatch.setenv("CHIMERA_RUN_MERGE_GAP_DAYS", "0")
    return tree


D1, D2, D3, D5 = (dt.date(2025, 10, d) for d in (1, 2, 3, 5))


def test_every_caller_sees_the_same_stale_days_in_the_same_blocks(root) -> None:
    for day in (D1, D2, D3, D5):
        _write(root, day)
    planner = Planner(load_settings())
    plan = planner.stale()
    assert plan.days == [D1, D2, D3, D5]
    cli_blocks = planner.blocks(plan)
    assert [(b.first, b.last, b.files) for b in cli_blocks] == [(D1, D3, 3), (D5, D5, 1)]
    blocks, decision = _sensor()
    assert blocks == [("2025-10-01", "2025-10-03"), ("2025-10-05", "2025-10-05")]
    assert [b.key for b in decision.blocks] == [b.key for b in cli_blocks]
    assert schedule_decision(load_settings(), D5, force=False) is None  # never run: run it


def test_after_a_cli_run_the_sensor_and_the_schedule_start_nothing(root) -> None:
    for day in (D1, D2, D5):
        _write(root, day)
    assert _cli() == [("2025-10-01", "2025-10-02"), ("2025-10-05", "2025-10-05")]
    blocks, first = _sensor()
    assert blocks == [] and first.skip_reason.startswith("every day up to date")
    assert _sensor(first.cursor)[0] == []  # the second tick too
    assert "is up to date" in schedule_decision(load_settings(), D2, force=False)
    assert schedule_decision(load_settings(), D3, force=False) == (
        "no artifact file is dated 2025-10-03: nothing to run")
    assert schedule_decision(load_settings(), D2, force=True) is None


def test_a_new_day_and_an_old_day_run_exactly_those_days(root) -> None:
    for day in (D1, D2, D3):
        _write(root, day)
    _cli()
    _write(root, D1, name="late")  # a late-arriving file of an old day
    _write(root, D5)  # a new day
    blocks, decision = _sensor()
    assert blocks == [("2025-10-01", "2025-10-01"), ("2025-10-05", "2025-10-05")]
    assert [b.files for b in decision.blocks] == [2, 1]
    again, _ = _sensor()
    assert [b.key for b in _.blocks] == [b.key for b in decision.blocks]  # stable run keys
    assert Planner(load_settings()).stale().days == [D1, D5]  # and the CLI agrees


def test_three_consecutive_new_days_are_one_run(root) -> None:
    _write(root, D1)
    _cli()
    for day in (D2, D3, dt.date(2025, 10, 4)):
        _write(root, day)
    blocks, decision = _sensor()
    assert blocks == [("2025-10-02", "2025-10-04")]
    assert decision.blocks[0].key.startswith("2025-10-02..2025-10-04:")


def test_an_edited_file_gives_its_day_a_new_run_key(root) -> None:
    path = _write(root, D1)
    _, before = _sensor()
    path.write_text("model,tps\na,2\n")
    past = time.time() - 3600
    os.utime(path, (past, past))
    _, after = _sensor()
    assert before.blocks[0].key != after.blocks[0].key


def test_a_tick_that_sees_the_same_tree_and_warehouse_does_not_plan_again(root) -> None:
    _write(root, D1)
    blocks, decision = _sensor()
    assert blocks == [("2025-10-01", "2025-10-01")]
    assert json.loads(decision.cursor)["requested"] == "2025-10-01"
    blocks, again = _sensor(decision.cursor)  # the run has not written anything yet
    assert blocks == [] and "as at the last plan; 2025-10-01 requested" in again.skip_reason
    _runs_done()  # it did now: the warehouse changed
    blocks, done = _sensor(again.cursor)
    assert blocks == [] and done.skip_reason.startswith("every day up to date (1 files")
    assert Planner(load_settings()).stale().unchanged  # the sensor settled the marker: the CLI


def test_a_run_from_the_ui_is_seen_by_both(root) -> None:
    _write(root, D1)
    _write(root, D2)
    _cli()
    _write(root, D2, name="more")
    _runs_done([D2])  # someone materialized 2025-10-02 from the UI after the file arrived
    assert _sensor()[0] == []
    assert _cli() == []


def test_a_run_that_stopped_half_way_leaves_its_days_stale(root) -> None:
    _write(root, D1)
    _runs_done(until=stages.FACTS.asset)  # inventory to facts, no report
    assert _sensor()[0] == [("2025-10-01", "2025-10-01")]
    assert _cli(until=stages.FACTS.asset) == []  # done up to facts, as that CLI asked


def test_stages_run_in_later_runs_on_the_same_inventory_leave_the_day_done(root) -> None:
    """``chimera run --parallel`` parses each day in a run of its own, then computes the
    facts onward for all of them in day order in another run."""
    _write(root, D1)
    _write(root, D2)
    _runs_done([D1], until=stages.METRICS.asset)
    _runs_done([D2], until=stages.METRICS.asset)
    assert _sensor()[0] == [("2025-10-01", "2025-10-02")]
    _runs_done(start=stages.FACTS.asset)
    assert _sensor()[0] == []
    assert _cli() == []


def test_an_inventory_taken_again_after_the_later_stages_leaves_the_day_stale(root) -> None:
    _write(root, D1)
    _runs_done()
    _runs_done(until=stages.INVENTORY.asset)  # a run that failed after its inventory
    assert _sensor()[0] == [("2025-10-01", "2025-10-01")]
    _runs_done(until=stages.METRICS.asset)
    _runs_done(start=stages.ANALYSIS.asset)  # the facts never ran on this inventory
    assert _sensor()[0] == [("2025-10-01", "2025-10-01")]
    _runs_done(start=stages.FACTS.asset)
    assert _sensor()[0] == []


def test_a_day_still_being_written_waits_for_a_later_tick(root) -> None:
    growing = _write(root, D1, age_s=0)
    _write(root, D5)
    blocks, decision = _sensor()
    assert blocks == [("2025-10-05", "2025-10-05")]
    assert any("still being written" in m for m in decision.messages)
    assert decision.cursor is None  # held back: the next tick must plan again
    past = time.time() - 120
    os.utime(growing, (past, past))
    assert _sensor(decision.cursor)[0] == [("2025-10-01", "2025-10-01"),
                                           ("2025-10-05", "2025-10-05")]


def test_a_day_after_the_newest_partition_waits_for_it(root) -> None:
    _write(root, D1)
    _write(root, D5)
    blocks, decision = _sensor(last_day=D3)
    assert blocks == [("2025-10-01", "2025-10-01")]
    assert any("wait for their partition" in m for m in decision.messages)
    assert _sensor(decision.cursor, last_day=D3)[0] == []  # the same day: not planned again
    blocks, _ = _sensor(decision.cursor, last_day=D5)  # its partition exists now
    assert ("2025-10-05", "2025-10-05") in blocks


def test_a_stage_rerun_alone_after_a_later_one_leaves_the_day_stale(root) -> None:
    """Inventory R2 (its parse failed), facts alone R3 on R1's parse, parse alone R4: the
    facts did not see R4's rows, whatever the inventory says."""
    _write(root, D1)
    _runs_done(until=stages.FACTS.asset)
    _runs_done(until=stages.INVENTORY.asset)
    _runs_done(start=stages.FACTS.asset, until=stages.FACTS.asset)
    _runs_done(start=stages.METRICS.asset, until=stages.METRICS.asset)
    assert _cli(until=stages.FACTS.asset) == [("2025-10-01", "2025-10-01")]
