"""The day's computed statistics (``derive_statements``): deterministic whatever order the
rows were inserted in, equal to Python's own statistics, and loaded from staged Parquet
files in whatever folder they are."""

from __future__ import annotations

import math
import random
import statistics
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chimera_pipeline.lib.store.results import derive_statements
from chimera_pipeline.lib.store.schema import arrow_schema
from chimera_pipeline.lib.store.warehouse import ensure_schema, replace_partitions

DAYS = ["2025-10-01", "2025-10-02"]
STATS = "metric, stat, value, unit, status"


def _requests(rng: random.Random) -> list[dict]:
    rows = []
    for day in DAYS:
        for model in ("gemma3:4b", "qwen2.5:7b"):
            for i in range(3000):
                ok = rng.random() > 0.05
                rows.append({
                    "partition": day, "source_file": f"d/{model}.jsonl", "run_key": "api",
                    "tool": "ollama", "model": model, "test": "chat", "request_index": i,
                    "ok": ok, "error": None if ok else "timed out", "has_summary": False,
                    "ttft_s": round(rng.lognormvariate(-3, 1.2), 6),
                    "e2e_latency_s": round(rng.uniform(0.5, 9.0), 6),
                    "decode_tps": round(rng.gauss(80, 6), 2),
                    "prefill_tps": rng.uniform(200, 3000),
                    # a column with gaps, and one whose values are all equal
                    "itl_s": rng.uniform(0.001, 0.05) if i % 3 else None,
                    "load_s": 0.1,
                })
    # a run none of whose requests succeeded: counts only, status failed
    rows += [{"partition": DAYS[0], "source_file": "d/dead.jsonl", "run_key": "dead",
              "tool": "vllm", "model": "m", "test": "t", "request_index": i, "ok": False,
              "error": "refused", "has_summary": False} for i in range(3)]
    return rows


def _llm_runs(rng: random.Random) -> list[dict]:
    rows = []
    for day in DAYS:
        for source in ("csv_data/quant.csv", "results/quant.json"):  # the same runs, twice
            for i in range(4000):
                local = random.Random(f"{day} {i}")
                rows.append({
                    "partition": day, "source_file": source, "source_row": i,
                    "suite": "quant_bench", "model": "llama3.1:8b", "config_name": None,
                    "ok": i % 50 != 0, "measurement_key": f"{day}:{i}",
                    "decode_tps": round(local.gauss(95, 4), 3),
                    "prefill_tps": local.uniform(500, 2500),
                    "ttft_s": local.lognormvariate(-2, 0.5),
                    "total_s": round(local.uniform(1, 20), 4), "load_s": local.uniform(0, 3),
                })
    rows += [{"partition": DAYS[1], "source_file": "csv_data/other.csv", "source_row": i,
              "suite": "prompt_suite", "model": "gemma3:4b", "config_name": "ctx4k",
              "ok": True, "measurement_key": f"o{i}", "decode_tps": rng.uniform(40, 60)}
             for i in range(500)]
    return rows


def _derived(rows: dict[str, list[dict]], shuffle: random.Random | None) -> list[tuple]:
    """The computed rows of a fresh warehouse into which ``rows`` were inserted, in their
    order or shuffled and in several inserts (so stored in another order)."""
    con = duckdb.connect()
    ensure_schema(con)
    for table, table_rows in rows.items():
        table_rows = list(table_rows)
        if shuffle:
            shuffle.shuffle(table_rows)
        chunk = len(table_rows) // 3 + 1 if shuffle else len(table_rows)
        for start in range(0, len(table_rows), chunk):
            con.register("incoming", pa.Table.from_pylist(table_rows[start:start + chunk],
                                                          schema=arrow_schema(table)))
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
            con.unregister("incoming")
    for sql in derive_statements():
        con.execute(sql, {"partitions": DAYS})
    return con.execute(
        "SELECT partition, source_file, run_key, tool, model, test, metric, stat, value, unit, "
        "status, locator, engine, raw_unit, derived FROM benchmark_results ORDER BY ALL"
    ).fetchall()


@pytest.fixture(scope="module")
def rows() -> dict[str, list[dict]]:
    rng = random.Random(7)
    return {"benchmark_requests": _requests(rng), "llm_runs": _llm_runs(rng)}


@pytest.fixture(scope="module")
def derived(rows) -> list[tuple]:
    return _derived(rows, None)


def test_the_same_rows_in_another_order_give_the_same_bits(rows, derived) -> None:
    for seed in (1, 2):
        assert _derived(rows, random.Random(seed)) == derived
    # the check means something: a plain float sum of these values depends on their order
    values = [r["prefill_tps"] for r in rows["llm_runs"] if r.get("prefill_tps")]
    assert sum(values) != sum(sorted(values))


def _found(derived: list[tuple], run_key: str, day: str) -> dict[str, float]:
    return {f"{r[6]}.{r[7]}": r[8] for r in derived if r[2] == run_key and r[0] == day}


def _expected(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"mean": statistics.mean(values), "median": statistics.median(values),
            "std": statistics.stdev(values), "p90": cuts[89], "p99": cuts[98],
            "min": min(values), "max": max(values), "count": len(values)}


