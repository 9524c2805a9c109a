"""Writers for the LLM-request kinds: prompt suites, gemma3 sweeps, Ollama sweeps, banter."""

from __future__ import annotations

import datetime as dt
import json

from chimera_pipeline.lib.sample.common import MODELS, PROMPTS, Unit, csv_text

CONNECT_ERROR = ("Failed to connect to Ollama. Please check that Ollama is downloaded, "
                 "running and accessible. https://ollama.com/download")


def _measure(u: Unit, model: str, cold: bool = False) -> dict:
    rate, ttft = MODELS[model]
    tokens = u.rng.randint(80, 950)
    tokens_s = u.jitter(rate)
    load = u.jitter(2.2 if cold else ttft * 0.88, 0.1)
    prompt_eval = u.jitter(0.25 if cold else ttft * 0.12, 0.2)
    return {"ttft_s": load + prompt_eval, "tokens_s": tokens_s, "load_s": load,
            "prompt_eval_s": prompt_eval, "eval_s": tokens / tokens_s, "eval_count": tokens,
            "prompt_eval_count": u.rng.randint(19, 26), "response_chars": tokens * 4}


def prompt_suite(u: Unit) -> None:
    """``reports/ollama/<stamp>/`` runs CSV + summary JSON; a third fail to connect."""
    folder = f"reports/ollama/{u.stamp(15)}"
    generated = (u.at(15) + dt.timedelta(hours=4)).isoformat() + ".000000+00:00"
    failed = u.occurrence % 3 == 1
    models = sorted(u.rng.sample(sorted(MODELS), 2))
    options = {"temperature": 0.3, "top_p": 0.9}
    rows, summary = [], []
    for model in models:
        done = []
        for i, prompt in enumerate(PROMPTS, start=1):
            if failed:
                rows.append([generated, model, i, prompt, "0.000000", "0.00", "0.000000",
                             "0.000000", "0.000000", 0, 0, 0, CONNECT_ERROR, json.dumps(options)])
                continue
            m = _measure(u, model, cold=i == 1)
            done.append(m)
            rows.append([generated, model, i, prompt, f"{m['ttft_s']:.6f}", f"{m['tokens_s']:.2f}",
                         f"{m['load_s']:.6f}", f"{m['prompt_eval_s']:.6f}", f"{m['eval_s']:.6f}",
                         m["prompt_eval_count"], m["eval_count"], m["response_chars"], "",
                         json.dumps(options, separators=(",", ":"))])
        def mean(key: str, done: list[dict] = done) -> float | None:
            return sum(m[key] for m in done) / len(done) if done else None

        summary.append({"model": model, "prompt_count": 5, "completed": len(done),
                        "options": options, "mean_ttft_s": mean("ttft_s"),
                        "mean_tokens_s": mean("tokens_s")})
    header = ["timestamp", "model", "prompt_index", "prompt_text", "ttft_s", "tokens_s", "load_s",
              "prompt_eval_s", "eval_s", "prompt_eval_count", "eval_count", "response_chars",
              "error", "options"]
    u.add(f"{folder}/prompt_suite_runs.csv", csv_text(header, rows))
    u.add_json(f"{folder}/prompt_suite_summary.json",
               {"generated_at": generated, "prompt_count": 5, "prompts": list(PROMPTS),
                "models": summary, "ollama_host": "http://localhost:11434"})


def _sweep_rows(u: Unit, model: str, timed_out: set[str]) -> list[list[object]]:
    rows = []
    for gpu in (999, 80, 60, 40):
        for ctx in (1024, 2048, 4096):
            for temp in (0.2, 0.4, 0.8):
                name = f"g{gpu}_c{ctx}_t{temp}"
                if name in timed_out:
                    rows.append([gpu, ctx, temp, name, "", "", "", "", "", "", "timed out"])
                    continue
                m = _measure(u, model, cold=temp == 0.2)
                rows.append([gpu, ctx, temp, name, m["ttft_s"], m["tokens_s"], m["load_s"],
                             m["prompt_eval_s"], m["eval_s"], m["eval_count"], ""])
    return rows


def gemma3_sweep(u: Unit) -> None:
    """Undated gemma3 baseline (CSV + JSON twin) and parameter sweep (runs + summary)."""
    variant = ("", "1b-it-qat", "270m")[u.occurrence % 3]
    model = f"gemma3:{variant or 'latest'}"
    prefix = f"{u.undated('reports/gemma3')}/gemma3{'_' + variant if variant else ''}"
    results = []
    for prompt in PROMPTS:
        m = _measure(u, model, cold=prompt == PROMPTS[0])
        results.append({"prompt": prompt, **{k: m[k] for k in (
            "ttft_s", "tokens_s", "load_s", "prompt_eval_s", "eval_s", "eval_count",
            "response_chars")}})
    cols = ["ttft_s", "tokens_s", "load_s", "prompt_eval_s", "eval_s", "eval_count",
            "response_chars"]
    u.add(f"{prefix}_baseline.csv", csv_text(["prompt", *cols, "error"],
                                             [[r["prompt"], *(r[c] for c in cols), ""]
                                              for r in results]))
    u.add_json(f"{prefix}_baseline.json", {"model": model, "results": results})
    timed_out = {"g60_c1024_t0.2", "g60_c1024_t0.4"} if variant == "270m" else set()
    rows = _sweep_rows(u, model, timed_out)
    u.add(f"{prefix}_param_tuning.csv", csv_text(
        ["num_gpu", "num_ctx", "temperature", "config_name", "ttft_s", "tokens_s", "load_s",
         "prompt_eval_s", "eval_s", "eval_count", "error"], rows))
    done = sorted((r for r in rows if r[5] != ""), key=lambda r: -r[5])
    u.add(f"{prefix}_param_tuning_summary.csv", csv_text(
        ["config_name", "num_gpu", "num_ctx", "temperature", "mean_tokens_s", "mean_ttft_s",
         "mean_load_s"], [[r[3], r[0], r[1], r[2], r[5], r[4], r[6]] for r in done]))


