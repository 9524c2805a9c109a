"""The benchmark tools' readers on their real outputs (../shared/corpus/other_tools, ground
truth from its MANIFEST.md) and on the traps it names."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from chimera_pipeline.lib import formats
from chimera_pipeline.lib.formats.text import go_duration
from chimera_pipeline.lib.inventory.kinds import recognise_file
from chimera_pipeline.lib.parsing.parsers import ParseContext, parse

KINDS = {  # file (relative to the corpus) -> kind
    "llama-bench/1337hero+rx7900xtx-llama-bench-vulcan/benchmark-results/"
    "vulkan_benchmark_20251211_072744.txt": "llama_bench_table",
    "llama-bench/asoldano+javelit-llama-bench-viewer/lama-bench-rocm72-step35-flash-r128Q4KM.json":
        "llama_bench_results",
    "llmperf/HongxuanZhang+LLMPerf/result_outputs/GPU1/requests_16_tokens_550.txt":
        "llmperf_console",
    "llmperf/philschmid+llmperf-bench/results/2.0.1/"
    "meta-llama_Meta-Llama-3-8B-Instruct_tp_1_results.json": "llmperf_bench_results_json",
    "vllm/openshift-psap+inference-playbooks/models/glm-5.2/vllm/v0.23.0/single-node/results/"
    "run1-A-wl1.txt": "vllm_serve_console",
    "vllm/zhangxinyuehfad+vllm-benchmarks/benchmarks/results/latency_llama8B_tp1.json":
        "vllm_latency_json",
    "guidellm/rsevilla87+guidellm-results-parser/example_output/benchmarks.json":
        "guidellm_report",
    "genai-perf/ai-dynamo+dynamo/benchmarks/profiler/comparison/results/aic_all/validation/"
    "overload/profile_export_aiperf.csv": "aiperf_csv",
    "ollama/dambergn+ollama-benchmarks/data/Deepseek-r1_7b Raspberry Pi 4.md": "ollama_verbose",
    "ollama/riatzukiza+ollama-benchmarks/reports/ollama-bench.md": "benchmark_table_md",
    "ollama/rohilrao+ollama-benchmark/scripts/"
    "ollama_load_benchmark_results_np20_mlm3_kvq8.csv": "ollama_load_test_csv",
}


def read(corpus: Path, rel: str) -> tuple[str, str]:
    path = corpus / rel
    return path.read_bytes().decode("utf-8"), path.suffix.lstrip(".").lower()


def rows_of(corpus: Path, rel: str) -> tuple[list[dict], list[dict]]:
    """(benchmark_results rows, benchmark_requests rows) of one real file."""
    text, file_type = read(corpus, rel)
    kind, _ = recognise_file(rel, file_type, text[: 1 << 20])
    extracted = formats.extract(kind, rel, file_type, text)
    assert extracted is not None, f"{rel} not recognised ({kind})"
    results = [row for entry in extracted.entries for row in entry.rows()]
    return results, extracted.requests


def value(results: list[dict], metric: str, stat: str, **where: object) -> float:
    found = [r["value"] for r in results if r["metric"] == metric and r["stat"] == stat
             and all(r.get(k) == v for k, v in where.items())]
    assert len(found) == 1, (metric, stat, where, found)
    return found[0]


def test_every_file_of_the_corpus_gets_a_tool_kind(tools_corpus: Path) -> None:
    files = [p for p in tools_corpus.rglob("*") if p.is_file()
             and p.name not in ("MANIFEST.md", "INDEX.tsv")]
    assert len(files) == 41
    kinds = {}
    for path in files:
        rel = path.relative_to(tools_corpus).as_posix()
        text = path.read_bytes()[: 1 << 20].decode("utf-8")
        kinds[rel], _ = recognise_file(rel, path.suffix.lstrip(".").lower(), text)
    assert not [rel for rel, kind in kinds.items() if kind.startswith("generic_")]
    for rel, kind in KINDS.items():
        assert kinds[rel] == kind, rel


def test_kind_comes_from_content_not_the_folder(tools_corpus: Path) -> None:
    text, _ = read(tools_corpus, "vllm/tsho+vllm-benchmark-scripts/vllm-bench-tpu/bench-results/"
                   "20260426-195024-gemma4-tpu/result-short-rate2.json")
    assert recognise_file("elsewhere/anything.json", "json", text)[0] == "vllm_serve_json"
    assert recognise_file("vllm/x.json", "json", '{"model": "m", "value": 1}')[0] == "generic_json"


def test_llama_bench_ground_truth(tools_corpus: Path) -> None:
    results, _ = rows_of(tools_corpus, next(iter(KINDS)))
    gpu0 = [r for r in results if r["config"] == "ngl=100 fa=0 [GPU 0 ONLY]" and r["test"] == "pp512"]
    assert {(r["stat"], r["value"]) for r in gpu0} == {("mean", 490.97), ("std", 2.27)}
    assert gpu0[0]["metric"] == "prefill_tps" and gpu0[0]["tool_version"] == "34ce48d97 (7356)"
    assert gpu0[0]["unit"] == "tok/s" and gpu0[0]["hardware"] == "AMD Radeon RX 7900 XTX"
    results, _ = rows_of(tools_corpus, "llama-bench/asoldano+javelit-llama-bench-viewer/"
                         "lama-bench-rocm72-step35-flash-r128Q4KM.json")
    assert len({r["locator"].split(".")[0] for r in results}) == 12
    assert value(results, "prefill_tps", "mean", test="pp512 @ d8192") == 260.610979
    assert [r["run_at"] for r in results if r["test"] == "pp512 @ d8192"][0] == \
        "2026-03-02T01:15:52Z"
    results, _ = rows_of(tools_corpus, "llama-bench/brayniac+llm-performance/llama-bench.json")
    assert value(results, "decode_tps", "mean", test="tg1280") == 85.498819
    assert {r["model"] for r in results} == {"llama ?B Q3_K - Large"}
    results, _ = rows_of(tools_corpus, "llama-bench/khunguraharman+llama.cpp-benchmarks/results/"
                         "nvidia-rtx-3080/prefill-bench-results/"
                         "Llama-3.2-3B-Instruct-Q8_0_p1024_b2048_ub1024_n0_r100.json")
    assert value(results, "prefill_tps", "mean", test="pp1024") == 10749.674264
    assert value(results, "prefill_tps", "count") == 100
    assert "(10068)" in results[0]["tool_version"]


def test_llama_bench_json_after_console_lines_parses(tools_corpus: Path) -> None:
    rel = ("llama-bench/asoldano+javelit-llama-bench-viewer/"
           "lama-bench-rocm72-step35-flash-r128Q4KM.json")
    text, _ = read(tools_corpus, rel)
    out = parse(ParseContext(rel, "llama_bench_results", "json", "2026-03-02", text))
    assert len(out.rows["benchmark_results"]) == 60
    assert out.all_rows("metric_values") and any("2 line(s) before the JSON" in w
                                             for w in out.warnings)


def test_llmperf_ground_truth(tools_corpus: Path) -> None:
    base = "llmperf/johnsonafool+llmperf-test/result_outputs/gpt-4.1-nano_20260120_165625/"
    results, _ = rows_of(tools_corpus, base + "raw_data/performance/50/"
                         "gpt-4-1-nano_550_150_summary.json")
    assert value(results, "ttft", "p50") == 1.3883890850120224
    assert value(results, "output_tps", "value") == 81.4260088732917
    assert value(results, "input_tokens", "min") == 472  # written as the string "472"
    assert {r["unit"] for r in results if r["metric"] == "input_tokens"} == {"tokens"}
    assert results[0]["concurrency"] == 50 and results[0]["input_tokens"] == 550
    assert value(results, "error_rate", "value") == 0 and value(results, "completed", "value") == 10
    results, _ = rows_of(tools_corpus, "llmperf/HongxuanZhang+LLMPerf/result_outputs/"
                         "llama2-7b-chat_3500_150_summary.json")
    assert value(results, "ttft", "p50") == 10.15299099800177
    assert value(results, "completed", "value") == 80
    results, _ = rows_of(tools_corpus, "llmperf/HongxuanZhang+LLMPerf/result_outputs/GPU1/"
                         "requests_16_tokens_550.txt")
    assert value(results, "output_tps", "value") == 553.4514138134105
    assert value(results, "completed", "value") == 64
    assert value(results, "ttft", "p50") == 0.70729352789931
    results, _ = rows_of(tools_corpus, "llmperf/philschmid+llmperf-bench/results/2.0.1/"
                         "meta-llama_Meta-Llama-3-8B-Instruct_tp_1_results.json")
    assert value(results, "ttft", "p50", concurrency=1.0) == 0.15685620099975495


def _mean_ok_ttft(requests: list[dict]) -> float:
    con = duckdb.connect()
    con.register("requests", pa.Table.from_pylist(requests))
    return con.execute("SELECT avg(ttft_s) FROM requests WHERE ok").fetchone()[0]


def test_llmperf_recomputed_mean_excludes_failed_requests(tools_corpus: Path) -> None:
    """97 of 150 requests failed (with timings still present, as a failing server leaves
    them): the mean over the 53 that succeeded equals the summary llmperf wrote for them."""
    folder = tools_corpus / "llmperf/HongxuanZhang+LLMPerf/result_outputs"
    ok = json.loads((folder / "llama2-7b-chat_3500_150_individual_responses.json").read_text())
    summary = json.loads((folder / "llama2-7b-chat_3500_150_summary.json").read_text())
    extracted = formats.extract("llmperf_responses_json", "r_individual_responses.json", "json",
                                json.dumps(ok))
    assert math.isclose(_mean_ok_ttft(extracted.requests), summary["results_ttft_s_mean"],
                        rel_tol=1e-12)
    kept = ok[:53]
    failed = [{**row, "error_code": 429, "error_msg": "Too Many Requests", "ttft_s": 0.0,
               "end_to_end_latency_s": 0.01} for row in (ok * 2)[:97]]
    extracted = formats.extract("llmperf_responses_json", "r_individual_responses.json", "json",
                                json.dumps(kept + failed))
    assert sum(not r["ok"] for r in extracted.requests) == 97
    expected = sum(row["ttft_s"] for row in kept) / 53
    assert math.isclose(_mean_ok_ttft(extracted.requests), expected, rel_tol=1e-12)


def test_a_run_where_nothing_completed_is_a_failure_not_zeros() -> None:
    summary = {"version": "2023-08-31", "model": "m", "mean_input_tokens": 550,
               "mean_output_tokens": 150, "num_concurrent_requests": 4,
               "results_ttft_s_mean": 0.0, "results_ttft_s_quantiles_p50": 0.0,
               "results_mean_output_throughput_token_per_s": 0.0,
               "results_num_completed_requests": 0, "results_number_errors": 12,
               "results_error_rate": 1.0, "timestamp": 1768899557}
    head = json.dumps(summary)
    assert recognise_file("s_summary.json", "json", head)[0] == "llmperf_summary_json"
    rows = [r for e in formats.extract("llmperf_summary_json", "s_summary.json", "json", head)
            .entries for r in e.rows()]
    assert {r["metric"] for r in rows} == {"completed", "failed", "error_rate"}
    assert {r["status"] for r in rows} == {"failed"}
    serve = {"date": "20250507-100236", "backend": "vllm", "model_id": "m", "num_prompts": 5,
             "request_rate": "inf", "completed": 0, "failed": 5, "mean_ttft_ms": 0.0,
             "output_throughput": 0.0}
    rows = [r for e in formats.extract("vllm_serve_json", "v.json", "json", json.dumps(serve))
            .entries for r in e.rows()]
    assert "ttft" not in {r["metric"] for r in rows} and {r["status"] for r in rows} == {"failed"}


def test_vllm_ground_truth(tools_corpus: Path) -> None:
    results, _ = rows_of(tools_corpus, "vllm/tsho+vllm-benchmark-scripts/vllm-bench-tpu/"
                         "bench-results/20260426-195024-gemma4-tpu/result-short-rate2.json")
    assert value(results, "completed", "value") == 999 and value(results, "failed", "value") == 1
    assert value(results, "ttft", "mean") == pytest.approx(0.1462969864134067, rel=1e-15)
    assert results[0]["request_rate"] == 2.0 and results[0]["run_at"] == "20260426-201641"
    assert value(results, "total_input_tokens", "value") == 1022976  # a count, not a rate
    assert {r["unit"] for r in results if r["metric"] == "requests_per_s"} == {"req/s"}
    results, _ = rows_of(tools_corpus, "vllm/llm-d+llm-d-benchmark/collected/data/openshift/exp-7/"
                         "H100/llm-d-1p1d/benchmark_2025-05-13_04-37-51.json")
    assert value(results, "ttft", "p95") == pytest.approx(0.26113618802046403, rel=1e-15)
    assert value(results, "output_tps", "value") == 698.4979897701463
    assert "goodput" not in {r["metric"] for r in results}  # "request_goodput:" is null
    inf, _ = rows_of(tools_corpus, "vllm/Potabk+vllm-ascend/benchmarks/results/"
                     "serving_qwen2_5vl_7B_tp1_qps_inf.json")
    assert inf[0]["request_rate"] is None and "rate=inf" in inf[0]["test"]  # no infinity stored
    results, _ = rows_of(tools_corpus, "vllm/zhangxinyuehfad+vllm-benchmarks/benchmarks/results/"
                         "throughput_llama8B_tp1.json")
    assert value(results, "total_tps", "value") == 1198.996134490826
    results, _ = rows_of(tools_corpus, "vllm/zhangxinyuehfad+vllm-benchmarks/benchmarks/results/"
                         "latency_llama8B_tp1.json")
    assert value(results, "e2e_latency", "p99") == 7.868931790143251
    assert value(results, "e2e_latency", "mean") == 7.1091228867570555
    results, _ = rows_of(tools_corpus, next(k for k in KINDS if k.endswith("run1-A-wl1.txt")))
    assert len({r["run_key"] for r in results}) == 1  # the argparse-error run has no block
    assert value(results, "completed", "value") == 150
    assert value(results, "ttft", "mean") == pytest.approx(34.60308)
    assert value(results, "itl", "p99") == pytest.approx(1.1606)


def test_guidellm_ground_truth(tools_corpus: Path) -> None:
    results, requests = rows_of(tools_corpus, "guidellm/rsevilla87+guidellm-results-parser/"
                                "example_output/benchmarks.json")
    assert value(results, "ttft", "mean") == pytest.approx(1.0062143587008272, rel=1e-15)
    assert value(results, "ttft", "median") == pytest.approx(1.0058121681213379, rel=1e-15)
    assert value(results, "ttft", "p99") == pytest.approx(1.0194225311279297, rel=1e-15)
    assert value(results, "completed", "value") == 586
    assert value(results, "incomplete", "value") == 23
    assert results[0]["model"] == "Qwen/Qwen3-0.6B" and results[0]["request_rate"] == 10.0
    # request_latency is in seconds, the other latencies in ms
    assert value(results, "e2e_latency", "mean") < 10
    assert sum(r["ok"] for r in requests) == 586 and len(requests) == 609
    assert all(r["error"] for r in requests if not r["ok"])  # incomplete: "TimeoutError..."
    results, _ = rows_of(tools_corpus, "guidellm/llm-d+llm-d-benchmark/tests/fixtures/"
                         "guidellm_report_v2.json")
    second = [r for r in results if r["request_rate"] == 4.0]
    assert value(second, "ttft", "mean") == pytest.approx(0.00978386402130127, rel=1e-15)
    assert {r["tool_version"] for r in results} == {"0.8.0.dev18"}


def test_guidellm_yaml_reads_like_json(tools_corpus: Path) -> None:
    import yaml

    rel = "guidellm/llm-d+llm-d-benchmark/tests/fixtures/guidellm_report_v2.json"
    text, _ = read(tools_corpus, rel)
    as_yaml = yaml.safe_dump(json.loads(text), sort_keys=False)
    kind, dated = recognise_file("report/benchmarks.yaml", "yaml", as_yaml)
    assert kind == "guidellm_report" and dated.source == "tool"
    from_yaml = formats.extract(kind, "report/benchmarks.yaml", "yaml", as_yaml)
    from_json = formats.extract(kind, rel, "json", text)
    strip = [{k: v for k, v in r.items() if k != "run_key"}
             for e in from_yaml.entries for r in e.rows()]
    assert strip == [{k: v for k, v in r.items() if k != "run_key"}
                     for e in from_json.entries for r in e.rows()]


def test_genai_perf_and_aiperf_ground_truth(tools_corpus: Path) -> None:
    base = "genai-perf/FernandoDorado+sizing-llm-inference-nvidia/artifacts/"
    results, _ = rows_of(tools_corpus, base + "meta_llama3-8b-instruct-openai-chat-concurrency1/"
                         "profile_export_genai_perf.json")
    assert value(results, "ttft", "mean") == pytest.approx(0.02462418879245283, rel=1e-15)
    assert value(results, "requests_per_s", "value") == 1.4932838222478375
    assert results[0]["concurrency"] == 1 and results[0]["model"] == "meta/llama3-8b-instruct"
    csv_rows, _ = rows_of(tools_corpus, base + "meta_llama3-8b-instruct-openai-chat-concurrency250/"
                          "profile_export_genai_perf.csv")
    assert value(csv_rows, "ttft", "mean") == pytest.approx(2.15603)  # written "2,156.03"
    assert value(csv_rows, "requests_per_s", "value") == 34.48
    assert {r["run_key"] for r in csv_rows} == {base.rstrip("/") + "/meta_llama3-8b-instruct-"
                                                "openai-chat-concurrency250"}
    results, _ = rows_of(tools_corpus, "genai-perf/triton-inference-server+perf_analyzer/"
                         "genai-perf/analyze_export_genai_perf.csv")
    config0 = [r for r in results if r["config"] == "gpt2_run_config_0"]
    assert value(config0, "ttft", "p99") == pytest.approx(0.23099)
    assert value(config0, "requests", "value") == 100
    rel = ("genai-perf/ai-dynamo+dynamo/benchmarks/profiler/comparison/results/aic_all/"
           "validation/overload/profile_export_aiperf.csv")
    results, _ = rows_of(tools_corpus, rel)
    assert {r["tool"] for r in results} == {"aiperf"}
    assert value(results, "ttft", "p99") == pytest.approx(10.78421)
    assert value(results, "requests_per_s", "value") == 0.72
    text, _ = read(tools_corpus, rel)
    assert str(recognise_file(rel, "csv", text)[1].date) == "2026-01-05"


def test_ollama_ground_truth(tools_corpus: Path) -> None:
    results, _ = rows_of(tools_corpus, "ollama/dambergn+ollama-benchmarks/data/"
                         "Deepseek-r1_7b 4060Ti_16gb.md")
    assert value(results, "output_tokens", "value") == 268
    assert value(results, "decode_tps", "value") == 48.38
    assert value(results, "e2e_latency", "value") == pytest.approx(6.029505)
    assert value(results, "prompt_eval_time", "value") == pytest.approx(0.47)
    assert results[0]["model"] == "deepseek-r1:7b"
    results, _ = rows_of(tools_corpus, "ollama/dambergn+ollama-benchmarks/data/"
                         "Deepseek-r1_7b Raspberry Pi 4.md")
    assert value(results, "e2e_latency", "value") == pytest.approx(1535.616323214)
    assert value(results, "output_tokens", "value") == 1167
    assert value(results, "decode_tps", "value") == 0.76
    _, requests = rows_of(tools_corpus, "ollama/S1M0N38+my-ollama-notes/benchmarks/A6000/"
                          "benchmarks_eval.csv")
    first = requests[0]
    assert first["model"] == "llama3:8b-instruct-q4_0" and first["output_tokens"] == 378
    assert first["e2e_latency_s"] == pytest.approx(4.818040758)
    assert first["decode_tps"] == pytest.approx(378 / 4.579798)
    results, _ = rows_of(tools_corpus, "ollama/riatzukiza+ollama-benchmarks/reports/"
                         "ollama-bench.json")
    assert value(results, "decode_tps", "mean", locator="[0].summary.mean_tps") == \
        77.07235094138787
    table, _ = rows_of(tools_corpus, "ollama/riatzukiza+ollama-benchmarks/reports/ollama-bench.md")
    first_row = [r for r in table if r["locator"].startswith("table 1 row 1.")]
    assert value(first_row, "decode_tps", "mean") == 77.07  # "Mean TPS", rounded by the script
    assert value(first_row, "e2e_latency", "mean") == pytest.approx(10.116)  # "(ms)"
    assert value(first_row, "completed", "value") == 2
    _, requests = rows_of(tools_corpus, next(k for k in KINDS if "rohilrao" in k))
    assert len(requests) == 75
    assert all(r["decode_tps"] is None for r in requests if r["output_tokens"] == 1)


@pytest.mark.parametrize(("text", "seconds"), [
    ("6.029505s", 6.029505), ("18.7014ms", 0.0187014), ("470ms", 0.47),
    ("25m35.616323214s", 1535.616323214), ("1h2m3s", 3723.0), ("850µs", 0.00085),
    ("12ns", 1.2e-8), ("5.539s", 5.539), ("fast", None), ("5 s", None)])
def test_go_durations(text: str, seconds: float | None) -> None:
    assert go_duration(text) == (pytest.approx(seconds) if seconds is not None else None)


def test_ollama_api_json_lines_after_log_lines() -> None:
    lines = ["time=2025-01-02 level=INFO msg=loading", "not json {",
             json.dumps({"model": "gemma3:4b", "created_at": "2025-01-02T10:00:00Z",
                         "done": True, "total_duration": 2_000_000_000, "load_duration": 1_000,
                         "prompt_eval_count": 10, "prompt_eval_duration": 100_000_000,
                         "eval_count": 50, "eval_duration": 1_000_000_000})]
    text = "\n".join(lines)
    kind, dated = recognise_file("logs/gen.jsonl", "jsonl", text)
    assert kind == "ollama_api_responses" and str(dated.date) == "2025-01-02"
    out = parse(ParseContext("logs/gen.jsonl", kind, "jsonl", "2025-01-02", text))
    request = out.rows["benchmark_requests"][0]
    assert request["decode_tps"] == 50.0 and request["prefill_tps"] == 100.0
    assert request["has_summary"] is False
    assert any("2 line(s) that are not JSON skipped" in w for w in out.warnings)


def test_an_error_file_is_no_measurement() -> None:
    text = json.dumps({"error": "Failed"})
    kind, _ = recognise_file("results/run.json", "json", text)
    out = parse(ParseContext("results/run.json", kind, "json", "2025-01-02", text))
    assert not out.rows.get("benchmark_results") and not out.all_rows("metric_values")


def test_markdown_table_without_units_is_not_guessed() -> None:
    text = "| model | TTFT | tokens/s |\n|---|---|---|\n| llama3 | 120 | 42.5 |\n"
    kind, _ = recognise_file("notes/bench.md", "md", text)
    assert kind == "benchmark_table_md"
    rows = [r for e in formats.extract(kind, "notes/bench.md", "md", text).entries
            for r in e.rows()]
    assert [(r["metric"], r["value"]) for r in rows] == [("decode_tps", 42.5)]


def test_every_reader_is_documented() -> None:
    page = (Path(__file__).parents[2] / "docs" / "formats.md").read_text()
    missing = [r.kind for r in formats.READERS if f"`{r.kind}`" not in page]
    assert not missing
