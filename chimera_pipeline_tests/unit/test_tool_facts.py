"""Facts from benchmark_results: per series, failed runs, twins counted once, changes across
days by the noise rule, statistics computed from requests and from llm_runs."""

from __future__ import annotations

import statistics

import pytest

from chimera_pipeline.lib.facts import compute_facts, fact_rows
from chimera_pipeline.lib.findings import derive
from chimera_pipeline.lib.store.results import derive_statements
from chimera_pipeline.lib.store.warehouse import replace_partitions, to_arrow

SERIES = {"tool": "llama-bench", "model": "llama 8B Q4_K - Medium", "engine": "llama.cpp CUDA",
          "hardware": "RTX 4090", "test": "tg128", "config": "ngl=99"}


def _result(day: str, metric: str, stat: str, value: float, unit: str, run: str = "a",
            source: str | None = None, status: str = "ok", **series: object) -> dict:
    return {"partition": day, "source_file": source or f"{run}.json", "run_key": f"{day}{run}",
            **SERIES, **series, "metric": metric, "stat": stat, "value": value, "unit": unit,
            "locator": "[0]", "status": status}


def _llama_day(day: str, mean: float, std: float, n: int = 5) -> list[dict]:
    return [_result(day, "decode_tps", "mean", mean, "tok/s"),
            _result(day, "decode_tps", "std", std, "tok/s"),
            _result(day, "decode_tps", "count", n, "count")]


def _load(con, rows: list[dict], table: str = "benchmark_results") -> None:
    days = sorted({r["partition"] for r in rows})
    replace_partitions(con, days, {table: to_arrow(table, rows)})


def _rows(facts: dict) -> list[dict]:
    """Facts as the findings engine reads them (``facts`` table rows)."""
    return fact_rows("day", list(facts.values()))


def _facts(con, day: str) -> dict:
    return {f.key: f for f in compute_facts(con, day)}


def test_a_series_gets_its_facts_and_a_finding(con) -> None:
    _load(con, _llama_day("2025-10-01", 101.0, 0.5))
    facts = _facts(con, "2025-10-01")
    key = "tool.llama-bench.llama 8B Q4_K - Medium.llama.cpp CUDA.RTX 4090.tg128.ngl=99"
    assert facts[f"{key}.decode_tps.mean"].value == 101.0
    assert facts[f"{key}.decode_tps.mean"].unit == "tok/s"
    rows = _rows(facts)
    found = derive("2025-10-01", rows)
    assert found.summary[0].startswith("Measured on 2025-10-01: llama 8B Q4_K - Medium")
    assert any(f.kind == "tool_result" for f in found.findings)


@pytest.mark.parametrize(("day3", "verdict"), [(90.9, "regression"), (100.7, "within noise"),
                                               (108.0, "within noise"), (113.0, "improvement")])
def test_changes_across_days_follow_the_regression_method(con, day3: float, verdict: str
                                                          ) -> None:
    """Three nights are fewer than the minimum history: only a change of 10 % or more with
    overwhelming within-night evidence against the previous night is one (the same method
    as the request series' alerts)."""
    _load(con, _llama_day("2025-10-01", 99.0, 0.5) + _llama_day("2025-10-02", 101.0, 0.5)
          + _llama_day("2025-10-03", day3, 0.5))
    facts = _facts(con, "2025-10-03")
    change = next(f for k, f in facts.items() if k.startswith("change.") and k.endswith(".pct"))
    assert change.text == verdict
    assert change.value == pytest.approx(100 * (day3 - 101.0) / 101.0)
    previous = next(f for k, f in facts.items() if k.endswith(".previous"))
    assert previous.value == 101.0 and previous.text == "2025-10-02"


def test_another_hardware_is_another_series(con) -> None:
    _load(con, _llama_day("2025-10-01", 99.0, 0.5)
          + [_result("2025-10-02", "decode_tps", "mean", 50.0, "tok/s", hardware="M4")])
    assert not [k for k in _facts(con, "2025-10-02") if k.startswith("change.")]


def test_a_failed_run_is_a_failure_not_a_zero(con) -> None:
    _load(con, [_result("2025-10-01", "completed", "value", 0, "count", status="failed"),
                _result("2025-10-01", "failed", "value", 200, "count", status="failed"),
                _result("2025-10-01", "error_rate", "value", 1.0, "ratio", status="failed")])
    facts = _facts(con, "2025-10-01")
    status = next(f for k, f in facts.items() if k.endswith(".status"))
    assert status.text == "failed: no request completed"
    assert not [k for k in facts if ".decode_tps." in k or ".ttft." in k]
    rows = _rows(facts)
    kinds = {f.kind for f in derive("2025-10-01", rows).findings}
    assert "run_failure" in kinds


