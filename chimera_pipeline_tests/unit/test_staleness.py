"""Which days need a run, decided against a real warehouse: files and stages of each day."""

from __future__ import annotations

import duckdb

from chimera_pipeline.lib.incremental.staleness import stale_days
from chimera_pipeline.lib.inventory.records import inventory_row
from chimera_pipeline.lib.inventory.scan import scan_tree
from chimera_pipeline.lib.sample import write_corpus
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.warehouse import record_stage, write_inventory
from chimera_pipeline_tests.support import EXTS, ROOTS


def test_a_day_is_stale_until_every_stage_ran_on_its_inventory(tmp_path) -> None:
    root, warehouse = tmp_path / "artifacts", tmp_path / "w.duckdb"
    write_corpus(root)
    records = scan_tree(root, ROOTS, EXTS)
    days = sorted({r.partition for r in records})
    day, other = days[0], days[1]
    assert stale_days(records, warehouse, days, stages.METRICS.asset) == days  # no warehouse
    with duckdb.connect(str(warehouse)) as con:
        write_inventory(con, days, [inventory_row(r) for r in records])
        for stage in (stages.INVENTORY, stages.METRICS):
            record_stage(con, [day], stage.label, 0.1, "run-1")
        record_stage(con, [other], stages.INVENTORY.label, 0.1, "run-2")
        record_stage(con, [other], stages.METRICS.label, 0.1, "run-3")  # a later run
        record_stage(con, [other], stages.INVENTORY.label, 0.1, "run-4")  # taken again
    stale = stale_days(records, warehouse, days, stages.METRICS.asset)
    assert day not in stale and other in stale and len(stale) == len(days) - 1
    with duckdb.connect(str(warehouse)) as con:
        record_stage(con, [other], stages.METRICS.label, 0.1, "run-5")  # parsed on run-4's
    assert other not in stale_days(records, warehouse, days, stages.METRICS.asset)
    assert day in stale_days(records, warehouse, days, stages.FACTS.asset)  # a later stage
    first_of_day = next(r for r in records if r.partition == day)
    changed = [r for r in records if r is not first_of_day]
    assert day in stale_days(changed, warehouse, days, stages.METRICS.asset)  # a file gone


def test_the_nights_after_a_stale_one_are_judged_again(tmp_path) -> None:
    """Alerts read each series' earlier nights: when a night changes, the next nights of
    its series are stale too; a night that arrives late makes the next days with facts
    stale; another series' nights are not."""
    from chimera_pipeline.lib.incremental.staleness import dependents
    from chimera_pipeline.lib.store.warehouse import ensure_schema, to_arrow

    warehouse = tmp_path / "w.duckdb"
    days = [f"2025-10-{d:02d}" for d in range(1, 21, 2)]  # every other day: 10 nights
    runs = [{"partition": day, "run_id": f"{day}-{m}", "source_file": "f", "source_row": i,
             "suite": "s", "model": m, "ok": True, "decode_tps": 50.0,
             "measurement_key": f"{day}-{m}"}
            for i, day in enumerate(days) for m in ("a", "b") if m == "a" or day <= days[2]]
    with duckdb.connect(str(warehouse)) as con:
        ensure_schema(con)
        con.register("r", to_arrow("llm_runs", runs))
        con.execute("INSERT INTO llm_runs BY NAME SELECT * FROM r")
        con.register("f", to_arrow("facts", [{"partition": d, "fact_id": "F1"} for d in days]))
        con.execute("INSERT INTO facts BY NAME SELECT * FROM f")
    assert dependents(warehouse, [days[3]], days, 4) == set(days[4:8])
    assert dependents(warehouse, ["2025-10-08"], days, 3) == set(days[4:7])  # late night
    assert dependents(warehouse, [days[9]], days, 4) == set()  # nothing after the last
    assert dependents(tmp_path / "none.duckdb", [days[0]], days, 4) == set()
