"""The event log that writes a step's batch of asset events together
(``deployment/event_log.py``) stores what Dagster's own SQLite storage stores, event for
event, through a real instance and real runs of a day range: the same records in the run's
file and the index, the same partitions materialized, and a failed run's partitions still
marked failed (the planned events stay one per partition)."""

import shutil
import sqlite3
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.partition_status_cache import get_and_update_asset_status_cache_value

from chimera_pipeline.deployment.event_log import BatchedSqliteEventLogStorage

DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-02-01")
PROJECT_YAML = Path(__file__).resolve().parents[2] / "dagster.yaml"


@dg.asset(partitions_def=DAYS)
def measured(context: dg.AssetExecutionContext) -> None:
    """Two materializations per day with metadata: tags and asset rows to mirror."""
    for day in context.partition_keys:
        context.log_event(dg.AssetObservation("measured", partition=day,
                                              metadata={"rows": len(day)}))


@dg.asset(partitions_def=DAYS, deps=[measured])
def judged(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    if context.run.tags.get("fail") == "yes":
        raise RuntimeError("a step that fails: its days must show as failed")
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


JOB = dg.define_asset_job("days", selection=[measured, judged], partitions_def=DAYS)
DEFS = dg.Definitions(assets=[measured, judged], jobs=[JOB])


def _instance(home: Path, batched: bool) -> dg.DagsterInstance:
    home.mkdir(parents=True)
    if batched:  # the project's instance file, as `chimera` installs it
        shutil.copyfile(PROJECT_YAML, home / "dagster.yaml")
    return dg.DagsterInstance.from_config(str(home))


def _runs(instance: dg.DagsterInstance) -> None:
    job = DEFS.resolve_job_def("days")
    for first, last, tags in (("2025-01-03", "2025-01-09", {}),
                              ("2025-01-12", "2025-01-14", {"fail": "yes"})):
        job.execute_in_process(instance=instance, raise_on_error=False, tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last, **tags})


def _stored(instance: dg.DagsterInstance) -> dict:
    """What the UI reads: every run's events, the asset events mirrored in the index, the
    materialized and failed partitions."""
    runs = list(reversed(instance.get_runs()))  # oldest first
    events = [[(e.dagster_event_type, e.dagster_event.partition if e.dagster_event else None,
                e.step_key) for e in instance.all_logs(run.run_id)] for run in runs]
    index = {}
    for kind in (dg.DagsterEventType.ASSET_MATERIALIZATION,
                 dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED):
        for key in (measured.key, judged.key):
            records = instance.fetch_materializations(key, limit=1000).records if kind == (
                dg.DagsterEventType.ASSET_MATERIALIZATION) else instance.get_event_records(
                dg.EventRecordsFilter(kind, asset_key=key), limit=1000)
            index[(kind, key)] = sorted(r.partition_key for r in records)
    run_order = {run.run_id: i for i, run in enumerate(runs)}
    index_db = Path(instance.root_directory) / "history" / "runs" / "index.db"
    with sqlite3.connect(index_db) as db:
        tables = {
            "event_logs": db.execute(
                "SELECT dagster_event_type, step_key, asset_key, partition FROM event_logs "
                "ORDER BY id").fetchall(),
            "asset_event_tags": sorted(db.execute(
                "SELECT t.asset_key, t.key, e.partition, e.dagster_event_type "
                "FROM asset_event_tags t JOIN event_logs e ON e.id = t.event_id").fetchall()),
            "asset_keys": sorted(
                (key, last is not None, run_order.get(run_id), at is not None)
                for key, last, run_id, at in db.execute(
                    "SELECT asset_key, last_materialization, last_run_id, "
                    "last_materialization_timestamp FROM asset_keys"))}
    status = {}
    for key in (measured.key, judged.key):
        value = get_and_update_asset_status_cache_value(instance, key, DAYS)
        status[key] = (
            sorted(value.deserialize_materialized_partition_subsets(DAYS).get_partition_keys()),
            sorted(value.deserialize_failed_partition_subsets(DAYS).get_partition_keys()))
    return {"events": events, "index": index, "tables": tables, "status": status}


