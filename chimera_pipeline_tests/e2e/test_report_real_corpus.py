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
    for (day,) in real_db.execute(
            "SELECT partition FROM llm_analyses WHERE trimmed_fact_ids <> ''"
    ).fetchall():  # a prompt trimmed to fit says so in its report
        assert re.search(r"Prompt trimmed on purpose:\*\* \d+ lower-ranked findings",
                         (real_run["data_dir"] / "reports" / day / "report.md").read_text())


def _section(report: str, title: str) -> str:
    return report.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _values(text: str) -> list[str]:
    """The linked values of a rendered finding: ``[102.2 tok/s](#fact-f12)``."""
    return re.findall(r"\[([^\]]+)\]\(#fact-f\d+\)", text)


def test_every_report_leads_with_real_findings_and_recommendations(real_run, real_db) -> None:
    """With the main command's settings and the default grounding threshold: a summary of at
    least two sentences naming the day's models, at least three findings of six words or more
    whose numbers are facts, at least two recommendations, and no bare id, date or number
    standing as a section's text."""
    for day in _days(real_db):
        report = (real_run["data_dir"] / "reports" / day / "report.md").read_text()
        models = [m for (m,) in real_db.execute(
            "SELECT DISTINCT model FROM llm_runs WHERE partition = ? AND model IS NOT NULL",
            [day]).fetchall()]
        summary = _section(report, "Executive Summary").strip()
        assert len(re.findall(r"[.!?](?:\s|$)", summary)) >= 2, (day, summary)
        assert all(model in summary for model in models), (day, models, summary)
        findings = re.findall(r"^- (.+)$", _section(report, "Key Findings"), re.M)
        recommendations = re.findall(r"^- (.+)$", _section(report, "Recommendations"), re.M)
        assert len(findings) >= 3 and len(recommendations) >= 2, (day, findings,
                                                                   recommendations)
        cited = [f for f in findings if _values(f)]
        assert len(cited) >= 3 and all(len(f.split()) >= 6 for f in findings), (day, findings)
        facts = {d for (d,) in real_db.execute(
            "SELECT display FROM facts WHERE partition = ?", [day]).fetchall()}
        for finding in cited:  # each linked value is a fact's value, as displayed or bare
            for value in _values(finding):
                assert value in facts or any(d.startswith(f"{value} ") for d in facts), value
        for text in [summary, *findings, *recommendations]:
            assert not re.fullmatch(r"\s*(F\d+|\d{4}-\d{2}-\d{2}|[\d.,%]+)\s*\.?", text), text
            assert not re.search(r"(?<![\w#-])F\d+\b", re.sub(r"\(#fact-f\d+\)", "", text)), text
