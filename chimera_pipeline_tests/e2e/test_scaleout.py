"""The celery profile with real services: PostgreSQL, Redis and two Celery workers.

A module fixture starts PostgreSQL (``initdb`` as ``postgres``), Redis, a ``dagster`` worker
and a ``gpu`` worker on free loopback ports, each in its own process group, and stops them
all afterwards with no process left. Runs are launched by ``chimera run`` with
``CHIMERA_PROFILE=celery``; the LLM is the Ollama-protocol test server, so answers are the
same as in a local run and can be compared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from chimera_pipeline.lib.config import PROJECT_ROOT
from chimera_pipeline_tests.fake_ollama import FakeOllama
from chimera_pipeline_tests.services import Postgres, Redis, Worker, group_alive
from chimera_pipeline_tests.support import (
    LLM_TABLES,
    REAL_CORPUS_ROOTS,
    chimera,
    clean_env,
    open_instance,
    table_snapshot,
)

pytestmark = pytest.mark.slow
DAYS = ("2025-09-28", "2025-10-03")  # two real-corpus days (2 and 6 files)
WRITERS = ("artifact_inventory", "benchmark_metrics", "benchmark_facts", "benchmark_report")
# a step's worker is given up after 4 s of silence; a queue with no listener after 20 s
# (long enough for a replacement worker to boot on a busy 2-core CI machine)
LOST_AFTER_S, NO_WORKER_AFTER_S = 4, 20


@pytest.fixture(scope="module")
def cluster(real_corpus: Path, tmp_path_factory: pytest.TempPathFactory):
    from celery import Celery

    base = tmp_path_factory.mktemp("scaleout")
    started = time.monotonic()
    services, workers = [], {}
    with FakeOllama() as fake:
        try:
            postgres, redis = Postgres().start(), Redis().start()
            services += [postgres, redis]
            env = {"CHIMERA_PROFILE": "celery", "DAGSTER_POSTGRES_URL": postgres.url,
                   "CHIMERA_CELERY_BROKER": redis.url(0), "CHIMERA_CELERY_BACKEND": redis.url(1),
                   "CHIMERA_CELERY_LOST_AFTER_S": str(LOST_AFTER_S),
                   "CHIMERA_CELERY_NO_WORKER_AFTER_S": str(NO_WORKER_AFTER_S),
                   "CHIMERA_ARTIFACT_ROOT": str(real_corpus),
                   "CHIMERA_SCAN_ROOTS": REAL_CORPUS_ROOTS,
                   "CHIMERA_DATA_DIR": str(base / "celery"),
                   "CHIMERA_LLM_BACKEND": "ollama", "OLLAMA_HOST": fake.url}
            full_env = clean_env(env)
            # create the instance's tables once, before workers race to do it
            subprocess.run([sys.executable, "-c", "from chimera_pipeline.deployment.instance import "
                            "prepare_dagster_home as p; from chimera_pipeline.lib.config.settings "
                            "import load_settings as s; p(s())"],
                           env=full_env, cwd=PROJECT_ROOT, check=True, timeout=120)
            app = Celery(broker=redis.url(0), backend=redis.url(1))
            for name, queue in (("cpu", "dagster"), ("gpu", "gpu")):
                workers[name] = Worker(name, queue, full_env, base).start(app)
            yield {"env": env, "full_env": full_env, "base": base, "fake": fake, "app": app,
                   "workers": workers, "postgres": postgres,
                   "startup_s": time.monotonic() - started}
        finally:
            os.environ.pop("DAGSTER_POSTGRES_URL", None)
            groups = [w.process.pid for w in workers.values() if w.process]
            groups += [s.process.pid for s in services if s.process]
            for worker in workers.values():
                worker.stop()
            for service in reversed(services):
                service.stop()
            assert not [pid for g in groups for pid in group_alive(g)], "orphans left"


def _instance(data_dir: Path, env: dict) -> dg.DagsterInstance:
    """The celery instance, read from this process (its dagster.yaml names the env var)."""
    os.environ["DAGSTER_POSTGRES_URL"] = env["DAGSTER_POSTGRES_URL"]
    return open_instance(data_dir / "dagster_home")


def _steps(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict]:
    """Per step: the Celery worker that ran it, and its start/end times (event log)."""
    steps: dict[str, dict] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        step = steps.setdefault(event.step_key, {"workers": [], "events": []})
        step["events"].append((event.event_type_value, record.timestamp))
        data = event.event_specific_data
        metadata = getattr(data, "metadata", None) or {}
        if "Celery worker" in metadata:
            step["workers"].append(metadata["Celery worker"].value)
    return steps


def _runs(instance: dg.DagsterInstance, since: float) -> list:
    return [r for r in instance.get_run_records() if r.create_timestamp.timestamp() >= since]


def _window(step: dict) -> tuple[float, float]:
    times = {kind: t for kind, t in step["events"]}
    return times["STEP_START"], times.get("STEP_SUCCESS") or times["STEP_FAILURE"]


def _comparable(data_dir: Path) -> dict:
    """What must match a local run: every deterministic table, the analysis and the claims
    (not call ids or timings), and each report's content."""
    snap = table_snapshot(data_dir / "warehouse.duckdb", exclude=LLM_TABLES)
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        snap["llm_analyses"] = con.execute(
            "SELECT partition, backend, model, user_prompt, analysis_json FROM llm_analyses "
            "ORDER BY partition").fetchall()
        snap["report_claims"] = con.execute(
            "SELECT partition, section, sentence, text, value, fact_id, verified FROM "
            "report_claims ORDER BY ALL").fetchall()
    for day in DAYS:
        report = json.loads((data_dir / "reports" / day / "report.json").read_text())
        snap[f"report {day}"] = {k: report[k] for k in (
            "day", "model", "files", "numbers_checked", "unverified", "narrative",
            "narrative_text", "summary_sentences", "key_findings", "recommendation_list",
            "facts", "claims")}
    return snap


