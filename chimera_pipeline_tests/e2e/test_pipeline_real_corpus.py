"""The Dagster pipeline end to end on the real corpus: counts, dates, numbers, idempotence,
parallel backfills. Every run here is a real Dagster run through a real instance."""

import datetime as dt
import math
import os
import re
import subprocess
import sys
from pathlib import Path

from chimera_pipeline.lib.config import PROJECT_ROOT
from chimera_pipeline.lib.facts import compute_days, fact_rows
from chimera_pipeline.lib.store.warehouse import fetch_dicts
from chimera_pipeline_tests import expected
from chimera_pipeline_tests.support import LLM_TABLES, REAL_CORPUS_ROOTS, chimera, table_snapshot


def test_every_file_is_catalogued_with_the_agent_counts(real_db, file_index) -> None:
    assert real_db.execute("SELECT count(*) FROM artifact_files").fetchone()[0] == len(file_index)
    scanned = dict(real_db.execute(
        "SELECT type, count(*) FROM artifact_files WHERE folder IN ('reports', 'csv_data') "
        "GROUP BY type").fetchall())
    assert scanned == {"csv": 28, "json": 44, "md": 29}
    pairs = real_db.execute(
        "SELECT count(*) FROM artifact_files WHERE duplicate_of IS NOT NULL").fetchone()[0]
    assert pairs == 4


def test_benchmark_dates_follow_the_rules(real_db, real_corpus, file_index) -> None:
    stored = {path: (day, source, partition) for path, day, source, partition in real_db.execute(
        "SELECT path, benchmark_date, date_source, partition FROM artifact_files").fetchall()}
    for row in file_index:
        day, source, partition = stored[row["path"]]
        assert partition == day.isoformat()
        expected = re.search(r"\d{4}-\d{2}-\d{2}", row["date_from_name"] or row["date_from_content"])
        if row["date_from_name"]:
            assert (day.isoformat(), source) == (expected.group(0), "path"), row["path"]
        elif expected:
            assert (day.isoformat(), source) == (expected.group(0), "content"), row["path"]
        else:
            mtime = os.stat(real_corpus / row["path"]).st_mtime
            assert source == "mtime", row["path"]
            assert day == dt.datetime.fromtimestamp(mtime, tz=dt.UTC).date()


def test_gemma3_baseline_throughput(real_db) -> None:
    means = dict(real_db.execute(
        "SELECT model, avg(decode_tps) FROM llm_runs WHERE suite = 'baseline' AND ok "
        "AND model LIKE 'gemma3:%' GROUP BY model").fetchall())
    assert set(means) == {"gemma3:latest", "gemma3:1b-it-qat", "gemma3:270m"}
    for model, tps in expected.BASELINE_DECODE_TPS.items():
        assert abs(means[model] - tps) <= 0.1


def test_timed_out_rows_are_kept_and_failed(real_db) -> None:
    rows = real_db.execute(
        "SELECT config_name, ok, decode_tps FROM llm_runs WHERE error = 'timed out' "
        "AND source_file = 'reports/gemma3/gemma3_270m_param_tuning.csv' ORDER BY 1").fetchall()
    assert rows == [("g60_c1024_t0.2", False, None), ("g60_c1024_t0.4", False, None)]
    zero_rates = real_db.execute(
        "SELECT count(*) FROM llm_runs WHERE decode_tps = 0 OR ttft_s = 0").fetchone()[0]
    assert zero_rates == 0  # a failed row's zeros are NULL, never 0 tok/s
    failed = real_db.execute("SELECT count(*) FROM llm_runs WHERE NOT ok").fetchone()[0]
    assert failed >= 50  # the prompt-suite runs that could not reach Ollama


def test_compile_times(real_db) -> None:
    trt = dict(real_db.execute(
        "SELECT bench_id, compile_time_s FROM compile_benchmarks WHERE backend = 'tensorrt' "
        "AND bench_id IN ('conv_cuda_bench', 'transformer_cuda_torchtrt')").fetchall())
    assert {bench: round(s, 2) for bench, s in trt.items()} == expected.TENSORRT_COMPILE_S
    failed = real_db.execute(
        "SELECT success, mean_ms, ok FROM compile_benchmarks "
        "WHERE bench_id = 'conv_cuda_bench' AND backend = 'torch_compile'").fetchall()
    assert failed == [(False, None, False)]


