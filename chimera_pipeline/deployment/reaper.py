"""Runs whose process died (SIGKILL, OOM, a closed laptop) must not block the next run.

A run killed mid-step never reports its end: Dagster keeps it STARTED and keeps its pool
slots claimed, so with ``duckdb_writer`` at 1 every later run waits forever. The daemon's
run monitoring cleans this up for runs it launched; ``chimera run`` launches runs itself,
so it tags each with the launching host and pid, and before starting new work marks the
runs whose process is gone as failed and frees their slots.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

HOST_TAG = "chimera/host"
PID_TAG = "chimera/pid"


def launcher_tags() -> dict[str, str]:
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")  # a recycled pid belongs to another program
    return not cmdline.exists() or b"chimera" in cmdline.read_bytes()


def reap_dead_runs(instance) -> list[str]:
    """Fail this host's unfinished runs whose launching process is gone; free their slots."""
    import dagster as dg

    unfinished = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING,
                  dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.CANCELING]
    runs = instance.get_runs(filters=dg.RunsFilter(
        statuses=unfinished, tags={HOST_TAG: socket.gethostname()}))
    reaped = []
    for run in runs:
        pid = run.tags.get(PID_TAG, "")
        if not pid.isdigit() or _alive(int(pid)):
            continue
        instance.report_run_failed(run, message=f"the process that ran it (pid {pid}) died "
                                   "before the run finished; marked failed by chimera run")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reaped.append(run.run_id)
    return reaped
