"""SIGKILL in the middle of a warehouse write: nothing half-written, and the next run works."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from chimera_pipeline.lib.config import PROJECT_ROOT
from chimera_pipeline.lib.sample import write_corpus
from chimera_pipeline_tests.services import group_alive
from chimera_pipeline_tests.support import chimera, chimera_command, clean_env, table_snapshot

DAY = "2025-09-23"
RUN = ["run", "--date", DAY, "--until", "benchmark_metrics"]  # in-process: fast set-up
KILLED_RUN = [*RUN, "--multiprocess"]  # the killed one writes from a step subprocess


def _kill_mid_write(env: dict[str, str], table: str, marker: Path) -> str:
    """Start a run that pauses inside ``table``'s write transaction; SIGKILL its group."""
    full_env = clean_env({**env, "CHIMERA_FAULT_PAUSE_IN_WRITE": f"{table}:{marker}"})
    proc = subprocess.Popen(chimera_command(*KILLED_RUN), env=full_env,
                            cwd=PROJECT_ROOT, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 180
    while not marker.exists():
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "the run never reached the write"
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30  # the step subprocess dies a moment later than the parent
    while group_alive(proc.pid):  # every thread: see group_alive
        assert time.monotonic() < deadline, "processes of the killed run survived SIGKILL"
        time.sleep(0.05)
    return marker.read_text()


@pytest.fixture
def crash_env(tmp_path: Path) -> dict:
    root = tmp_path / "artifacts"
    write_corpus(root)
    env = {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(tmp_path / "data")}
    first = chimera(RUN, env)
    assert first.returncode == 0, first.stdout + first.stderr
    # the next run has new data for the day, so a half-applied write would show
    (root / "reports/late_notes_20250923.md").write_text("# Late\n- Throughput: 55.5 tok/s\n")
    return {"env": env, "root": root, "tmp": tmp_path,
            "warehouse": tmp_path / "data/warehouse.duckdb"}


@pytest.mark.parametrize("table", ["artifact_files", "metric_values"])
def test_sigkill_mid_write_keeps_the_previous_tables(crash_env, table) -> None:
    before = table_snapshot(crash_env["warehouse"], exclude=("stage_timings",))
    killed_pid = _kill_mid_write(crash_env["env"], table, crash_env["tmp"] / "marker")
    assert killed_pid.isdigit()
    after = table_snapshot(crash_env["warehouse"], exclude=("stage_timings",))
    if table == "artifact_files":  # the run's first write: the warehouse is as it was
        assert after == before
    else:  # the inventory step had committed; every metric table is as before the run
        for name in ("llm_runs", "sweep_summaries", "compile_benchmarks", "timing_baselines",
                     "system_telemetry", "metric_values"):
            assert after[name] == before[name], name
        assert "reports/late_notes_20250923.md" in {r[1] for r in after["artifact_files"]}

    # the next run is not blocked by the dead run's pool slot, and completes
    again = chimera(RUN, crash_env["env"], timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "had died mid-step" in again.stdout

    undisturbed_env = {**crash_env["env"], "CHIMERA_DATA_DIR": str(crash_env["tmp"] / "clean")}
    clean = chimera(RUN, undisturbed_env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    exclude = ("stage_timings",)
    assert table_snapshot(crash_env["warehouse"], exclude) == table_snapshot(
        crash_env["tmp"] / "clean/warehouse.duckdb", exclude)