def test_parse_statuses_and_provenance(real_db) -> None:
    statuses = dict(real_db.execute(
        "SELECT parse_status, count(*) FROM artifact_files GROUP BY 1").fetchall())
    assert statuses == expected.PARSE_STATUSES
    path, error = real_db.execute(
        "SELECT path, parse_error FROM artifact_files WHERE parse_status = 'error'").fetchone()
    assert path == expected.UNPARSEABLE and "--page' is invalid" in error
    orphans = real_db.execute(
        "SELECT count(*) FROM metric_values v LEFT JOIN artifact_files f "
        "ON f.path = v.source_file AND f.partition = v.partition WHERE f.path IS NULL"
    ).fetchone()[0]
    assert orphans == 0
    grouped = real_db.execute(
        "SELECT value, raw_value FROM metric_values WHERE source_file = 'reports/ncu_ollama_raw.csv' "
        "AND metric = 'device__attribute_clock_rate' AND locator = 'row1.device__attribute_clock_rate'"
    ).fetchall()
    assert grouped == [(2280000.0, "22,80,000")]


def test_cli_reports_where_things_are_and_shows_progress(real_run) -> None:
    out = real_run["stdout"]
    assert f"warehouse: {real_run['warehouse']}" in out
    assert f"reports:   {real_run['data_dir'] / 'reports'}" in out
    # stale days a few days apart share a run, which says how many of its days it worked on
    assert re.search(r"\[1/\d+\] 2025-09-\d\d\.\.2025-10-\d\d \(\d+ of its days\): ok", out), out
    assert (real_run["data_dir"] / "dagster_home/dagster.yaml").is_file()


def test_materializing_a_partition_twice_gives_identical_tables(real_corpus, tmp_path) -> None:
    env = {"CHIMERA_ARTIFACT_ROOT": str(real_corpus),
           "CHIMERA_SCAN_ROOTS": REAL_CORPUS_ROOTS, "CHIMERA_DATA_DIR": str(tmp_path)}
    args = ["run", "--date", "2025-10-02", "--in-process", "--until", "benchmark_facts"]
    first = chimera(args, env)
    assert first.returncode == 0, first.stderr
    before = table_snapshot(tmp_path / "warehouse.duckdb", exclude=LLM_TABLES)
    second = chimera(args, env)
    assert second.returncode == 0, second.stderr
    assert table_snapshot(tmp_path / "warehouse.duckdb", exclude=LLM_TABLES) == before
    assert len(before["artifact_files"]) == 24 and len(before["compile_benchmarks"]) == 27


