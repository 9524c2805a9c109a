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
from chimera_pipeline_tests.support import open_instance


def test_schedule_at_0200_requests_the_previous_day() -> None:
    when = dt.datetime(2025, 10, 9, 2, 0, tzinfo=dt.UTC)
    request = nightly_benchmarks(dg.build_schedule_context(scheduled_execution_time=when))
    assert request.partition_key == "2025-10-08"
    assert nightly_benchmarks.cron_schedule == "0 2 * * *"
    assert nightly_benchmarks.default_status == dg.DefaultScheduleStatus.RUNNING


def _write(root: Path, rel: str, text: str, age_s: float = 3600) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    past = time.time() - age_s
    os.utime(path, (past, past))
    return path


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CHIMERA_ARTIFACT_ROOT", str(tmp_path))
    monkeypatch.setenv("CHIMERA_SENSOR_SETTLE_SECONDS", "60")
    return tmp_path


def _tick(cursor=None):
    result = new_artifacts(dg.build_sensor_context(cursor=cursor))
    return sorted(r.partition_key for r in result.run_requests or []), result.cursor


def test_sensor_requests_exactly_the_changed_days(root) -> None:
    today = dt.datetime.now(dt.UTC).date()
    _write(root, "reports/ollama/20251002-151204/prompt_suite_runs.csv", "timestamp,model\n")
    _write(root, "reports/ollama/20251002-151446/prompt_suite_runs.csv", "timestamp,model\n")
    _write(root, "csv_data/chimera_metrics_20250930_133204.json", "{}")  # a late-arriving old day
    days, cursor = _tick()
    assert days == ["2025-09-30", "2025-10-02"]

    assert _tick(cursor)[0] == []  # nothing changed: nothing to run

    changed = _write(root, "csv_data/chimera_metrics_20250930_133204.json", '{"a": 1}', 1800)
    days, cursor = _tick(cursor)
    assert days == ["2025-09-30"]

    _write(root, f"reports/run_{today:%Y%m%d}.csv", "x\n1\n")  # today's partition exists
    days, cursor = _tick(cursor)
    assert days == [today.isoformat()]
    assert changed.exists()


def test_a_file_still_being_written_waits_until_it_settles(root) -> None:
    growing = _write(root, "reports/ollama/20251008-122701/gemma3_benchmark_runs.csv",
                     "timestamp,model\n", age_s=0)
    days, cursor = _tick()
    assert days == []  # modified just now: not taken
    with growing.open("a") as handle:
        handle.write("2025-10-08T16:27:01,gemma3:latest\n")
    assert _tick(cursor)[0] == []  # still growing
    past = time.time() - 120
    os.utime(growing, (past, past))
    days, cursor = _tick(cursor)
    assert days == ["2025-10-08"]
    assert _tick(cursor)[0] == []


def test_run_keys_are_stable_for_the_same_change(root) -> None:
    _write(root, "reports/ollama/20251002-151204/prompt_suite_runs.csv", "timestamp,model\n")
    first = new_artifacts(dg.build_sensor_context()).run_requests
    second = new_artifacts(dg.build_sensor_context()).run_requests
    assert [r.run_key for r in first] == [r.run_key for r in second]


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
