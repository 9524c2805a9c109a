"""The torture corpus: hostile files next to valid ones, through the real pipeline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from chimera_pipeline.lib.config import PROJECT_ROOT
from chimera_pipeline_tests.support import chimera_command, clean_env
from chimera_pipeline_tests.torture import TORTURE_DAY, allowed, write_torture_tree

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
    proc = subprocess.Popen(chimera_command(*args), env=clean_env(env),
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
    clean_vars = {"CHIMERA_ARTIFACT_ROOT": str(clean / "artifacts"), "CHIMERA_DATA_DIR": str(clean)}
    clean_code, clean_output, _ = _run_measured(
        ["run", "--date", TORTURE_DAY, "--until", "benchmark_facts"], clean_vars)
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






