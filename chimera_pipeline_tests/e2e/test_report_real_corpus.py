"""Reports of the whole real corpus through the embedded model (real llama.cpp, gemma3 270M)."""

import re

from chimera_pipeline_tests import expected

SECTIONS = ["Executive Summary", "Data Ingestion Summary", "Performance Analysis",
            "Key Findings", "Recommendations", "Appendix", "Workflow Summary", "LLM Metrics",
            "Data Quality", "Persona Prompt"]


def _days(real_db) -> list[str]:
    return [r[0] for r in real_db.execute(
        "SELECT DISTINCT partition FROM artifact_files ORDER BY 1").fetchall()]


def _mtime_day(real_db) -> str:
    return real_db.execute("SELECT partition FROM artifact_files "
                           "WHERE path = 'reports/gemma3/gemma3_baseline.csv'").fetchone()[0]


def test_a_report_for_every_partition_with_sections_in_order(real_run, real_db) -> None:
    reports = real_run["data_dir"] / "reports"
    index = (reports / "index.md").read_text()
    for day in _days(real_db):
        text = (reports / day / "report.md").read_text()
        positions = [text.index(f"\n## {name}\n") for name in SECTIONS]
        assert positions == sorted(positions), day
        assert (reports / day / "report.json").is_file()
        assert f"[{day}]({day}/report.md)" in index
        assert "**Backend:** embedded" in text and "**Configuration:** " in text
    png = (reports / _mtime_day(real_db) / "throughput_by_model.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert (reports / _mtime_day(real_db) / "sweep_heatmap.png").is_file()


def test_ingestion_counts_in_the_rollup(real_run) -> None:
    rollup = (real_run["data_dir"] / "reports/rollup.md").read_text()
    scanned = expected.SCANNED_UNDER_REPORTS_AND_CSV_DATA
    assert (f"Under reports/ plus csv_data/: {scanned['csv']} CSV, {scanned['json']} JSON, "
            f"{scanned['md']} Markdown.") in rollup
    assert f"| **total** | | {expected.FILES} |" in rollup


def test_gemma3_model_table_and_best_config(real_run, real_db) -> None:
    text = (real_run["data_dir"] / "reports" / _mtime_day(real_db) / "report.md").read_text()
    for model, tps in expected.BASELINE_DECODE_TPS.items():
        assert f"| {model} | baseline | {expected.BASELINE_REQUESTS} | 0.0% | {tps} tok/s |" in text
    for model, config in expected.BEST_SWEEP_CONFIG.items():
        assert f"{model} sweep: best config: {config}" in text


def test_llm_metrics_section_equals_llm_calls(real_run, real_db) -> None:
    for day in _days(real_db):
        text = (real_run["data_dir"] / "reports" / day / "report.md").read_text()
        section = text.split("\n## LLM Metrics\n", 1)[1].split("\n## ", 1)[0]
        table = [line.strip("|").split(" | ") for line in section.splitlines()
                 if line.startswith("| ") and not line.startswith("| backend")]
        rows = real_db.execute(
            "SELECT backend, model, num_ctx, prompt_tokens, output_tokens, ttft_s, decode_tps, "
            "prefill_tps, load_s, prompt_eval_s, eval_s, total_s, attempts FROM llm_calls "
            "WHERE partition = ? ORDER BY started_at", [day]).fetchall()
        expected = [[b, m, str(c), str(p), str(o), f"{t:.3f}", f"{d:.1f}", f"{f:.1f}", f"{ls:.3f}",
                     f"{pe:.3f}", f"{e:.3f}", f"{tot:.3f}", str(a)]
                    for b, m, c, p, o, t, d, f, ls, pe, e, tot, a in rows]
        assert [[cell.strip() for cell in row] for row in table] == expected, day
        assert len(rows) == 1, day  # one LLM call per report


def test_embedded_backend_ran_for_real_and_prompts_fit(real_run, real_db) -> None:
    calls = real_db.execute(
        "SELECT partition, backend, model, prompt_tokens, prompt_tokens_estimated, output_tokens,"
        " max_output_tokens, num_ctx, decode_tps, facts_trimmed FROM llm_calls").fetchall()
    assert len(calls) == len(_days(real_db))
    for day, backend, model, prompt, estimated, output, budget, num_ctx, tps, _ in calls:
        assert (backend, model) == ("embedded", "gemma-3-270m-q4_k_m.gguf")
        assert 0 < output <= budget and tps > 0
        assert prompt + budget <= num_ctx, day  # the backend's own count fits
        assert estimated >= prompt - 32 and estimated + budget <= num_ctx, day
    trimmed = sum(c[-1] for c in calls)
    assert trimmed > 0  # CI's 2048-token context cannot hold every fact of the big days...
    for (day,) in real_db.execute(
            "SELECT partition FROM llm_analyses WHERE trimmed_fact_ids <> ''"
    ).fetchall():  # ...and every report says so
        assert re.search(r"Prompt trimmed on purpose:\*\* \d+ lowest-priority facts",
                         (real_run["data_dir"] / "reports" / day / "report.md").read_text())
