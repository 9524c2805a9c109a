"""Writers for other benchmark tools' outputs, shaped like the real files in
``../shared/corpus/other_tools`` (keys, units, layout and their traps), so the main command
shows every reader at work: llama-bench JSON after device lines and its Markdown table in a
console log, a vLLM ``bench serve`` result (one with every request failed), an llmperf
summary with its individual responses (errored rows included, the summary computed over the
rest as llmperf does), a GuideLLM report, a GenAI-Perf JSON/CSV pair (quoted "2,156.03"),
and Ollama ``--verbose`` output and saved API responses."""

from __future__ import annotations

import json
import statistics

from chimera_pipeline.lib.sample.common import Unit

_GGUF = ("llama 8B Q4_K - Medium", "models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", 4920734720)


def llama_bench(u: Unit) -> None:
    model_type, filename, size = _GGUF
    rows = []
    for n_prompt, n_gen, base in ((512, 0, 2950.0), (0, 128, 101.0)):
        samples = [round(u.jitter(base, 0.01), 6) for _ in range(5)]
        mean = statistics.fmean(samples)
        rows.append({
            "build_commit": "34ce48d97", "build_number": 7356, "cpu_info": "AMD Ryzen 9 7950X",
            "gpu_info": "NVIDIA GeForce RTX 4090", "backends": "CUDA", "model_filename": filename,
            "model_type": model_type, "model_size": size, "model_n_params": 8030261248,
            "n_batch": 2048, "n_ubatch": 512, "n_threads": 16, "type_k": "f16", "type_v": "f16",
            "n_gpu_layers": 99, "flash_attn": True, "n_prompt": n_prompt, "n_gen": n_gen,
            "n_depth": 0, "test_time": u.at(9).isoformat() + "Z",
            "avg_ns": int(1e9 * (n_prompt or n_gen) / mean),
            "stddev_ns": int(1e7), "avg_ts": round(mean, 6),
            "stddev_ts": round(statistics.stdev(samples), 6),
            "samples_ns": [int(1e9 * (n_prompt or n_gen) / s) for s in samples],
            "samples_ts": samples})
    if u.occurrence % 2 == 0:  # -o json, with the device lines llama-bench prints first
        u.add(f"reports/llama_bench/llama-bench-{u.stamp(9)}.json",
              "ggml_cuda_init: found 1 CUDA devices:\n"
              "  Device 0: NVIDIA GeForce RTX 4090, compute capability 8.9, VMM: yes\n"
              + json.dumps(rows, indent=2) + "\n")
        return
    table = ["| model | size | params | backend | ngl | fa | test | t/s |",
             "| ------------------------------ | ---------: | ---------: | ---------- | --: | -: "
             "| --------------: | -------------------: |"]
    for row in rows:
        test = f"pp{row['n_prompt']}" if row["n_prompt"] else f"tg{row['n_gen']}"
        table.append(f"| {model_type} | 4.58 GiB | 8.03 B | CUDA | 99 | 1 | {test} | "
                     f"{row['avg_ts']:.2f} ± {row['stddev_ts']:.2f} |")
    u.add(f"reports/llama_bench/console_{u.stamp(9, '_')}.log",
          f"Date: {u.at(9).isoformat()}\n### GPU 0 ###\nggml_cuda_init: found 1 CUDA devices:\n"
          "  Device 0: NVIDIA GeForce RTX 4090, compute capability 8.9, VMM: yes\n"
          + "\n".join(table) + "\n\nbuild: 34ce48d97 (7356)\n")


def vllm_serve(u: Unit) -> None:
    """A ``vllm bench serve --save-result`` file; every third one is a run whose requests all
    failed (the server was down): zeros that are not measurements."""
    failed_run = u.occurrence % 3 == 2
    ttft = u.jitter(45.0, 0.05)
    completed = 0 if failed_run else 200
    result = {"date": u.stamp(11), "endpoint_type": "openai", "backend": "vllm", "label": None,
              "model_id": "meta-llama/Llama-3.1-8B-Instruct",
              "tokenizer_id": "meta-llama/Llama-3.1-8B-Instruct", "num_prompts": 200,
              "request_rate": "inf" if u.occurrence % 2 else 8.0, "burstiness": 1.0,
              "max_concurrency": 16, "duration": u.jitter(30.0), "completed": completed,
              "failed": 200 - completed, "total_input_tokens": 0 if failed_run else 204800,
              "total_output_tokens": 0 if failed_run else 25600,
              "request_throughput": 0.0 if failed_run else u.jitter(6.6),
              "request_goodput": None, "output_throughput": 0.0 if failed_run else u.jitter(850.0),
              "total_token_throughput": 0.0 if failed_run else u.jitter(7650.0)}
    for stat, factor in (("mean", 1.0), ("median", 0.97), ("std", 0.1), ("p99", 1.6)):
        result[f"{stat}_ttft_ms"] = 0.0 if failed_run else ttft * factor
        result[f"{stat}_tpot_ms"] = 0.0 if failed_run else 18.0 * factor
        result[f"{stat}_itl_ms"] = 0.0 if failed_run else 17.5 * factor
    u.add(f"reports/vllm/serve-{u.stamp(11)}.json", json.dumps(result))


