"""Helpers the tests share: the ``chimera`` command in a clean environment, table snapshots,
and where the real corpus's undated files fall."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import duckdb

from chimera_pipeline.lib.config import PROJECT_ROOT
from chimera_pipeline.lib.config.settings import defaults

# The embedded model is real in the tests; a small answer budget and context keep CI fast.
# The gate keeps what it writes honest, so the grounding check holds at its default.
FAST_LLM = {"CHIMERA_LLM_BACKEND": "embedded", "CHIMERA_LLM_MAX_TOKENS": "96",
            "CHIMERA_LLM_MAX_CTX": "2048", "CHIMERA_LLM_SCHEMA_RETRIES": "0"}
# the default scan roots and extensions, as the registry declares them
ROOTS: tuple[str, ...] = defaults()["scan_roots"]
EXTS: tuple[str, ...] = defaults()["extensions"]
# the real corpus's artifact folders: its MANIFEST.md and file_index.csv describe the files
# (the ground truth tests compare with) and are not themselves artifacts of the seed project
REAL_CORPUS_ROOTS = "reports,csv_data,artifacts"
LLM_TABLES = ("llm_calls", "llm_analyses", "report_claims", "analysis_inputs", "stage_timings")


def clean_env(overrides: dict[str, str] | None = None, fast_llm: bool = True
              ) -> dict[str, str]:
    """This process's environment without ``DAGSTER_HOME`` (each command then gets the
    instance in its own data dir), with the fast LLM settings and ``overrides``."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    if fast_llm:
        env.update(FAST_LLM)
    env.update(overrides or {})
    return env


def parse_items(records: list) -> list:
    """The inventory a run would parse, from scanned records (scan errors kept)."""
    from chimera_pipeline.lib.inventory.records import inventory_row
    from chimera_pipeline.lib.parsing.item import ParseItem

    return [ParseItem.from_row(dict(inventory_row(r), scan_error=r.scan_error))
            for r in records]


def chimera_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "chimera_pipeline.cli", *args]


def chimera(args: list[str], env: dict[str, str], timeout: int = 900
            ) -> subprocess.CompletedProcess[str]:
    """Run the real ``chimera`` entry point in a subprocess with ``env`` overrides."""
    return subprocess.run(chimera_command(*args), env=clean_env(env), capture_output=True,
                          text=True, timeout=timeout, cwd=PROJECT_ROOT)


def table_snapshot(warehouse: Path, exclude: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every warehouse table's rows, sorted, for comparing two warehouses."""
    from chimera_pipeline.lib.store.schema import TABLES

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {name: sorted(con.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
                for name in TABLES if name not in exclude}
    finally:
        con.close()


@contextlib.contextmanager
def warehouse_copy(path: Path, folder: Path):
    """A connection to a copy (in ``folder``) of the warehouse file at ``path``: a test's
    own, of one built once for its module."""
    copy = folder / "warehouse.duckdb"
    shutil.copyfile(path, copy)
    con = duckdb.connect(str(copy))
    try:
        yield con
    finally:
        con.close()


def open_instance(home: Path):
    """The Dagster instance a ``chimera`` command used (``$CHIMERA_DATA_DIR/dagster_home``),
    opened from its folder: the test's own environment has no DAGSTER_HOME."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))


def mtime_day(corpus: Path) -> str:
    """The partition of the corpus's undated files: their mtime's UTC day (copy time here)."""
    mtime = (corpus / "reports/gemma3/gemma3_baseline.csv").stat().st_mtime
    return dt.datetime.fromtimestamp(mtime, tz=dt.UTC).date().isoformat()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process_group(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM a process started with ``start_new_session`` and everything it spawned (the
    webserver's or ``dg dev``'s children), SIGKILL after ``timeout``."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def stepped_requests(seed: int = 5) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """An in-memory warehouse of eight request series over 45 nights (one in ten missed),
    some stepping up or down part way: alerts on several days, for the judging tests."""
    import random

    from chimera_pipeline.lib.store.warehouse import ensure_schema

    rng = random.Random(seed)
    con = duckdb.connect()
    ensure_schema(con)
    rows = []
    for s, (base, step_at, step) in enumerate([(rng.uniform(20, 200), rng.randrange(8, 40),
                                                rng.choice((0.8, 0.88, 1.0, 1.15)))
                                               for _ in range(8)]):
        for d in range(45):
            if rng.random() < 0.1:
                continue
            day = f"2025-{1 + d // 28:02d}-{1 + d % 28:02d}"
            night = base * (step if d >= step_at else 1.0) * (1 + rng.gauss(0, 0.02))
            for r in range(5):
                tps = night * (1 + rng.gauss(0, 0.03))
                rows.append((day, f"m{s}:7b", "quant_bench", f"f{s}_{day}.csv", r + 1, tps,
                             0.2 * (1 + rng.gauss(0, 0.03)), f"k{s}{day}{r}"))
    con.executemany("INSERT INTO llm_runs (partition, model, suite, source_file, source_row, "
                    "decode_tps, ttft_s, measurement_key, ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                    "true)", rows)
    return con, sorted({r[0] for r in rows})
