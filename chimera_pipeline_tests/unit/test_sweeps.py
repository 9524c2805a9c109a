"""Sweeps and their throughput-latency frontier: the rules (``lib/findings/frontier.py``), the
day's sweeps read from a warehouse (``lib/report/sweeps.py``), the report's table and chart,
and the finding that names the best config."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from chimera_pipeline.lib.findings import frontier
from chimera_pipeline.lib.findings.frontier import Point, build, parameters
from chimera_pipeline.lib.findings.rules import FactIndex, tool_sweeps
from chimera_pipeline.lib.report import charts
from chimera_pipeline.lib.report.sweeps import day_sweeps, sweep_tables
from chimera_pipeline.lib.store.warehouse import to_arrow

DAY = "2026-01-02"
TPS, LAT = ("output_tps", "value"), ("e2e_latency", "mean")


def _point(concurrency: int, tps: float | None, latency: float | None,
           failed: bool = False) -> Point:
    measures = {}
    if tps is not None:
        measures[TPS] = tps
    if latency is not None:
        measures[LAT] = latency
    return Point({"concurrency": str(concurrency)}, measures, failed)


def _names(sweep: frontier.Sweep, points: list[Point]) -> list[str]:
    return [sweep.name(p) for p in points]


def test_a_dominated_point_is_not_on_the_frontier() -> None:
    sweep = build(("k",), [_point(1, 100, 1.0), _point(2, 90, 2.0), _point(4, 200, 3.0),
                           _point(8, 150, 5.0)])
    assert _names(sweep, sweep.frontier) == ["concurrency=1", "concurrency=4"]
    assert _names(sweep, [p for p in sweep.points if p.best]) == ["concurrency=4"]
    # concurrency=2: less throughput at more latency than 1; 8: than 4
    assert not any(p.frontier for p in sweep.points if p.settings["concurrency"] in "28")


def test_ties() -> None:
    # equal in both: neither dominates the other, both are on the frontier
    sweep = build(("k",), [_point(1, 100, 1.0), _point(2, 100, 1.0), _point(4, 50, 2.0)])
    assert _names(sweep, sweep.frontier) == ["concurrency=1", "concurrency=2"]
    # equal throughput, more latency: dominated; the best is the lower latency, not the name
    sweep = build(("k",), [_point(1, 100, 3.0), _point(2, 100, 1.0)])
    assert _names(sweep, sweep.frontier) == ["concurrency=2"]
    assert sweep.best.settings == {"concurrency": "2"} and sweep.best.frontier
    # equal latency, less throughput: dominated
    sweep = build(("k",), [_point(1, 80, 1.0), _point(2, 100, 1.0)])
    assert _names(sweep, sweep.frontier) == ["concurrency=2"]


def test_one_point_is_no_sweep() -> None:
    assert build(("k",), [_point(1, 100, 1.0)]) is None
    # two results of one config: nothing differs
    assert build(("k",), [_point(1, 100, 1.0), _point(1, 90, 1.1)]) is None
    # two configs, one failed: one point is left
    assert build(("k",), [_point(1, 100, 1.0), _point(2, None, None, failed=True)]) is None
    assert frontier.group([(("a",), _point(1, 100, 1.0)), (("b",), _point(2, 90, 2.0))]) == []


def test_a_failed_run_is_never_a_point() -> None:
    sweep = build(("k",), [_point(1, 100, 2.0), _point(2, 150, 3.0),
                           _point(4, None, None, failed=True)])
    assert _names(sweep, sweep.frontier) == ["concurrency=1", "concurrency=2"]
    failed = next(p for p in sweep.points if p.failed)
    assert failed.throughput is None and not failed.frontier and not failed.best


def test_a_config_that_completed_nothing_is_not_first_on_the_frontier() -> None:
    """A run that completed no request but wrote its zeros (0 tok/s at 0 s, as vLLM's
    summary does) or a NaN is a failed config, not the frontier's lowest-latency point."""
    sweep = build(("k",), [_point(1, 100, 1.0), _point(2, 150, 2.0), _point(4, 0.0, 0.0),
                           _point(8, float("nan"), 0.5)])
    assert _names(sweep, sweep.frontier) == ["concurrency=1", "concurrency=2"]
    assert _names(sweep, [p for p in sweep.points if p.failed]) == ["concurrency=4",
                                                                    "concurrency=8"]
    # two configs, one of them at zero: no sweep left to draw
    assert build(("k",), [_point(1, 100, 1.0), _point(2, 0.0, 0.0)]) is None


def test_one_measure_for_the_whole_sweep() -> None:
    """A config that wrote only another latency is left out, never read by another measure."""
    odd = Point({"concurrency": "8"}, {TPS: 500.0, ("ttft", "mean"): 0.1})
    sweep = build(("k",), [_point(1, 100, 1.0), _point(2, 150, 2.0), odd])
    assert sweep.latency == LAT and odd.latency is None and not odd.frontier
    assert odd.best  # the highest throughput is still named: no point dominates it


def test_settings_come_from_the_data() -> None:
    assert parameters("750/150 tokens concurrency=16") == ("750/150 tokens",
                                                           {"concurrency": "16"})
    assert parameters("pp512 @ d8192") == ("pp512", {"depth": "8192"})
    assert parameters("llama 7B (ngl=99 fa=1 [GPU 1 ONLY])") == (
        "llama 7B ([GPU 1 ONLY])", {"ngl": "99", "fa": "1"})
    # a prompt is another test, not a setting
    assert parameters("Explain babashka in two sentences.") == (
        "Explain babashka in two sentences.", {})


