"""The sensor and ``chimera run`` agree on what needs a run, with the real Dagster daemon.

``chimera run`` settles a small tree; ``chimera ui`` (``dg dev``: webserver, daemon, code
server) then runs the ``new_artifacts`` sensor every 5 s against the same instance: two ticks
start nothing; a late file of an old day and a file of a new day give one run each, for
exactly those days; three consecutive new days give one run over the range; after them the
sensor settles the tree, ``chimera run`` finds nothing to do, and the nightly schedule skips
the up-to-date day with the reason instead of starting a run. The LLM step talks to the
tests' local server that speaks Ollama's protocol: what is under test here is which runs
start, not what the model writes, and the daemon's runs execute in one process each
(``CHIMERA_RUN_EXECUTOR``; the multiprocess executor is exercised by the real-corpus tests).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.scheduler.instigation import InstigatorType, TickStatus

from chimera_pipeline.defs.check_window import DAYS_TAG, PARTITION_TAG, RANGE_END, RANGE_START
from chimera_pipeline.lib.config import PROJECT_ROOT
from chimera_pipeline.lib.incremental.days import decode_days
from chimera_pipeline_tests.fake_ollama import FakeOllama
from chimera_pipeline_tests.support import (
    chimera,
    chimera_command,
    clean_env,
    free_port,
    open_instance,
    stop_process_group,
)

SWEEP = ("model,quant,prompt_tokens,decode_tps,ttft_ms\n"
         "gemma3:1b,Q4_K_M,128,{tps},210\ngemma3:1b,Q8_0,128,{tps2},260\n")
SENSOR_TAG = "dagster/sensor_name"


def _write(root: Path, day: dt.date, name: str = "sweep", tps: float = 52.0) -> None:
    path = root / "reports" / f"{name}_{day:%Y%m%d}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SWEEP.format(tps=tps, tps2=tps * 0.8))
    past = time.time() - 600
    os.utime(path, (past, past))


def _ticks(instance) -> list:
    states = [s for s in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
              if s.instigator_name == "new_artifacts"]
    if not states:
        return []
    return sorted(instance.get_ticks(states[0].instigator_origin_id, states[0].selector_id,
                                     limit=500), key=lambda t: t.timestamp)


def _window(run) -> tuple[str, str]:
    tags = run.tags
    if PARTITION_TAG in tags:
        return tags[PARTITION_TAG], tags[PARTITION_TAG]
    return tags[RANGE_START], tags[RANGE_END]


def _worked(run) -> set[str]:
    """The days a run worked on: its window, less the days its ``chimera/days`` tag skips."""
    first, last = _window(run)
    start = dt.date.fromisoformat(first)
    days = {(start + dt.timedelta(n)).isoformat()
            for n in range((dt.date.fromisoformat(last) - start).days + 1)}
    return days & decode_days(run.tags[DAYS_TAG]) if DAYS_TAG in run.tags else days


def _wait(what: str, predicate, timeout: float, process: subprocess.Popen):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        if process.poll() is not None:
            raise AssertionError(f"chimera ui exited ({process.returncode}) waiting for {what}")
        time.sleep(2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _ticks_after(instance, since: float, count: int) -> list | None:
    done = [t for t in _ticks(instance) if t.timestamp > since
            and t.status in (TickStatus.SKIPPED, TickStatus.SUCCESS, TickStatus.FAILURE)]
    return done if len(done) >= count else None


def _sensor_runs(instance) -> list:
    return instance.get_runs(filters=dg.RunsFilter(tags={SENSOR_TAG: "new_artifacts"}))


def _finished(instance, count: int) -> list | None:
    runs = _sensor_runs(instance)
    if len(runs) >= count and all(r.is_finished for r in runs):
        return runs
    return None


@pytest.fixture
def ollama():
    with FakeOllama() as server:
        yield server


@pytest.fixture
def ui(tmp_path: Path, ollama: FakeOllama):
    root, data = tmp_path / "artifacts", tmp_path / "data"
    for day in (1, 2, 3):
        _write(root, dt.date(2025, 10, day))
    env = {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(data),
           "CHIMERA_SENSOR_INTERVAL_SECONDS": "5", "CHIMERA_SENSOR_SETTLE_SECONDS": "1",
           "CHIMERA_LLM_BACKEND": "ollama", "OLLAMA_HOST": ollama.url,
           "CHIMERA_RUN_EXECUTOR": "in_process"}
    result = chimera(["run"], env, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 benchmark day(s) in 1 run(s)" in result.stdout
    process = subprocess.Popen(
        chimera_command("ui", "--port", str(free_port())), env=clean_env(env),
        cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        with open_instance(data / "dagster_home") as instance:
            yield {"root": root, "env": env, "process": process, "instance": instance,
                   "ollama": ollama}
    finally:
        stop_process_group(process, timeout=15)


def test_the_sensor_runs_exactly_what_the_cli_left_undone(ui, monkeypatch) -> None:
    instance, process, root = ui["instance"], ui["process"], ui["root"]
    cli_runs = len(instance.get_runs())
    started = time.time()
    ticks = _wait("two sensor ticks", lambda: _ticks_after(instance, 0, 2), 300, process)
    assert len(instance.get_runs()) == cli_runs, "the sensor re-ran what chimera run did"
    assert all(t.status == TickStatus.SKIPPED for t in ticks), [t.error for t in ticks]
    assert ticks[0].skip_reason.startswith("every day up to date: nothing changed")

    _write(root, dt.date(2025, 10, 2), name="late", tps=48.0)  # an old day's late file
    _write(root, dt.date(2025, 10, 6))  # a new day
    # four days apart: one run over the range, its tag naming the days it works on (two
    # runs when a tick fell between the two writes)
    both = {"2025-10-02", "2025-10-06"}
    runs = _wait("runs for the two days", lambda: (lambda done: done if done and both <= {
        d for r in done for d in _worked(r)} else None)(_finished(instance, 1)), 600, process)
    assert len(runs) <= 2 and both <= {d for r in runs for d in _worked(r)}
    if len(runs) == 1:
        assert _window(runs[0]) == ("2025-10-02", "2025-10-06")
        assert DAYS_TAG in runs[0].tags and "2025-10-04" not in _worked(runs[0])
    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), [r.status for r in runs]
    first = len(runs)

    for day in (8, 9, 10):
        _write(root, dt.date(2025, 10, day))
    runs = _wait("one run for three days", lambda: _finished(instance, first + 1), 600,
                 process)
    newest = max(runs, key=lambda r: instance.get_run_record_by_id(r.run_id).create_timestamp)
    assert _window(newest) == ("2025-10-08", "2025-10-10")
    assert newest.status == dg.DagsterRunStatus.SUCCESS
    assert len(_sensor_runs(instance)) == first + 1

    since = time.time()
    settled = _wait("a tick after the runs", lambda: _ticks_after(instance, since, 2), 300,
                    process)
    assert all(t.status == TickStatus.SKIPPED for t in settled)
    assert any(t.skip_reason.startswith("every day up to date") for t in settled)
    assert len(_sensor_runs(instance)) == first + 1
    calls = len(ui["ollama"].requests)
    assert time.time() - started < 1200

    result = chimera(["run"], ui["env"], timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nothing changed since the last run" in result.stdout  # the CLI agrees

    for key, value in ui["env"].items():
        monkeypatch.setenv(key, value)
    from chimera_pipeline.defs.automation.schedules import nightly_benchmarks

    when = dt.datetime(2025, 10, 11, 2, 0, tzinfo=dt.UTC)
    skip = nightly_benchmarks(dg.build_schedule_context(scheduled_execution_time=when))
    assert isinstance(skip, dg.SkipReason)
    assert skip.skip_message.startswith("2025-10-10 is up to date")
    assert len(ui["ollama"].requests) == calls  # no LLM call since the sensor's last run
