"""Process pools for the Python-bound work (hashing a first scan, parsing chunks of files):
threads would share one core."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import sys

from chimera_pipeline.lib.config import load_settings


def parse_workers() -> int:
    """``CHIMERA_PARSE_WORKERS``, by default the CPUs this process may run on.

    1 inside a daemonic process, such as a Celery prefork child running a step: it may not
    start children, and there the deployment spreads work over workers instead."""
    billiard = sys.modules.get("billiard")
    if multiprocessing.current_process().daemon or (
            billiard is not None and billiard.current_process().daemon):
        return 1
    return load_settings().parse_workers or len(os.sched_getaffinity(0))


def spawn_pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """A process pool whose workers start fresh (``spawn``), not forked: the caller may be a
    Dagster step process running threads (and pyarrow's pool), and a forked child inherits
    their locks in whatever state they were."""
    context = multiprocessing.get_context("spawn")
    return concurrent.futures.ProcessPoolExecutor(workers, mp_context=context)