def test_parallel_multiprocess_backfill_equals_the_serial_run(real_run, tmp_path) -> None:
    """One run per partition, four runs at a time, each with the multiprocess executor, to
    the facts: the same inventory, metrics, facts, findings and alerts as the serial run
    (the days' facts compare them with earlier days, whichever day finished parsing first),
    and every day left done for the planner."""
    env = {**real_run["env"], "CHIMERA_DATA_DIR": str(tmp_path)}
    result = chimera(["run", "--per-partition", "--parallel", "4", "--multiprocess",
                      "--until", "benchmark_facts"], env, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lock" not in (result.stdout + result.stderr).lower()
    judged = result.stdout.count("(benchmark_facts to benchmark_facts): ok in")
    assert judged >= 1  # the facts in day order, a run per stretch of consecutive days
    assert result.stdout.count(": ok in") == expected.DAYS + judged
    skip = (*LLM_TABLES, "facts")
    parallel = table_snapshot(tmp_path / "warehouse.duckdb", exclude=skip)
    assert parallel == table_snapshot(real_run["warehouse"], exclude=skip)
    assert len(parallel["artifact_files"]) == expected.FILES and len(parallel["metric_values"]) > 5000
    assert parallel["findings"]
    order = "SELECT * FROM facts ORDER BY partition, fact_key, fact_id"
    assert _same_facts(fetch_dicts(_open(tmp_path / "warehouse.duckdb"), order),
                       fetch_dicts(_open(real_run["warehouse"]), order))
    (tmp_path / "cache").mkdir(exist_ok=True)
    for marker in tmp_path.rglob("*.settled.json"):  # compare every day, not the marker
        marker.unlink()
    again = chimera(["run", "--per-partition", "--parallel", "4", "--until", "benchmark_facts"],
                    env, timeout=300)
    assert "no benchmark days to run" in again.stdout, again.stdout


def _open(path: Path):
    import duckdb

    return duckdb.connect(str(path), read_only=True)


def test_definitions_load_with_dg_check() -> None:
    dg = Path(sys.executable).with_name("dg")
    result = subprocess.run([str(dg), "check", "defs"], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr


def test_real_corpus_facts(real_db) -> None:
    best = real_db.execute(
        "SELECT text_value FROM facts WHERE fact_key = 'sweep.gemma3:1b-it-qat.best_config'"
    ).fetchall()
    assert best == [(expected.BEST_SWEEP_CONFIG["gemma3:1b-it-qat"],)]
    means = dict(real_db.execute(
        "SELECT subject, value FROM facts WHERE fact_key LIKE 'llm.gemma3:%.baseline.decode_tps.mean'"
    ).fetchall())
    assert {k: round(v, 1) for k, v in means.items()} == expected.BASELINE_DECODE_TPS
    trt = real_db.execute(
        "SELECT round(value, 2) FROM facts WHERE fact_key = "
        "'compile.conv_cuda_bench.tensorrt.compile_time_s'").fetchall()
    assert trt == [(expected.TENSORRT_COMPILE_S["conv_cuda_bench"],)]
    failed = real_db.execute(
        "SELECT text_value FROM facts WHERE fact_key = 'compile.conv_cuda_bench.torch_compile.failed'"
    ).fetchone()[0]
    assert failed.startswith("failed")
    quality = dict(real_db.execute(
        "SELECT partition || ' ' || fact_key, value FROM facts WHERE category = 'quality'").fetchall())
    mtime_day = real_db.execute("SELECT partition FROM artifact_files "
                                "WHERE path = 'reports/ncu_summary.csv'").fetchone()[0]
    assert quality[f"{mtime_day} quality.parse_failures"] == 1
    assert quality[f"{mtime_day} quality.duplicates"] == 1  # the undated sweep summary copy
    assert quality["2025-09-30 quality.duplicates"] == 3  # two content-dated CSVs and the md



def _same_facts(left: list[dict], right: list[dict]) -> bool:
    """Equal, except that a value may differ in its last bits: DuckDB aggregates in
    parallel, so a standard deviation's last bits depend on how the rows were split, and the
    12 significant digits facts keep can round either way at a boundary."""
    if len(left) != len(right):
        return False
    for a, b in zip(left, right, strict=True):
        if {k: v for k, v in a.items() if k != "value"} != {
                k: v for k, v in b.items() if k != "value"}:
            return False
        if (a["value"] is None) != (b["value"] is None) or (
                a["value"] is not None and not math.isclose(a["value"], b["value"], rel_tol=1e-9)):
            return False
    return True


def test_facts_of_a_block_of_days_equal_each_day_alone_and_the_stored_ones(real_db) -> None:
    """Every producer computes a block of days in one query; that must give each day exactly
    what computing it alone gives, and what the runs stored."""
    days = [r[0] for r in real_db.execute(
        "SELECT DISTINCT partition FROM artifact_files ORDER BY 1").fetchall()]
    together = {day: fact_rows(day, facts) for day, facts in compute_days(real_db, days).items()}
    for day in days:
        assert _same_facts(fact_rows(day, compute_days(real_db, [day])[day]), together[day]), day
    columns = list(together[days[0]][0])
    stored = fetch_dicts(real_db, f"SELECT {', '.join(columns)} FROM facts")
    key = lambda row: (row["partition"], row["fact_id"])  # noqa: E731
    assert _same_facts(sorted(stored, key=key),
                       sorted((r for rows in together.values() for r in rows), key=key))
    assert len(stored) > 1000


def test_a_days_findings_are_distinct(real_db) -> None:
    """2025-10-08 once listed "5 of the 5 requests to llama3.1:8b-instruct-q5_K_M ... failed"
    twice (as a summary sentence and as a finding): each sentence is listed once a day, the
    summary's findings marked headline."""
    repeated = real_db.execute("SELECT partition, text, count(*) FROM findings GROUP BY ALL "
                               "HAVING count(*) > 1").fetchall()
    assert repeated == []
    headlines = real_db.execute("SELECT count(*) FROM findings WHERE partition = '2025-10-08' "
                                "AND headline").fetchone()[0]
    assert headlines == 2