def ollama_sweep(u: Unit) -> None:
    """csv_data sweep + quant bench (quoted CSV, timestamp column) and their exact copies
    under reports/llama3/ (the duplicate trap), plus a summary write-up and its copy."""
    model = "llama3.1:8b-instruct-q4_0"
    base = u.at(20)
    rows, summary = [], []
    for i, (gpu, ctx, temp) in enumerate((g, c, t) for g in (999, 80, 60, 40)
                                         for c in (1024, 2048, 4096) for t in (0.2, 0.4, 0.8)):
        m = _measure(u, model, cold=temp == 0.2)
        when = (base + dt.timedelta(seconds=3 * i)).isoformat()
        rows.append([when, model, gpu, ctx, temp, round(m["ttft_s"], 4), round(m["tokens_s"], 2),
                     round(m["load_s"], 4), round(m["prompt_eval_s"], 4), round(m["eval_s"], 4),
                     m["prompt_eval_count"], m["eval_count"],
                     m["prompt_eval_count"] + m["eval_count"], m["response_chars"], ""])
        summary.append([gpu, ctx, temp, round(m["tokens_s"], 2), round(m["ttft_s"], 4),
                        round(m["load_s"], 4), round(m["prompt_eval_s"], 4), round(m["eval_s"], 4)])
    sweep = csv_text(["timestamp", "model", "num_gpu", "num_ctx", "temperature", "ttft_s",
                      "tokens_s", "load_s", "prompt_eval_s", "eval_s", "prompt_eval_count",
                      "eval_count", "total_tokens", "response_chars", "error"], rows, True)
    summary_csv = csv_text(["num_gpu", "num_ctx", "temperature", "mean_tokens_s", "mean_ttft_s",
                            "mean_load_s", "prompt_eval", "eval_s_mean"], sorted(summary))
    quant = []
    for j, tag in enumerate(("q4_0", "q5_K_M", "q8_0")):
        name = f"llama3.1:8b-instruct-{tag}"
        for i, prompt in enumerate(PROMPTS, start=1):
            m = _measure(u, name)
            when = (base - dt.timedelta(minutes=2) + dt.timedelta(seconds=20 * j + i)).isoformat()
            quant.append([when, name, tag, i, prompt, round(m["ttft_s"], 4),
                          round(m["tokens_s"], 2), round(m["load_s"], 4),
                          round(m["prompt_eval_s"], 4), round(m["eval_s"], 4),
                          m["prompt_eval_count"], m["eval_count"],
                          m["prompt_eval_count"] + m["eval_count"], m["response_chars"], ""])
    quant_csv = csv_text(["timestamp", "model", "tag", "prompt_index", "prompt_text", "ttft_s",
                          "tokens_s", "load_s", "prompt_eval_s", "eval_s", "prompt_eval_count",
                          "eval_count", "total_tokens", "response_chars", "error"], quant, True)
    write_up = (f"# Ollama Benchmark Summary\n\nModel `{model}` swept over num_gpu, num_ctx and "
                f"temperature.\n\n| Metric | Value |\n|---|---|\n| Mean tokens/s | "
                f"{sum(r[3] for r in summary) / len(summary):.2f} |\n"
                f"| Configs | {len(summary)} |\n\n"
                f"and deterministic outputs. Generated on {base:%Y-%m-%d %H:%M:%S}.\n")
    for folder in (u.undated("csv_data"), u.undated("reports/llama3")):
        u.add(f"{folder}/ollama_param_tuning.csv", sweep)
        u.add(f"{folder}/ollama_param_tuning_summary.csv", summary_csv)
        u.add(f"{folder}/ollama_quant_bench.csv", quant_csv)
    u.add(f"{u.undated('reports/llama3')}/ollama_benchmark_summary.md", write_up)
    u.add(f"{u.undated('reports')}/ollama_benchmark_summary.md", write_up)


def banter(u: Unit) -> None:
    """Banter baseline: undated summary CSV and an epoch-stamped results JSON."""
    tests = [("Player Died (Encouraging)", "player_died", "encouraging"),
             ("Boss Defeated (Celebratory)", "boss_defeated", "celebratory"),
             ("Level Up (Motivational)", "level_up", "motivational")]
    rows, results = [], []
    for name, context, tone in tests:
        tokens = u.rng.randint(30, 60)
        ms = tokens / u.jitter(14.0, 0.05) * 1000
        rows.append([name, context, tone, f"{ms:.2f}", tokens, f"{tokens / ms * 1000:.2f}", "TRUE"])
        results.append({"test_name": name, "context": context, "tone": tone,
                        "generation_time_ms": ms, "tokens": tokens,
                        "tokens_per_second": tokens / ms * 1000, "success": True})
    results[0] = {**{k: results[0][k] for k in ("test_name", "context", "tone")},
                  "error": "'charmap' codec can't encode character", "success": False}
    u.add(f"{u.undated('csv_data')}/baseline_performance_summary.csv", csv_text(
        ["Test Name", "Context", "Tone", "Generation Time (ms)", "Tokens", "Tokens per Second",
         "Success"], rows))
    epoch = u.epoch(22)
    u.add_json(f"csv_data/baseline_test_results_{epoch}.json", {
        "test_timestamp": epoch + 0.25, "test_datetime": u.at(22).isoformat(),
        "total_tests": 3, "successful_tests": 2, "results": results}, indent=None)