def test_two_partitions_run_on_the_workers_and_match_a_local_run(cluster, tmp_path) -> None:
    dates = [arg for day in DAYS for arg in ("--date", day)]
    separate = {"CHIMERA_RUN_MERGE_GAP_DAYS": "0"}  # two runs, not one over both days
    local_env = {"CHIMERA_ARTIFACT_ROOT": cluster["env"]["CHIMERA_ARTIFACT_ROOT"],
                 "CHIMERA_DATA_DIR": str(tmp_path / "local"),
                 "CHIMERA_LLM_BACKEND": "ollama", "OLLAMA_HOST": cluster["fake"].url, **separate}
    local = chimera(["run", *dates], local_env, timeout=600)
    assert local.returncode == 0, local.stdout + local.stderr
    since = time.time()
    began = time.monotonic()
    result = chimera(["run", *dates], {**cluster["env"], **separate}, timeout=600)
    elapsed = time.monotonic() - began
    assert result.returncode == 0, result.stdout + result.stderr
    data_dir = Path(cluster["env"]["CHIMERA_DATA_DIR"])
    cpu, gpu = cluster["workers"]["cpu"].hostname, cluster["workers"]["gpu"].hostname
    overheads = []
    with _instance(data_dir, cluster["env"]) as instance:
        runs = _runs(instance, since)
        assert len(runs) == 2 and all(r.dagster_run.is_success for r in runs)
        for run in runs:
            steps = _steps(instance, run.dagster_run.run_id)
            assert "llm_analysis" in steps and "benchmark_report" in steps
            for key, step in steps.items():
                expected = gpu if key == "llm_analysis" else cpu
                assert step["workers"] == [expected], (key, step["workers"])
                submitted = min(t for kind, t in step["events"] if kind == "ENGINE_EVENT")
                overheads.append(_window(step)[0] - submitted)
    assert _comparable(data_dir) == _comparable(tmp_path / "local")
    print(f"\n2 runs, {len(overheads)} steps through Celery in {elapsed:.1f}s; submit->start "
          f"per step: median {sorted(overheads)[len(overheads) // 2]:.2f}s, max "
          f"{max(overheads):.2f}s; services+workers started in {cluster['startup_s']:.1f}s")