def llmperf(u: Unit) -> None:
    """A summary and its individual responses: some requests errored (429) with timings
    still present; the summary's statistics are over the others, as llmperf computes them."""
    responses, ok = [], []
    for i in range(40):
        errored = i % 5 == 4
        ttft = u.jitter(0.35, 0.2)
        row = {"error_code": 429 if errored else None,
               "error_msg": "Too Many Requests" if errored else "",
               "inter_token_latency_s": u.jitter(0.012, 0.1), "ttft_s": ttft,
               "end_to_end_latency_s": ttft + u.jitter(1.9, 0.1),
               "request_output_throughput_token_per_s": u.jitter(78.0, 0.1),
               "number_total_tokens": 700, "number_output_tokens": 150,
               "number_input_tokens": 550}
        responses.append(row)
        if not errored:
            ok.append(row)
    summary = {"version": "2023-08-31", "name": "llama-3-1-8b_550_150_summary",
               "model": "meta-llama/Llama-3.1-8B-Instruct", "mean_input_tokens": 550,
               "stddev_input_tokens": 150, "mean_output_tokens": 150, "stddev_output_tokens": 10,
               "num_concurrent_requests": 8}
    for key in ("ttft_s", "inter_token_latency_s", "end_to_end_latency_s",
                "request_output_throughput_token_per_s"):
        values = [r[key] for r in ok]
        summary[f"results_{key}_quantiles_p50"] = statistics.median(values)
        summary[f"results_{key}_mean"] = statistics.fmean(values)
        summary[f"results_{key}_min"] = min(values)
        summary[f"results_{key}_max"] = max(values)
        summary[f"results_{key}_stddev"] = statistics.stdev(values)
    summary.update({"results_number_input_tokens_min": "550",
                    "results_number_input_tokens_max": "550",
                    "results_num_requests_started": 40,
                    "results_error_rate": (40 - len(ok)) / 40,
                    "results_number_errors": 40 - len(ok),
                    "results_error_code_frequency": json.dumps({"429": 40 - len(ok)}),
                    "results_mean_output_throughput_token_per_s": u.jitter(540.0),
                    "results_num_completed_requests": len(ok),
                    "results_num_completed_requests_per_min": u.jitter(210.0),
                    "timestamp": u.epoch(14)})
    folder = f"reports/llmperf/llama-3-1-8b_{u.stamp(14, '_')}"
    u.add_json(f"{folder}/llama-3-1-8b_550_150_summary.json", summary, indent=4)
    u.add(f"{folder}/llama-3-1-8b_550_150_individual_responses.json", json.dumps(responses))


def guidellm(u: Unit) -> None:
    """A GuideLLM v2-layout report with two constant-rate benchmarks (successful, errored,
    incomplete and total statistics; only successful ones are measurements)."""
    benchmarks = []
    for index, rate in enumerate((2.0, 4.0)):
        def stats(mean: float, count: int = 20) -> dict:
            return {"mean": mean, "median": mean * 0.98, "mode": mean, "variance": 0.01,
                    "std_dev": mean * 0.05, "min": mean * 0.8, "max": mean * 1.3, "count": count,
                    "total_sum": mean * count,
                    "percentiles": {"p50": mean * 0.98, "p90": mean * 1.15, "p99": mean * 1.28}}

        def metric(mean: float) -> dict:
            return {"successful": stats(mean), "errored": stats(0.0, 0),
                    "incomplete": stats(mean * 0.5, 2), "total": stats(mean * 0.9, 22)}

        start = u.epoch(16) + 120.0 * index
        benchmarks.append({
            "type_": "generative_benchmark",
            "config": {"strategy": {"type_": "constant", "rate": rate},
                       "backend": {"kind": "openai_http", "model": "Qwen/Qwen3-0.6B"}},
            "metrics": {"request_totals": {"successful": 20, "errored": 0, "incomplete": 2,
                                           "total": 22},
                        "time_to_first_token_ms": metric(u.jitter(38.0 * (1 + index))),
                        "inter_token_latency_ms": metric(u.jitter(9.5)),
                        "request_latency": metric(u.jitter(1.3)),
                        "output_tokens_per_second": metric(u.jitter(210.0 * rate))},
            "requests": {"successful": [], "errored": [], "incomplete": [], "total": None},
            "start_time": start, "end_time": start + 60.0, "duration": 60.0})
    u.add_json(f"reports/guidellm/benchmarks_{u.stamp(16)}.json",
               {"metadata": {"version": 2, "guidellm_version": "0.8.0"},
                "config": {"spec": {"backend": {"model": "Qwen/Qwen3-0.6B"}}},
                "benchmarks": benchmarks})


