"""The real outputs of other benchmark tools (../shared/corpus/other_tools) through the whole
pipeline: every file catalogued with its tool's kind, the MANIFEST's ground truth in
``benchmark_results``, each day's report showing that day's results, and the leaderboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chimera_pipeline_tests.provenance_checks import check_stored

# (file path ends with, metric, stat, value in the canonical unit, unit), from MANIFEST.md
GROUND_TRUTH = [
    ("vulkan_benchmark_20251211_072744.txt", "prefill_tps", "mean", 490.97, "tok/s",
     "config = 'ngl=100 fa=0 [GPU 0 ONLY]' AND test = 'pp512'"),
    ("lama-bench-rocm72-step35-flash-r128Q4KM.json", "prefill_tps", "mean", 260.610979, "tok/s",
     "test = 'pp512 @ d8192'"),
    ("brayniac+llm-performance/llama-bench.json", "decode_tps", "mean", 85.498819, "tok/s",
     "test = 'tg1280'"),
    ("Q8_0_p1024_b2048_ub1024_n0_r100.json", "prefill_tps", "mean", 10749.674264, "tok/s", "true"),
    ("performance/50/gpt-4-1-nano_550_150_summary.json", "ttft", "p50", 1.3883890850120224, "s",
     "true"),
    ("performance/50/gpt-4-1-nano_550_150_summary.json", "output_tps", "value", 81.4260088732917,
     "tok/s", "true"),
    ("performance/50/gpt-4-1-nano_550_150_summary.json", "input_tokens", "min", 472, "tokens",
     "true"),
    ("llama2-7b-chat_3500_150_summary.json", "ttft", "p50", 10.15299099800177, "s", "true"),
    ("llama2-7b-chat_3500_150_summary.json", "completed", "value", 80, "count", "true"),
    ("requests_16_tokens_550.txt", "output_tps", "value", 553.4514138134105, "tok/s", "true"),
    ("requests_16_tokens_550.txt", "completed", "value", 64, "count", "true"),
    ("requests_16_tokens_550.txt", "ttft", "p50", 0.70729352789931, "s", "true"),
    ("Meta-Llama-3-8B-Instruct_tp_1_results.json", "ttft", "p50", 0.15685620099975495, "s",
     "concurrency = 1"),
    ("result-short-rate2.json", "completed", "value", 999, "count", "true"),
    ("result-short-rate2.json", "failed", "value", 1, "count", "true"),
    ("result-short-rate2.json", "ttft", "mean", 0.1462969864134067, "s", "request_rate = 2"),
    ("benchmark_2025-05-13_04-37-51.json", "ttft", "p95", 0.26113618802046403, "s", "true"),
    ("benchmark_2025-05-13_04-37-51.json", "output_tps", "value", 698.4979897701463, "tok/s",
     "true"),
    ("throughput_llama8B_tp1.json", "total_tps", "value", 1198.996134490826, "tok/s", "true"),
    ("latency_llama8B_tp1.json", "e2e_latency", "p99", 7.868931790143251, "s", "true"),
    ("latency_llama8B_tp1.json", "e2e_latency", "mean", 7.1091228867570555, "s", "true"),
    ("run1-A-wl1.txt", "completed", "value", 150, "count", "true"),
    ("run1-A-wl1.txt", "ttft", "mean", 34.60308, "s", "true"),
    ("run1-A-wl1.txt", "itl", "p99", 1.1606, "s", "true"),
    ("example_output/benchmarks.json", "ttft", "mean", 1.0062143587008272, "s", "true"),
    ("example_output/benchmarks.json", "ttft", "median", 1.0058121681213379, "s", "true"),
    ("example_output/benchmarks.json", "ttft", "p99", 1.0194225311279297, "s", "true"),
    ("example_output/benchmarks.json", "completed", "value", 586, "count", "request_rate = 10"),
    ("guidellm_report_v2.json", "ttft", "mean", 0.00978386402130127, "s", "request_rate = 4"),
    ("concurrency1/profile_export_genai_perf.json", "ttft", "mean", 0.02462418879245283, "s",
     "concurrency = 1"),
    ("concurrency1/profile_export_genai_perf.json", "requests_per_s", "value", 1.4932838222478375,
     "req/s", "true"),
    ("concurrency250/profile_export_genai_perf.csv", "ttft", "mean", 2.15603, "s", "true"),
    ("concurrency250/profile_export_genai_perf.csv", "requests_per_s", "value", 34.48, "req/s",
     "true"),
    ("analyze_export_genai_perf.csv", "ttft", "p99", 0.23099, "s",
     "config = 'gpt2_run_config_0'"),
    ("profile_export_aiperf.csv", "ttft", "p99", 10.78421, "s", "true"),
    ("profile_export_aiperf.csv", "requests_per_s", "value", 0.72, "req/s", "true"),
    ("Deepseek-r1_7b 4060Ti_16gb.md", "output_tokens", "value", 268, "tokens", "true"),
    ("Deepseek-r1_7b 4060Ti_16gb.md", "decode_tps", "value", 48.38, "tok/s", "true"),
    ("Deepseek-r1_7b 4060Ti_16gb.md", "e2e_latency", "value", 6.029505, "s", "true"),
    ("Deepseek-r1_7b 4060Ti_16gb.md", "prompt_eval_time", "value", 0.47, "s", "true"),
    ("Deepseek-r1_7b Raspberry Pi 4.md", "e2e_latency", "value", 1535.616323214, "s", "true"),
    ("Deepseek-r1_7b Raspberry Pi 4.md", "output_tokens", "value", 1167, "tokens", "true"),
    ("Deepseek-r1_7b Raspberry Pi 4.md", "decode_tps", "value", 0.76, "tok/s", "true"),
    ("reports/ollama-bench.json", "decode_tps", "mean", 77.07235094138787, "tok/s",
     "locator = '[0].summary.mean_tps'"),
    ("reports/ollama-bench.md", "decode_tps", "mean", 77.07, "tok/s",
     "locator LIKE 'table 1 row 1.%'"),
]

DAYS = {  # file path ends with -> partition, from the run time the tool wrote
    "llama2-7b-chat_3500_150_summary.json": "2024-09-24",
    "example_output/benchmarks.json": "2025-09-23",
    "guidellm_report_v2.json": "2026-08-14",
    "profile_export_aiperf.csv": "2026-01-05",
    "result-short-rate2.json": "2026-04-26",
    "lama-bench-rocm72-step35-flash-r128Q4KM.json": "2026-03-02",
    "throughput-resource-20260317-151741.json": "2026-03-17",
}


def test_every_file_is_catalogued_with_its_tools_kind(tools_run: dict) -> None:
    rows = tools_run["con"].execute(
        "SELECT path, kind, parse_status, rows_loaded FROM artifact_files").fetchall()
    assert len(rows) == 41
    assert not [r for r in rows if r[1].startswith("generic_")]
    assert {r[2] for r in rows} == {"ok"}
    assert all(r[3] > 0 for r in rows), [r for r in rows if not r[3]]


def test_ground_truth_reaches_benchmark_results(tools_run: dict) -> None:
    con = tools_run["con"]
    for suffix, metric, stat, expected, unit, where in GROUND_TRUTH:
        found = con.execute(
            f"SELECT value, unit FROM benchmark_results WHERE source_file LIKE '%' || ? "
            f"AND metric = ? AND stat = ? AND status = 'ok' AND {where}",
            [suffix, metric, stat]).fetchall()
        assert len(found) == 1, (suffix, metric, stat, found)
        assert found[0][0] == pytest.approx(expected, rel=1e-12), (suffix, metric, stat)
        assert found[0][1] == unit, (suffix, metric)


def test_days_come_from_the_tools_run_time(tools_run: dict) -> None:
    rows = dict(tools_run["con"].execute(
        "SELECT path, partition FROM artifact_files").fetchall())
    for suffix, day in DAYS.items():
        assert [p for path, p in rows.items() if path.endswith(suffix)] == [day], suffix
    sources = dict(tools_run["con"].execute(
        "SELECT date_source, count(*) FROM artifact_files GROUP BY 1").fetchall())
    assert sources["tool"] >= 20


def test_recomputed_llmperf_mean_equals_the_summary(tools_run: dict) -> None:
    """The individual responses and the summary of one run (in two partitions: the responses
    carry no date) join by run_key; the mean over successful requests is the summary's."""
    pairs = tools_run["con"].execute("""
        WITH recomputed AS (SELECT run_key, avg(ttft_s) FILTER (WHERE ok) AS ttft,
                                   count(*) FILTER (WHERE ok) AS ok_requests
                            FROM benchmark_requests WHERE tool = 'llmperf' GROUP BY 1)
        SELECT r.run_key, r.ttft, s.value, r.ok_requests, c.value
        FROM recomputed r
        JOIN benchmark_results s ON s.run_key = r.run_key AND s.metric = 'ttft'
             AND s.stat = 'mean'
        JOIN benchmark_results c ON c.run_key = r.run_key AND c.metric = 'completed'
        ORDER BY 1""").fetchall()
    assert len(pairs) == 4
    for run_key, recomputed, summary, ok_requests, completed in pairs:
        assert recomputed == pytest.approx(summary, rel=1e-12), run_key
        assert ok_requests == completed


