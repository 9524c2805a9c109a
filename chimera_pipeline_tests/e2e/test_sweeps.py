"""Sweeps in the benchmark tools corpus drawn in their day's report: llmperf's concurrency
sweep of Meta-Llama-3-8B-Instruct (2024-04-25, 8 configs, concurrency 1 to 128) gets a
throughput-latency chart, its frontier's configs in a table whose numbers are the
warehouse's, and a finding that names a frontier point. Reuses the session's tools run."""

from __future__ import annotations

import json
import re

import pytest

DAY, MODEL = "2024-04-25", "meta-llama/Meta-Llama-3-8B-Instruct"


def _section(text: str) -> str:
    assert "**Sweeps: throughput against latency**" in text
    return text.split("**Sweeps: throughput against latency**", 1)[1].split("\n## ", 1)[0]


def test_the_concurrency_sweep_has_a_frontier_chart_and_table(tools_run: dict) -> None:
    folder = tools_run["data_dir"] / "reports" / DAY
    text = (folder / "report.md").read_text()
    section = _section(text)
    assert f"llmperf {MODEL} 750/150 tokens*, over concurrency (8 configs" in section
    assert "![sweep_frontier_1.png](sweep_frontier_1.png)" in section
    chart = folder / "sweep_frontier_1.png"
    assert chart.is_file() and chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = re.findall(r"^\| (concurrency=\d+) \| ([0-9.]+) \| ([0-9.]+) \|", section,
                      re.MULTILINE)
    # throughput grows with concurrency and so does latency: every config is on the frontier
    assert [r[0] for r in rows] == [f"concurrency={n}" for n in (1, 2, 4, 8, 16, 32, 64, 128)]
    con = tools_run["con"]
    for config, throughput, latency in rows:
        level = float(config.split("=")[1])
        found = con.execute("""
            SELECT avg(value) FILTER (WHERE metric = 'output_tps'),
                   avg(value) FILTER (WHERE metric = 'e2e_latency' AND stat = 'mean')
            FROM benchmark_results WHERE partition = ? AND model = ? AND concurrency = ?
              AND status = 'ok' AND source_file LIKE '%.json'""", [DAY, MODEL, level]).fetchone()
        assert float(throughput) == pytest.approx(found[0], abs=0.005), config
        assert float(latency) == pytest.approx(found[1], abs=0.00005), config
    document = json.loads((folder / "report.json").read_text())
    assert "sweep_frontier_1.png" in document["charts"]
    frontier = document["sweep_frontiers"][0]
    assert [f["config"] for f in frontier["frontier"]] == [r[0] for r in rows]
    assert [f["config"] for f in frontier["frontier"] if f["best"]] == ["concurrency=128"]


def test_the_best_config_finding_names_a_frontier_point(tools_run: dict) -> None:
    text = (tools_run["data_dir"] / "reports" / DAY / "report.md").read_text()
    findings = text.split("## Key Findings", 1)[1].split("## Recommendations", 1)[0]
    best = re.search(rf"Of the configs of {re.escape(MODEL)} swept over concurrency in llmperf "
                     r"750/150 tokens, (concurrency=\d+) reached the highest output "
                     r"throughput", findings)
    assert best, findings
    frontier = re.findall(r"^\| (concurrency=\d+) \|", _section(text), re.MULTILINE)
    assert best.group(1) == "concurrency=128" and best.group(1) in frontier


def test_a_day_without_a_sweep_has_no_sweep_section(tools_run: dict) -> None:
    text = (tools_run["data_dir"] / "reports" / "2026-04-27" / "report.md").read_text()
    assert "Sweeps: throughput against latency" not in text


def test_the_tool_table_shows_the_percentiles_the_tools_wrote(tools_run: dict) -> None:
    """llmperf writes p50/p90/p95/p99; the vLLM serving file of 2026-04-27 writes median and
    p99 only, so its table has TTFT p50 (its median) and p99 and no empty p90/p95 columns."""
    llmperf = (tools_run["data_dir"] / "reports" / DAY / "report.md").read_text()
    header = next(line for line in llmperf.splitlines() if line.startswith("| tool | model |"))
    for stat in ("p50", "p90", "p95", "p99"):
        assert f"| TTFT {stat} |" in header and f"| latency {stat} |" in header
    vllm = (tools_run["data_dir"] / "reports" / "2026-04-27" / "report.md").read_text()
    header = next(line for line in vllm.splitlines() if line.startswith("| tool | model |"))
    assert "| TTFT p50 |" in header and "| TTFT p99 |" in header
    assert "| TTFT p90 |" not in header