def genai_perf(u: Unit) -> None:
    """``profile_export_genai_perf.json`` and its CSV twin (numbers of 1,000 or more quoted
    with a thousands separator, CRLF line ends), in one artifact folder."""
    concurrency = 250 if u.occurrence % 2 else 1
    ttft = u.jitter(2156.03 if concurrency > 1 else 24.6)
    latency = u.jitter(7223.6 if concurrency > 1 else 669.6)
    data = {"request_throughput": {"unit": "requests/sec", "avg": u.jitter(34.5)},
            "time_to_first_token": {"unit": "ms", "avg": ttft, "p99": ttft * 1.7,
                                    "p50": ttft * 0.95, "min": ttft * 0.1, "max": ttft * 1.7,
                                    "std": ttft * 0.2},
            "request_latency": {"unit": "ms", "avg": latency, "p99": latency * 1.03,
                                "p50": latency, "min": latency * 0.96, "max": latency * 1.03,
                                "std": latency * 0.01},
            "output_token_throughput": {"unit": "tokens/sec", "avg": u.jitter(2019.2)},
            "input_config": {"model": ["meta/llama3-8b-instruct"], "backend": "tensorrtllm",
                             "endpoint_type": "chat", "concurrency": concurrency,
                             "synthetic_input_tokens_mean": 200, "output_tokens_mean": 50}}
    folder = f"csv_data/genai_perf/llama3-8b-chat-concurrency{concurrency}-{u.stamp(18)}"
    u.add_json(f"{folder}/profile_export_genai_perf.json", data, indent=None)

    def cell(value: float) -> str:
        return f'"{value:,.2f}"' if value >= 1000 else f"{value:.2f}"

    rows = [f"Time To First Token (ms),{cell(ttft)},{cell(ttft * 0.1)},{cell(ttft * 1.7)},"
            f"{cell(ttft * 1.7)},{cell(ttft * 0.95)}",
            f"Request Latency (ms),{cell(latency)},{cell(latency * 0.96)},{cell(latency * 1.03)},"
            f"{cell(latency * 1.03)},{cell(latency)}"]
    text = ("Metric,avg,min,max,p99,p50\r\n" + "\r\n".join(rows) + "\r\n\r\nMetric,Value\r\n"
            f"Output Token Throughput (per sec),{data['output_token_throughput']['avg']:.2f}\r\n"
            f"Request Throughput (per sec),{data['request_throughput']['avg']:.2f}\r\n")
    u.add(f"{folder}/profile_export_genai_perf.csv", text)


def ollama_logs(u: Unit) -> None:
    """``ollama run --verbose`` statistics in a log (Go durations, "token(s)") and saved
    ``/api/generate`` responses as JSON lines after the server's own log lines."""
    eval_count, eval_s = 268 + u.occurrence, u.jitter(5.5)
    u.add(f"reports/ollama_runs/verbose_{u.stamp(20, '_')}.log",
          "$ ollama run gemma3:4b --verbose\n>>> Tell me about the speed of light.\n"
          "The speed of light is a constant.\n\n"
          f"total duration:       {eval_s + 0.51:.6f}s\nload duration:        18.7014ms\n"
          "prompt eval count:    11 token(s)\nprompt eval duration: 470ms\n"
          f"prompt eval rate:     {11 / 0.47:.2f} tokens/s\n"
          f"eval count:           {eval_count} token(s)\neval duration:        {eval_s:.3f}s\n"
          f"eval rate:            {eval_count / eval_s:.2f} tokens/s\n")
    lines = [f"time={u.at(20).isoformat()} level=INFO source=server.go msg=\"model loaded\""]
    for i in range(3):
        count, nanos = 200 + 10 * i, int(u.jitter(2.0) * 1e9)
        lines.append(json.dumps({
            "model": "gemma3:4b", "created_at": u.at(20).isoformat() + "Z", "response": "…",
            "done": True, "total_duration": nanos + 300_000_000, "load_duration": 20_000_000,
            "prompt_eval_count": 26, "prompt_eval_duration": 130_000_000, "eval_count": count,
            "eval_duration": nanos}))
    u.add(f"reports/ollama_runs/api_{u.stamp(20, '_')}.jsonl", "\n".join(lines) + "\n")


WRITERS = (llama_bench, vllm_serve, llmperf, guidellm, genai_perf, ollama_logs)