def test_each_days_report_shows_its_results(tools_run: dict) -> None:
    con, reports = tools_run["con"], tools_run["data_dir"] / "reports"
    days = [r[0] for r in con.execute(
        "SELECT DISTINCT partition FROM benchmark_results ORDER BY 1").fetchall()]
    assert len(days) >= 20
    for day in days:
        text = (reports / day / "report.md").read_text()
        assert "Every tool's results of the day" in text, day
        assert "No LLM request measurements on this day" not in text, day
        table = text.split("Every tool's results of the day", 1)[1].split("\n\n", 2)[1]
        for tool, model in con.execute(
                "SELECT DISTINCT tool, coalesce(model, '?') FROM benchmark_results "
                "WHERE partition = ?", [day]).fetchall():
            assert re.search(rf"^\| {re.escape(tool)} \| {re.escape(model)} \|", table,
                             re.MULTILINE), (day, tool, model)
    gemma = (reports / "2026-04-27" / "report.md").read_text()
    assert "| vllm | google/gemma-4-31B-it | openai | serve rate=inf | 380.4 output tok/s |" \
        in gemma
    assert "google/gemma-4-31B-it reached" in gemma  # a finding, not only the table


def test_rollup_has_the_cross_tool_leaderboard(tools_run: dict) -> None:
    rollup = (tools_run["data_dir"] / "reports" / "rollup.md").read_text()
    board = rollup.split("## Cross-tool leaderboard", 1)[1]
    assert "| Qwen/Qwen3-0.6B | constant rate=10 | 1251.5 | output_tps | guidellm |" in board
    tg128 = re.findall(r"^\| llama 7B Q4_0 \| tg128 [^|]*\| ([0-9.]+) \| decode_tps \|", board,
                       re.MULTILINE)
    assert tg128 == ["172.9"]  # one row per model and test: the best of the two Vulkan logs


def test_every_facts_provenance_returns_it(tools_run: dict, tmp_path: Path) -> None:
    """Each fact's provenance, run as ``chimera query`` runs it, returns the fact: those the
    findings cite, and every other one (chimera_pipeline_tests/provenance_checks.py)."""
    found = check_stored(tools_run["data_dir"] / "warehouse.duckdb", tmp_path)
    assert found.missing == []
    assert found.errors == []
    assert found.cited > 50 and found.facts > 500
