"""The torture corpus: hostile files next to valid ones, through the real pipeline."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from chimera_pipeline.lib.ingest import ingest
from chimera_pipeline.lib.scanning import inventory_row, scan_tree
from chimera_pipeline.lib.settings import PROJECT_ROOT
from chimera_pipeline_tests.conftest import FAST_LLM
from chimera_pipeline_tests.torture import TORTURE_DAY, allowed, write_torture_tree

ROOTS, EXTS = ("reports", "csv_data", "artifacts"), ("csv", "json", "md")
RSS_LIMIT_MB = 1024
APPENDER = """
import sys, time
end = time.time() + float(sys.argv[2])
with open(sys.argv[1], "a") as handle:
    i = 0
    while time.time() < end:
        handle.write(f"gemma3:latest,{50 + i % 7}.5\\n"); handle.flush(); i += 1
        time.sleep(0.005)
"""


def _run_measured(args: list[str], env: dict[str, str]) -> tuple[int, str, float]:
    """Run ``chimera`` and return (exit code, output, peak RSS in MB of that process)."""
    full_env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    full_env.update({**FAST_LLM, **env})
    proc = subprocess.Popen([sys.executable, "-m", "chimera_pipeline.cli", *args], env=full_env,
                            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, output, usage.ru_maxrss / 1024


def _files(warehouse: Path) -> dict[str, dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute("SELECT * FROM artifact_files WHERE partition = ?", [TORTURE_DAY])
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {row["path"]: row for row in rows}


def _typed_rows(warehouse: Path, paths: set[str]) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT * EXCLUDE (partition) FROM llm_runs").fetchall()
        values = con.execute("SELECT source_file, locator, metric, value, unit "
                             "FROM metric_values").fetchall()
    return sorted(r for r in rows if r[1] in paths) + sorted(v for v in values if v[0] in paths)


@pytest.fixture(scope="module")
def torture(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("torture")
    expected = write_torture_tree(base / "artifacts", base / "outside")
    growing = base / "artifacts/reports/torture/being_written_20250922.csv"
    appender = subprocess.Popen([sys.executable, "-c", APPENDER, str(growing), "60"])
    try:
        env = {"CHIMERA_ARTIFACT_ROOT": str(base / "artifacts"), "CHIMERA_DATA_DIR": str(base)}
        code, output, rss = _run_measured(
            ["run", "--date", TORTURE_DAY, "--until", "benchmark_facts"], env)
    finally:
        appender.kill()
        appender.wait()
    clean = tmp_path_factory.mktemp("clean")
    from chimera_pipeline.lib.sample import write_corpus

    write_corpus(clean / "artifacts")
    clean_env = {"CHIMERA_ARTIFACT_ROOT": str(clean / "artifacts"), "CHIMERA_DATA_DIR": str(clean)}
    clean_code, clean_output, _ = _run_measured(
        ["run", "--date", TORTURE_DAY, "--until", "benchmark_facts"], clean_env)
    assert clean_code == 0, clean_output
    print(f"\ntorture: {len(expected)} hostile files, peak RSS {rss:.0f} MB")
    return {"code": code, "output": output, "rss": rss, "expected": expected,
            "files": _files(base / "warehouse.duckdb"),
            "clean": _files(clean / "warehouse.duckdb"),
            "warehouse": base / "warehouse.duckdb", "clean_warehouse": clean / "warehouse.duckdb"}


def test_the_run_survives_every_hostile_file(torture) -> None:
    assert len(torture["expected"]) >= 40
    assert torture["code"] == 0, torture["output"]
    assert "Traceback" not in torture["output"]


def test_every_hostile_file_is_accounted_for_with_a_readable_error(torture) -> None:
    files = torture["files"]
    missing = set(torture["expected"]) - set(files)
    assert not missing, f"not in artifact_files: {sorted(missing)}"
    problems = [p for p in (allowed(torture["expected"], files[path])
                            for path in torture["expected"]) if p]
    assert not problems, "\n".join(problems)
    assert not any(row["parse_status"] == "pending" for row in files.values())


def test_every_valid_file_still_loads_as_in_a_clean_run(torture) -> None:
    files, clean = torture["files"], torture["clean"]
    assert clean and set(clean) <= set(files)
    for path, row in clean.items():
        got = files[path]
        assert (got["parse_status"], got["rows_loaded"], got["values_loaded"]) == (
            row["parse_status"], row["rows_loaded"], row["values_loaded"]), path
    valid = {p for p, r in clean.items() if r["parse_status"] == "ok"}
    assert _typed_rows(torture["warehouse"], valid) == _typed_rows(torture["clean_warehouse"],
                                                                   valid)


def test_memory_stays_bounded(torture) -> None:
    # the 50 MB single-line JSON is the largest thing in the tree
    assert torture["rss"] < RSS_LIMIT_MB, f"peak RSS {torture['rss']:.0f} MB"


def test_no_path_outside_the_root_is_ever_opened(tmp_path) -> None:
    """An audit hook sees every open(): scan + parse of the torture tree stay in the root."""
    root = tmp_path / "artifacts"
    write_torture_tree(root, tmp_path / "outside")
    opened: list[str] = []
    recording = [True]

    def hook(event: str, args: tuple) -> None:
        if recording[0] and event == "open" and isinstance(args[0], str | Path):
            opened.append(os.path.realpath(args[0]))

    sys.addaudithook(hook)  # audit hooks cannot be removed; the flag switches it off
    try:
        records = scan_tree(root, ROOTS, EXTS)
        inventory = [dict(inventory_row(r), scan_error=r.scan_error) for r in records]
        ingest(root, inventory)
    finally:
        recording[0] = False
    touched = {p for p in opened if p.startswith(str(tmp_path))}
    assert touched, "the audit hook saw no artifact opened"
    real_root = os.path.realpath(root)
    assert all(p.startswith(real_root + os.sep) for p in touched), sorted(touched)[:5]


def test_a_file_deleted_or_changed_between_scan_and_parse(tmp_path) -> None:
    root = tmp_path / "artifacts"
    (root / "reports").mkdir(parents=True)
    for name in ("gone_20250922.json", "changed_20250922.json", "kept_20250922.json"):
        (root / "reports" / name).write_text(f'{{"name": "{name}", "tokens_per_second": 10}}')
    inventory = [dict(inventory_row(r), scan_error=r.scan_error)
                 for r in scan_tree(root, ROOTS, EXTS)]
    (root / "reports/gone_20250922.json").unlink()
    (root / "reports/changed_20250922.json").write_text('{"tokens_per_second": 99}')
    status = {s.path: s for s in ingest(root, inventory).statuses}
    assert status["reports/gone_20250922.json"].parse_status == "unreadable"
    assert "No such file" in status["reports/gone_20250922.json"].parse_error
    assert status["reports/changed_20250922.json"].parse_status == "error"
    assert "changed since the inventory" in status["reports/changed_20250922.json"].parse_error
    assert status["reports/kept_20250922.json"].parse_status == "ok"


def test_a_file_growing_while_it_is_hashed_is_busy(tmp_path, monkeypatch) -> None:
    from chimera_pipeline.lib import scanning

    root = tmp_path / "artifacts"
    (root / "csv_data").mkdir(parents=True)
    path = root / "csv_data/live_20250922.csv"
    path.write_text("model,tokens_per_second\n")
    real = scanning._hash_and_head

    def hash_while_a_writer_appends(target: Path):
        digest = real(target)
        with target.open("a") as handle:  # the benchmark tool writes its next row meanwhile
            handle.write("gemma3,50\n")
        time.sleep(0.01)
        return digest

    monkeypatch.setattr(scanning, "_hash_and_head", hash_while_a_writer_appends)
    [record] = scan_tree(root, ROOTS, EXTS)
    assert record.scan_status == "busy" and "still being written" in record.scan_error
    monkeypatch.setattr(scanning, "_hash_and_head", real)
    [record] = scan_tree(root, ROOTS, EXTS)  # the next run takes it
    assert record.scan_status == "pending" and record.scan_error is None