def test_concurrent_runs_never_open_the_warehouse_for_writing_twice(cluster) -> None:
    """A nightly run and a backfill at once: both succeed, writer steps never overlap."""
    since = time.time()
    launched = [subprocess.Popen(
        [sys.executable, "-m", "chimera_pipeline.cli", "run", "--date", day],
        env=cluster["full_env"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True) for day in DAYS]
    outputs = [p.communicate(timeout=600)[0] for p in launched]
    assert [p.returncode for p in launched] == [0, 0], outputs
    data_dir = Path(cluster["env"]["CHIMERA_DATA_DIR"])
    with _instance(data_dir, cluster["env"]) as instance:
        runs = _runs(instance, since)
        assert len(runs) == 2 and all(r.dagster_run.is_success for r in runs)
        windows = sorted(_window(step) for run in runs
                         for key, step in _steps(instance, run.dagster_run.run_id).items()
                         if key in WRITERS)
        assert len(windows) == 2 * len(WRITERS)
        for (_, end), (start, _) in zip(windows, windows[1:], strict=False):
            assert start >= end, windows
        slots = instance.event_log_storage.get_concurrency_info("duckdb_writer")
        assert slots.slot_count == 1 and not slots.claimed_slots


def _llm_run(cluster, kill) -> tuple[subprocess.CompletedProcess, float]:
    """Run one day with the LLM answer held back; call ``kill`` once the request arrived."""
    fake = cluster["fake"]
    fake.hang_s, fake.script = 30.0, ["hang"]
    arrivals = len(fake.arrivals)
    began = time.monotonic()
    # --force: the day's narrative, written by an earlier test from the same facts, would be
    # kept and the model never asked
    process = subprocess.Popen(
        [sys.executable, "-m", "chimera_pipeline.cli", "run", "--force", "--date", DAYS[0]],
        env=cluster["full_env"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 180
    while len(fake.arrivals) == arrivals and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(fake.arrivals) > arrivals, "llm_analysis never reached the LLM"
    kill()
    out = process.communicate(timeout=240)[0]  # the run must end, whatever happens
    return subprocess.CompletedProcess(process.args, process.returncode, out), \
        time.monotonic() - began


def test_gpu_worker_killed_mid_step_is_retried_on_a_new_worker(cluster) -> None:
    data_dir = Path(cluster["env"]["CHIMERA_DATA_DIR"])
    before = table_snapshot(data_dir / "warehouse.duckdb", exclude=LLM_TABLES)
    workers = cluster["workers"]
    since = time.time()

    def kill_and_replace() -> None:
        workers["gpu"].kill()
        workers["gpu"] = Worker("gpu2", "gpu", cluster["full_env"], cluster["base"]).start(
            cluster["app"])

    result, elapsed = _llm_run(cluster, kill_and_replace)
    assert result.returncode == 0, result.stdout
    with _instance(data_dir, cluster["env"]) as instance:
        (run,) = _runs(instance, since)
        step = _steps(instance, run.dagster_run.run_id)["llm_analysis"]
        kinds = [kind for kind, _ in step["events"]]
        assert "STEP_UP_FOR_RETRY" in kinds and kinds[-1] == "STEP_SUCCESS"
        assert [w.split("@")[0] for w in step["workers"]] == ["gpu", "gpu2"]
        retry = next(r for r in instance.all_logs(run.dagster_run.run_id)
                     if r.dagster_event and r.dagster_event.event_type_value ==
                     "STEP_UP_FOR_RETRY")
        assert "stopped answering" in retry.dagster_event.event_specific_data.error.message
    assert table_snapshot(data_dir / "warehouse.duckdb", exclude=LLM_TABLES) == before
    print(f"\nkilled gpu worker mid-step, retried on a new one: run took {elapsed:.1f}s")


def test_gpu_worker_killed_with_none_to_replace_it_fails_the_step_in_time(cluster) -> None:
    data_dir = Path(cluster["env"]["CHIMERA_DATA_DIR"])
    before = table_snapshot(data_dir / "warehouse.duckdb", exclude=LLM_TABLES)
    workers = cluster["workers"]
    since = time.time()
    result, elapsed = _llm_run(cluster, workers["gpu"].kill)
    try:
        assert result.returncode != 0, result.stdout
        assert elapsed < 150, elapsed  # lost after 4 s, retried, no listener after 20 s
        with _instance(data_dir, cluster["env"]) as instance:
            (run,) = _runs(instance, since)
            assert run.dagster_run.is_failure
            stats = {s.step_key: s.status.value
                     for s in instance.get_run_step_stats(run.dagster_run.run_id)}
            assert stats["llm_analysis"] == "FAILURE"
            assert {stats[k] for k in WRITERS[:3]} == {"SUCCESS"}
            failure = next(r for r in instance.all_logs(run.dagster_run.run_id)
                           if r.dagster_event and r.dagster_event.event_type_value ==
                           "STEP_FAILURE")
            assert "no Celery worker listens on queue 'gpu'" in \
                failure.dagster_event.event_specific_data.error.message
        assert table_snapshot(data_dir / "warehouse.duckdb",
                              exclude=LLM_TABLES) == before
    finally:
        workers["gpu"] = Worker("gpu3", "gpu", cluster["full_env"], cluster["base"]).start(
            cluster["app"])
    print(f"\nkilled gpu worker mid-step, none left: run failed after {elapsed:.1f}s")

