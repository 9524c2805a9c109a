"""The percentile set (``CHIMERA_PERCENTILES``): requests-based statistics compute it, beside
``median``, as ``quantile_cont`` has them; the report's tool table shows the percentiles the
tools wrote, and no column empty on every row."""

from __future__ import annotations

import statistics

import duckdb
import pytest

from chimera_pipeline.lib.config import SettingsError, load_settings
from chimera_pipeline.lib.report.comparison import comparison_rows, shown_columns
from chimera_pipeline.lib.store.results import derive_statements, quantiles
from chimera_pipeline.lib.store.warehouse import to_arrow

DAY = "2026-02-03"


def test_the_default_is_what_the_tools_write() -> None:
    assert load_settings({}).percentiles == ("p50", "p90", "p95", "p99")
    assert load_settings({"CHIMERA_PERCENTILES": "P99, p05,p99.90"}).percentiles == (
        "p99", "p5", "p99.9")
    for bad in ("p100", "median", "p0", "99", "p-5"):
        with pytest.raises(SettingsError, match="CHIMERA_PERCENTILES"):
            load_settings({"CHIMERA_PERCENTILES": bad})


def test_quantiles_read_in_decimal() -> None:
    assert quantiles(("p50", "p95", "p99.9")) == {"median": 0.5, "p50": 0.5, "p95": 0.95,
                                                  "p99.9": 0.999}


def _derived(con: duckdb.DuckDBPyConnection, percentiles: tuple[str, ...]) -> dict[str, float]:
    values = [0.1 * i * i for i in range(1, 38)]
    rows = [{"partition": DAY, "source_file": "r.jsonl", "run_key": "r", "tool": "llmperf",
             "model": "m", "test": "t", "request_index": i, "ok": True, "ttft_s": v,
             "has_summary": False} for i, v in enumerate(values, start=1)]
    rows.append({"partition": DAY, "source_file": "r.jsonl", "run_key": "r", "tool": "llmperf",
                 "model": "m", "test": "t", "request_index": 99, "ok": False,
                 "ttft_s": 1e9, "has_summary": False})  # a failed request never counts
    con.register("rows", to_arrow("benchmark_requests", rows))
    con.execute("INSERT INTO benchmark_requests BY NAME SELECT * FROM rows")
    con.unregister("rows")
    for sql in derive_statements(percentiles):
        con.execute(sql, {"partitions": [DAY]})
    got = dict(con.execute("SELECT stat, value FROM benchmark_results WHERE metric = 'ttft'"
                           ).fetchall())
    expected = dict(con.execute(
        "SELECT 'p95', quantile_cont(ttft_s, 0.95) FILTER (WHERE ok) FROM benchmark_requests"
    ).fetchall())
    assert got["p95"] == pytest.approx(expected["p95"], rel=1e-12)
    assert got["median"] == got["p50"] == pytest.approx(statistics.median(values))
    return got


def test_requests_statistics_compute_the_set(con: duckdb.DuckDBPyConnection) -> None:
    got = _derived(con, ("p50", "p90", "p95", "p99"))
    assert {"mean", "median", "p50", "p90", "p95", "p99", "std", "min", "max",
            "count"} == set(got)
    cuts = statistics.quantiles([0.1 * i * i for i in range(1, 38)], n=100, method="inclusive")
    for stat, cut in (("p90", cuts[89]), ("p95", cuts[94]), ("p99", cuts[98])):
        assert got[stat] == pytest.approx(cut, rel=1e-12), stat


def test_another_set(con: duckdb.DuckDBPyConnection) -> None:
    got = _derived(con, ("p50", "p95", "p99.9"))
    assert {"p50", "p95", "p99.9", "median"} <= set(got) and "p90" not in got
    values = sorted(0.1 * i * i for i in range(1, 38))
    assert values[-2] < got["p99.9"] <= values[-1]


def test_the_table_shows_the_percentiles_present(con: duckdb.DuckDBPyConnection) -> None:
    rows = [("vllm", "serve", "ttft", "median", 0.2), ("vllm", "serve", "ttft", "p99", 0.5),
            ("vllm", "serve", "ttft", "mean", 0.25),
            ("llmperf", "load", "ttft", "p95", 0.4), ("llmperf", "load", "ttft", "p50", 0.3)]
    con.register("rows", to_arrow("benchmark_results", [
        {"partition": DAY, "source_file": f"{tool}.json", "run_key": tool, "tool": tool,
         "model": "m", "test": test, "metric": metric, "stat": stat, "value": value,
         "unit": "s", "status": "ok"} for tool, test, metric, stat, value in rows]))
    con.execute("INSERT INTO benchmark_results BY NAME SELECT * FROM rows")
    table = comparison_rows(con, DAY, ("p50", "p90", "p95", "p99"))
    shown = [c["label"] for c in shown_columns(table, ("p50", "p90", "p95", "p99"))]
    assert shown == ["TTFT mean", "TTFT p50", "TTFT p95", "TTFT p99", "ITL mean",
                     "latency mean"]  # no tool wrote p90: no column
    by_tool = {r["tool"]: r["values"] for r in table}
    assert by_tool["vllm"]["ttft.p50"] == 0.2  # the tool's median is its p50
    assert by_tool["llmperf"]["ttft.p50"] == 0.3 and by_tool["vllm"]["ttft.p95"] is None