def _result(test: str, metric: str, stat: str, value: float, *, model: str = "m",
            status: str = "ok", concurrency: float | None = None, unit: str = "s",
            run: str | None = None, tool: str = "llmperf") -> dict:
    return {"partition": DAY, "source_file": f"{run or test}.json", "locator": "x",
            "run_key": run or test, "tool": tool, "model": model, "test": test,
            "concurrency": concurrency, "metric": metric, "stat": stat, "value": value,
            "unit": unit, "status": status}


def _warehouse(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    con.register("rows", to_arrow("benchmark_results", rows))
    con.execute("INSERT INTO benchmark_results BY NAME SELECT * FROM rows")
    con.unregister("rows")


@pytest.fixture
def swept(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A concurrency sweep of model m: 1, 2 and 8 measured (2 dominated by 1: slower at more
    latency), 4 failed outright (only counts), and a one-config test of model n."""
    rows = []
    for level, tps, latency in ((1, 100.0, 1.0), (2, 90.0, 1.5), (8, 300.0, 4.0)):
        test = f"550/150 tokens concurrency={level}"
        rows += [_result(test, "output_tps", "value", tps, unit="tok/s", concurrency=level),
                 _result(test, "e2e_latency", "mean", latency, concurrency=level),
                 _result(test, "ttft", "p95", latency / 10, concurrency=level),
                 _result(test, "completed", "value", 10, unit="count", concurrency=level)]
    failed = "550/150 tokens concurrency=4"
    rows += [_result(failed, "completed", "value", 0, unit="count", status="failed",
                     concurrency=4),
             _result(failed, "failed", "value", 10, unit="count", status="failed",
                     concurrency=4)]
    rows += [_result("550/150 tokens concurrency=1", "output_tps", "value", 50.0, model="n",
                     unit="tok/s", concurrency=1, run="n1")]
    _warehouse(con, rows)
    return con


def test_the_days_sweep_from_the_warehouse(swept: duckdb.DuckDBPyConnection) -> None:
    sweeps = day_sweeps(swept, DAY)
    assert len(sweeps) == 1  # model n's single config is no sweep
    table = sweep_tables(sweeps)[0]
    assert table["model"] == "m" and table["swept"] == "concurrency"
    assert [(f["config"], f["throughput"], f["latency"], f["best"])
            for f in table["frontier"]] == [("concurrency=1", 100.0, 1.0, False),
                                            ("concurrency=8", 300.0, 4.0, True)]
    assert table["dominated"] == ["concurrency=2"]
    assert table["failed"] == ["concurrency=4"]
    # the table's numbers are the warehouse's
    for row in table["frontier"]:
        level = float(row["config"].split("=")[1])
        assert swept.execute(
            "SELECT value FROM benchmark_results WHERE model = 'm' AND concurrency = ? "
            "AND metric = 'output_tps'", [level]).fetchone()[0] == row["throughput"]


def test_the_chart_is_drawn(swept: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    sweep = day_sweeps(swept, DAY)[0]
    path = charts.sweep_frontier(sweep, "m", tmp_path, "sweep_frontier_1.png")
    assert path is not None and path.read_bytes()[:4] == b"\x89PNG"
    lonely = build(("k",), [_point(1, 100, None), _point(2, 150, None)])
    assert charts.sweep_frontier(lonely, "x", tmp_path, "none.png") is None


def _fact(fact_id: str, key: str, metric: str, value: float | None, context: str,
          subject: str = "m") -> dict:
    return {"fact_id": fact_id, "fact_key": key, "metric": metric, "value": value,
            "unit": "tok/s" if "tps" in metric else "s", "display": f"{value}",
            "subject": subject, "context": context, "category": "performance",
            "text_value": None, "label": key}


def test_the_best_config_finding_names_a_frontier_point() -> None:
    """Two configs tie on throughput; the finding names the one with the lower latency (the
    frontier's), not the first by name; a failed config is never named."""
    facts = []
    for n, (level, tps, latency) in enumerate(((1, 100.0, 1.0), (2, 300.0, 5.0),
                                               (4, 300.0, 3.0))):
        stem = f"tool.llmperf.m.t concurrency={level}"
        context = f"llmperf t concurrency={level}"
        facts += [_fact(f"F{n}a", f"{stem}.output_tps.value", "output_tps.value", tps, context),
                  _fact(f"F{n}b", f"{stem}.e2e_latency.mean", "e2e_latency.mean", latency,
                        context)]
    facts.append(_fact("F9", "tool.llmperf.m.t concurrency=8.status", "status", None,
                       "llmperf t concurrency=8"))
    found = list(tool_sweeps(FactIndex(facts)))
    assert len(found) == 1
    text = found[0].template  # each value cites its fact: concurrency=4's are F2a and F2b
    assert "concurrency=4 reached the highest output throughput, {F2a}, at request latency " \
        "{F2b}" in text
    assert "the frontier's other configs are concurrency=1." in text
    assert "concurrency=2" not in text and "concurrency=8" not in text