def _assert_close(got: dict[str, float], metric: str, values: list[float]) -> None:
    for stat, expected in _expected(values).items():
        assert math.isclose(got[f"{metric}.{stat}"], expected, rel_tol=1e-12), (metric, stat)


def test_statistics_equal_python_statistics(rows, derived) -> None:
    requests = [r for r in rows["benchmark_requests"]
                if r["partition"] == DAYS[1] and r["model"] == "qwen2.5:7b"]
    got = _found(derived, "api qwen2.5:7b chat", DAYS[1])
    for column, metric in (("ttft_s", "ttft"), ("e2e_latency_s", "e2e_latency"),
                           ("decode_tps", "decode_tps"), ("prefill_tps", "prefill_tps"),
                           ("itl_s", "itl")):
        _assert_close(got, metric, [r[column] for r in requests
                                    if r["ok"] and r.get(column) is not None])
    completed = sum(r["ok"] for r in requests)
    assert (got["requests.value"], got["completed.value"]) == (len(requests), completed)
    assert got["error_rate.value"] == (len(requests) - completed) / len(requests)
    # all values equal: that value, and no spread at all
    assert (got["load_time.mean"], got["load_time.std"]) == (0.1, 0.0)


def test_llm_runs_count_a_measurement_once_by_its_first_record(rows, derived) -> None:
    first = {}
    for r in rows["llm_runs"]:
        if r["partition"] == DAYS[0] and r["suite"] == "quant_bench":
            first.setdefault(r["measurement_key"], r)  # the CSV's row comes first
    got = _found(derived, "chimeraforge:llama3.1:8b:quant_bench", DAYS[0])
    assert got["requests.value"] == len(first) == 4000
    for column, metric in (("decode_tps", "decode_tps"), ("total_s", "e2e_latency"),
                           ("ttft_s", "ttft"), ("load_s", "load_time")):
        _assert_close(got, metric, [r[column] for r in first.values() if r["ok"]])
    other = _found(derived, "chimeraforge:gemma3:4b:prompt_suite:ctx4k", DAYS[1])
    assert other["decode_tps.count"] == 500 and "ttft.count" not in other


def test_a_run_without_success_has_only_its_counts(derived) -> None:
    dead = [r for r in derived if r[2] == "dead m t"]
    assert {(r[6], r[8], r[10]) for r in dead} == {
        ("requests", 3.0, "failed"), ("completed", 0.0, "failed"), ("failed", 3.0, "failed"),
        ("error_rate", 1.0, "failed")}
    assert all(r[-1] is True for r in derived)


def test_staged_files_load_from_a_folder_with_glob_characters(tmp_path: Path) -> None:
    folder = tmp_path / "data [x]*?"
    folder.mkdir()
    row = {"partition": DAYS[0], "source_file": "d/a.jsonl", "run_key": "api", "tool": "t",
           "request_index": 0, "ok": True, "has_summary": False}
    impostor = tmp_path / "data xy"  # what the folder's name, read as a glob, matches
    impostor.mkdir()
    files = []
    for i in range(2):
        files.append(str(folder / f"benchmark_requests_{i}.parquet"))
        rows = [{**row, "request_index": i * 10_000 + k} for k in range(10_000)]
        pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema("benchmark_requests")),
                       files[-1], row_group_size=3000)
        pq.write_table(pa.Table.from_pylist(rows[:1], schema=arrow_schema("benchmark_requests")),
                       impostor / f"benchmark_requests_{i}.parquet")
    con = duckdb.connect()
    replace_partitions(con, [DAYS[0]], {"benchmark_requests": files})
    assert con.execute("SELECT count(*), count(DISTINCT request_index) "
                       "FROM benchmark_requests").fetchone() == (20_000, 20_000)


@pytest.mark.parametrize("name", ["o\\*", "u\\v [1]", "w\\x"])
def test_staged_files_load_from_a_folder_with_a_backslash(tmp_path: Path, name: str) -> None:
    """DuckDB's glob takes a backslash for a separator once a path holds a glob character:
    ``o\\*/x`` would read ``o/<anything>/x``. Such paths go the Arrow way and read exactly
    their own files, with a look-alike beside them."""
    folder = tmp_path / name
    folder.mkdir()
    impostor = tmp_path / name.split("\\")[0] / "zz"
    impostor.mkdir(parents=True, exist_ok=True)
    row = {"partition": DAYS[0], "source_file": "d/a.jsonl", "run_key": "api", "tool": "t",
           "request_index": 0, "ok": True, "has_summary": False}
    schema = arrow_schema("benchmark_requests")
    pq.write_table(pa.Table.from_pylist([row, {**row, "request_index": 1}], schema=schema),
                   folder / "b.parquet")
    pq.write_table(pa.Table.from_pylist([{**row, "request_index": 99}], schema=schema),
                   impostor / "b.parquet")
    con = duckdb.connect()
    replace_partitions(con, [DAYS[0]], {"benchmark_requests": [str(folder / "b.parquet")]})
    assert con.execute("SELECT list(request_index ORDER BY request_index) "
                       "FROM benchmark_requests").fetchone() == ([0, 1],)