def test_a_json_and_its_csv_twin_count_once_with_the_json_value(con) -> None:
    series = {"tool": "genai-perf", "engine": None, "hardware": None, "config": None,
              "test": "chat concurrency=1"}
    _load(con, [_result("2025-10-01", "ttft", "mean", 0.024624, "s", run="x", source="d/p.json",
                        **series),
                _result("2025-10-01", "ttft", "mean", 0.02462, "s", run="x", source="d/p.csv",
                        **series)])
    facts = _facts(con, "2025-10-01")
    ttft = [f for k, f in facts.items() if k.endswith(".ttft.mean")]
    assert [f.value for f in ttft] == [0.024624]


def test_statistics_of_request_only_files_exclude_failed_requests(con) -> None:
    ok = [2.0, 2.5, 3.0, 4.5]
    requests = [{"partition": "2025-10-01", "source_file": "api.jsonl", "run_key": "api",
                 "tool": "ollama", "model": "gemma3:4b", "test": "api", "request_index": i,
                 "ok": True, "decode_tps": v, "has_summary": False} for i, v in enumerate(ok)]
    requests.append({**requests[0], "request_index": 9, "ok": False, "decode_tps": 0.0,
                     "error": "timed out"})
    _load(con, requests, "benchmark_requests")
    for sql in derive_statements():
        con.execute(sql, {"partitions": ["2025-10-01"]})
    got = dict(con.execute("SELECT metric || '.' || stat, value FROM benchmark_results").fetchall())
    assert got["decode_tps.mean"] == pytest.approx(statistics.mean(ok))
    assert got["decode_tps.std"] == pytest.approx(statistics.stdev(ok))
    assert got["decode_tps.median"] == pytest.approx(statistics.median(ok))
    assert got["decode_tps.count"] == 4
    assert (got["requests.value"], got["completed.value"], got["failed.value"]) == (5, 4, 1)
    assert got["error_rate.value"] == pytest.approx(0.2)


def test_a_request_only_run_with_no_success_is_failed(con) -> None:
    _load(con, [{"partition": "2025-10-01", "source_file": "l.csv", "run_key": "l",
                 "tool": "ollama", "model": "qwen3:32b", "test": "num_ctx=8192",
                 "request_index": i, "ok": False, "error": "out of memory", "decode_tps": None,
                 "has_summary": False} for i in range(3)], "benchmark_requests")
    for sql in derive_statements():
        con.execute(sql, {"partitions": ["2025-10-01"]})
    rows = con.execute("SELECT metric, stat, status FROM benchmark_results ORDER BY 1").fetchall()
    assert {r[2] for r in rows} == {"failed"}
    assert {r[0] for r in rows} == {"requests", "completed", "failed", "error_rate"}


def test_project_suites_map_into_the_same_table(con) -> None:
    runs = [{"partition": "2025-10-01", "run_id": f"f#{i}", "source_file": "f.csv",
             "source_row": i, "suite": "baseline", "model": "gemma3:latest", "decode_tps": v,
             "ttft_s": 0.1, "ok": True, "measurement_key": f"k{i}"} for i, v in enumerate(
                 [100.0, 104.0])]
    runs.append({**runs[0], "run_id": "twin#0", "source_file": "twin.json"})  # same key
    _load(con, runs, "llm_runs")
    for sql in derive_statements():
        con.execute(sql, {"partitions": ["2025-10-01"]})
    got = dict(con.execute("SELECT metric || '.' || stat, value FROM benchmark_results "
                           "WHERE tool = 'chimeraforge' AND test = 'baseline'").fetchall())
    assert got["decode_tps.mean"] == 102.0 and got["requests.value"] == 2


def test_the_most_common_error_comes_from_the_tools_own_requests(con) -> None:
    series = {"tool": "llmperf", "engine": None, "hardware": None, "config": None,
              "test": "550/150 tokens concurrency=8"}
    _load(con, [_result("2025-10-01", "failed", "value", 3, "count", run="r", **series),
                _result("2025-10-01", "completed", "value", 7, "count", run="r", **series),
                _result("2025-10-01", "error_rate", "value", 0.3, "ratio", run="r", **series)])
    errors = ["429: Too Many Requests", "429: Too Many Requests", "500: boom"]
    _load(con, [{"partition": "2025-10-02", "source_file": "r_individual_responses.json",
                 "run_key": "2025-10-01r", "tool": "llmperf", "request_index": i, "ok": False,
                 "error": e, "has_summary": True} for i, e in enumerate(errors)],
          "benchmark_requests")  # the responses file carries no date: another day
    facts = _facts(con, "2025-10-01")
    top = next(f for k, f in facts.items() if k.endswith(".top_error"))
    assert top.text == "429: Too Many Requests"
    rows = _rows(facts)
    errors_found = [f for f in derive("2025-10-01", rows).findings if f.kind == "errors"]
    assert '"429: Too Many Requests"' in errors_found[0].template
