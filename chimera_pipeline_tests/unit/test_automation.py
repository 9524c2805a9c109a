"""The nightly schedule and the new-artifact sensor."""

import datetime as dt
import json
import os
import time
from pathlib import Path

import dagster as dg
import pytest

from chimera_pipeline.defs.automation.schedules import nightly_benchmarks
from chimera_pipeline.defs.automation.sensors import new_artifacts
from chimera_pipeline.defs.check_window import DAYS_TAG
from chimera_pipeline.lib.incremental.days import decode_days
from chimera_pipeline_tests.support import open_instance


def _write(root: Path, rel: str, text: str = "model,tps\na,1\n", age_s: float = 3600) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    past = time.time() - age_s
    os.utime(path, (past, past))
    return path


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    tree = tmp_path / "artifacts"
    tree.mkdir()
    monkeypatch.setenv("CHIMERA_ARTIFACT_ROOT", str(tree))
    monkeypatch.setenv("CHIMERA_DATA_DIR", str(tmp_path / "data"))
    return tree


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def test_schedule_at_0200_requests_the_previous_day_when_it_needs_a_run(root) -> None:
    _write(root, "reports/runs_20251008.csv")
    when = dt.datetime(2025, 10, 9, 2, 0, tzinfo=dt.UTC)
    request = nightly_benchmarks(dg.build_schedule_context(scheduled_execution_time=when))
    assert request.partition_key == "2025-10-08" and request.run_key == "nightly-2025-10-08"
    assert nightly_benchmarks.cron_schedule == "0 2 * * *"
    assert nightly_benchmarks.default_status == dg.DefaultScheduleStatus.RUNNING


def test_schedule_skips_a_day_without_files_and_says_so(root, monkeypatch) -> None:
    when = dt.datetime(2025, 10, 9, 2, 0, tzinfo=dt.UTC)
    skip = nightly_benchmarks(dg.build_schedule_context(scheduled_execution_time=when))
    assert isinstance(skip, dg.SkipReason)
    assert skip.skip_message == "no artifact file is dated 2025-10-08: nothing to run"
    monkeypatch.setenv("CHIMERA_SCHEDULE_FORCE", "1")
    forced = nightly_benchmarks(dg.build_schedule_context(scheduled_execution_time=when))
    assert forced.partition_key == "2025-10-08"


def _tick(instance, cursor=None) -> dg.SensorResult:
    return new_artifacts(dg.build_sensor_context(instance=instance, cursor=cursor))


def test_sensor_requests_a_day_as_a_partition_and_consecutive_days_as_one_range(
        root, instance, monkeypatch) -> None:
    monkeypatch.setenv("CHIMERA_RUN_MERGE_GAP_DAYS", "0")
    for name in ("runs_20251001", "runs_20251002", "runs_20251003", "runs_20251007"):
        _write(root, f"reports/{name}.csv")
    result = _tick(instance)
    block, day = result.run_requests
    assert block.partition_key is None and block.partition_key_range == dg.PartitionKeyRange(
        "2025-10-01", "2025-10-03")
    assert block.run_key.startswith("2025-10-01..2025-10-03:")
    assert block.tags["chimera/planned_files"] == "3" and DAYS_TAG not in block.tags
    assert day.partition_key == "2025-10-07" and day.run_key.startswith("2025-10-07:")
    again = _tick(instance, result.cursor)
    assert not again.run_requests and "as at the last plan" in again.skip_reason.skip_message


def test_stale_days_a_few_days_apart_are_one_run_that_skips_the_days_between(
        root, instance) -> None:
    """One run's fixed cost for the plan: the range spans the stale days, the tag names the
    days its stages work on (``work_keys``), the unchanged days between are skipped."""
    for name in ("runs_20251001", "runs_20251002", "runs_20251007", "runs_20260220"):
        _write(root, f"reports/{name}.csv")
    near, far = _tick(instance).run_requests
    assert near.partition_key_range == dg.PartitionKeyRange("2025-10-01", "2025-10-07")
    assert near.tags[DAYS_TAG] == "2025-10-01..2025-10-02,2025-10-07"
    assert decode_days(near.tags[DAYS_TAG]) == {"2025-10-01", "2025-10-02", "2025-10-07"}
    assert near.tags["chimera/planned_files"] == "3"
    assert far.partition_key == "2026-02-20"  # 135 days on: beyond CHIMERA_RUN_MERGE_GAP_DAYS


def test_sensor_plans_nothing_while_a_run_of_the_job_is_in_flight(root, instance) -> None:
    from dagster._core.storage.dagster_run import DagsterRun

    _write(root, "reports/runs_20251001.csv")
    instance.add_run(DagsterRun(job_name="benchmark_job", run_id="f" * 36,
                                status=dg.DagsterRunStatus.STARTED))
    result = _tick(instance)
    assert not result.run_requests
    assert result.skip_reason.skip_message.startswith("run ffffffff is started; planning after")


def test_sensor_says_why_when_the_root_is_missing(tmp_path, monkeypatch, instance) -> None:
    monkeypatch.setenv("CHIMERA_ARTIFACT_ROOT", str(tmp_path / "gone"))
    assert "is missing" in _tick(instance).skip_reason.skip_message


def test_pools_are_set_in_the_instance(tmp_path, monkeypatch) -> None:

    from chimera_pipeline.deployment.instance import prepare_dagster_home
    from chimera_pipeline.lib.config import load_settings

    monkeypatch.setenv("CHIMERA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHIMERA_GPU_SLOTS", "3")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = prepare_dagster_home(load_settings())
    assert home == tmp_path / "dagster_home" and (home / "dagster.yaml").is_file()
    with open_instance(home) as instance:
        storage = instance.event_log_storage
        assert storage.get_concurrency_info("duckdb_writer").slot_count == 1
        assert storage.get_concurrency_info("llm").slot_count == 3
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] == 30


def test_llm_step_carries_the_gpu_routing_tags() -> None:
    from chimera_pipeline.definitions import defs

    node = defs().resolve_asset_graph().get(dg.AssetKey("llm_analysis"))
    tags = node.assets_def.op.tags
    assert tags["dagster-celery/queue"] == "gpu"
    k8s = json.loads(tags["dagster-k8s/config"])  # Dagster stores dict tags as JSON
    assert k8s["container_config"]["resources"]["limits"] == {"nvidia.com/gpu": "1"}
    assert node.pools == {"llm"}