def test_batched_writes_store_what_dagsters_storage_stores(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "1000")
    found = {}
    # attack: $DAGSTER_HOME names another instance than the one opened from its folder
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(decoy))
    for batched in (False, True):
        home = tmp_path / ("batched" if batched else "default")
        with _instance(home, batched) as instance:
            assert isinstance(instance.event_log_storage,
                              BatchedSqliteEventLogStorage) == batched
            _runs(instance)
            found[batched] = _stored(instance)
        # the same files as the default storage: earlier runs stay readable either way
        assert sorted(p.name for p in (home / "history" / "runs").glob("*.db"))
    assert found[True] == found[False]
    assert not (decoy / "history").exists()  # each instance kept its events in its folder
    assert found[True]["tables"]["asset_event_tags"]  # the mirrored rows were compared
    materialized, failed = found[True]["status"][judged.key]
    assert len(materialized) == 7
    assert failed == ["2025-01-12", "2025-01-13", "2025-01-14"]
    assert found[True]["index"][(dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
                                 judged.key)].count("2025-01-13") == 1


def test_the_batch_is_written_together(tmp_path, monkeypatch) -> None:
    """Attack on the point of it: a day range's materializations reach the storage as one
    batch, written in one transaction per file (not one event at a time)."""
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "1000")
    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    calls: list[int] = []
    original = BatchedSqliteEventLogStorage._store_asset_events

    def counted(self, events):
        calls.append(len(events))
        return original(self, events)

    monkeypatch.setattr(BatchedSqliteEventLogStorage, "_store_asset_events", counted)
    with _instance(home, batched=True) as instance:
        DEFS.resolve_job_def("days").execute_in_process(instance=instance, tags={
            "dagster/asset_partition_range_start": "2025-01-01",
            "dagster/asset_partition_range_end": "2025-01-20"})
    assert max(calls) >= 20, calls  # the planned events, then each step's materializations


@pytest.mark.parametrize("size", ["0", "1"])
def test_without_batches_every_event_is_stored_alone(tmp_path, monkeypatch, size) -> None:
    """Batching off (or a batch of one): Dagster stores each event by ``store_event``."""
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", size)
    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with _instance(home, batched=True) as instance:
        _runs(instance)
        assert _stored(instance)["status"][judged.key][0] == [
            f"2025-01-0{d}" for d in range(3, 10)]


def test_a_batch_whose_index_write_fails_is_stored_once(tmp_path, monkeypatch) -> None:
    """Attack: the index refuses a batch (a locked index.db) after the run's file took it.
    Dagster then stores the batch again an event at a time: every event is in the run's log
    and the index exactly once."""
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "1000")
    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    original, failed = BatchedSqliteEventLogStorage._store_asset_event, []

    def refuse_first_batch(self, conn, event, event_id):
        if not failed and event.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            failed.append(event_id)
            raise RuntimeError("database is locked")
        return original(self, conn, event, event_id)

    monkeypatch.setattr(BatchedSqliteEventLogStorage, "_store_asset_event", refuse_first_batch)
    with _instance(home, batched=True) as instance:
        DEFS.resolve_job_def("days").execute_in_process(instance=instance, tags={
            "dagster/asset_partition_range_start": "2025-01-01",
            "dagster/asset_partition_range_end": "2025-01-10"})
        [run] = instance.get_runs()
        days = [f"2025-01-{d:02d}" for d in range(1, 11)]
        for key in (measured.key, judged.key):  # the refused batch is the first asset's
            logged = [e.dagster_event.partition for e in instance.all_logs(run.run_id)
                      if e.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
                      and e.dagster_event.asset_key == key]
            indexed = [r.partition_key for r in
                       instance.fetch_materializations(key, limit=100).records]
            assert sorted(logged) == days and sorted(indexed) == days, key
    assert failed  # the failure happened
