"""A 30+ partition backfill, 4 runs at once, 5 times over.

Each repetition must give exactly the rows of a serial run: no lock error, no lost or
doubled row. Meanwhile a reader polls the warehouse; every read either succeeds or gets
the clear "being written" message, and nothing it does can corrupt the file.

Dagster 1.13's multiprocess executor busy-waits while its steps wait for a pool slot, so
on a 2-core CI machine one 32-run multiprocess repetition takes about 5 minutes. CI runs the
five repetitions with in-process runs (still 4 processes writing at once, through the same
pools); parallel multiprocess runs are covered by the real-corpus backfill test
(``test_pipeline_real_corpus.py``: one run per day, four at a time, equal to the serial
run). ``CHIMERA_STRESS_MULTIPROCESS_REPETITIONS=N`` runs the first N on the multiprocess
executor.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from chimera_pipeline.lib.inventory.scan import scan_tree
from chimera_pipeline.lib.sample import write_corpus
from chimera_pipeline.lib.store.warehouse import WarehouseBusy, connect_read_only
from chimera_pipeline_tests.support import chimera, table_snapshot

REPETITIONS = 5
MULTIPROCESS = int(os.environ.get("CHIMERA_STRESS_MULTIPROCESS_REPETITIONS", "0"))
BACKFILL = ["run", "--force", "--per-partition", "--parallel", "4", "--until", "benchmark_metrics"]
SERIAL = ["run", "--until", "benchmark_metrics"]  # one in-process run per block of days


class Reader(threading.Thread):
    """Reads the warehouse in a loop, as someone running `duckdb` on it would."""

    def __init__(self, warehouse: Path) -> None:
        super().__init__(daemon=True)
        self.warehouse, self.stop = warehouse, threading.Event()
        self.ok, self.busy, self.other = 0, [], []

    def run(self) -> None:
        while not self.stop.wait(0.3):
            if not self.warehouse.exists():
                continue
            try:
                con = connect_read_only(self.warehouse, attempts=2, delay_s=0.05)
            except WarehouseBusy as exc:
                self.busy.append(str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - anything else is the failure we look for
                self.other.append(repr(exc))
                continue
            try:
                con.execute("SELECT count(*) FROM metric_values").fetchone()
                self.ok += 1
            except Exception as exc:  # noqa: BLE001
                if "does not exist" not in str(exc):  # before the first write made the table
                    self.other.append(repr(exc))
            finally:
                con.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("concurrency")
    write_corpus(base / "artifacts", files=96, seed=11, days=32)
    days = {r.partition for r in scan_tree(base / "artifacts", ("reports", "csv_data",
                                                                 "artifacts"), ("csv", "json", "md"))}
    env = {"CHIMERA_ARTIFACT_ROOT": str(base / "artifacts"), "CHIMERA_DATA_DIR": str(base / "serial")}
    serial = chimera(SERIAL, env)
    assert serial.returncode == 0, serial.stdout + serial.stderr
    return {"base": base, "days": days, "env": env,
            "serial": table_snapshot(base / "serial/warehouse.duckdb", exclude=("stage_timings",))}


def test_parallel_backfills_equal_the_serial_run_every_time(corpus) -> None:
    assert len(corpus["days"]) >= 30
    env = {**corpus["env"], "CHIMERA_DATA_DIR": str(corpus["base"] / "parallel")}
    warehouse = corpus["base"] / "parallel/warehouse.duckdb"
    counts = {t: len(rows) for t, rows in corpus["serial"].items()}
    for repetition in range(1, REPETITIONS + 1):
        reader = Reader(warehouse)
        reader.start()
        began = time.perf_counter()
        executor = "--multiprocess" if repetition <= MULTIPROCESS else "--in-process"
        result = chimera([*BACKFILL, executor], env, timeout=900)
        reader.stop.set()
        reader.join()
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert f"{len(corpus['days'])}/{len(corpus['days'])} run(s) succeeded" in output
        assert "lock" not in output.lower(), output
        assert table_snapshot(warehouse, exclude=("stage_timings",)) == corpus["serial"]
        assert not reader.other, reader.other[:3]
        assert all("being written by a running materialization" in m for m in reader.busy)
        print(f"\nrepetition {repetition} ({executor}): {time.perf_counter() - began:.0f}s, "
              f"rows {counts}, "
              f"reader ok {reader.ok} / busy {len(reader.busy)}")


def test_query_cli_reads_or_says_the_warehouse_is_busy(corpus) -> None:
    result = chimera(["query", "SELECT count(*) AS n FROM artifact_files"], corpus["env"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["n", str(len(corpus["serial"]["artifact_files"]))]
    # hold the file open for writing, as a running materialization does
    import duckdb

    writer = duckdb.connect(str(corpus["base"] / "serial/warehouse.duckdb"))
    try:
        busy = chimera(["query", "SELECT 1"], corpus["env"])
    finally:
        writer.close()
    assert busy.returncode == 3
    assert busy.stderr.count("\n") == 1 and "being written" in busy.stderr
    bad = chimera(["query", "SELEC nonsense"], corpus["env"])
    assert bad.returncode == 2 and bad.stderr.startswith("chimera: query failed")
    assert "Traceback" not in bad.stderr


def test_query_reads_the_warehouse_and_no_other_file_unless_asked(corpus, tmp_path) -> None:
    """``chimera query`` is read-only in fact: no COPY TO, no read_csv of another file, no
    ATTACH, and the setting cannot be turned back on from the SQL; ``--files`` opts in."""
    out = tmp_path / "out.csv"
    for sql in (f"COPY (SELECT 1) TO '{out}'", "SELECT * FROM read_csv('/etc/passwd')",
                f"ATTACH '{tmp_path / 'other.duckdb'}'",
                "SET enable_external_access = true"):
        result = chimera(["query", sql], corpus["env"])
        assert result.returncode == 2 and result.stderr.startswith("chimera: query failed"), sql
    assert not out.exists() and not (tmp_path / "other.duckdb").exists()
    allowed = chimera(["query", "--files", f"COPY (SELECT 1 AS a) TO '{out}'"], corpus["env"])
    assert allowed.returncode == 0, allowed.stderr
    assert out.read_text().splitlines() == ["a", "1"]
