"""The findings engine: each rule fires on a constructed case and stays silent on its negative;
every number in a finding is a citation of a fact."""

from __future__ import annotations

import re

import pytest

from chimera_pipeline.lib.facts.model import Fact, assign_ids
from chimera_pipeline.lib.findings import derive, finding_rows, render

DAY = "2025-10-08"


def _facts(*facts: Fact) -> list[dict]:
    """Facts as the warehouse holds them (ids assigned, displayed values)."""
    return [{"fact_id": f.fact_id, "fact_key": f.key, "label": f.label, "value": f.value,
             "text_value": f.text, "unit": f.unit, "category": f.category,
             "subject": f.subject, "context": f.context, "metric": f.metric,
             "display": f.display(), "partition": DAY} for f in assign_ids(list(facts))]


def _llm(model: str, suite: str, tps: float, requests: int = 10, failed: int = 0,
         error: str | None = None) -> list[Fact]:
    key = f"llm.{model}.{suite}"
    facts = [Fact(f"{key}.decode_tps.mean", "mean", tps, "tok/s", "performance", 20, "x",
                  model, "decode_tps.mean", context=suite),
             Fact(f"{key}.requests", "requests", requests, "requests", "performance", 20, "x",
                  model, "requests", context=suite),
             Fact(f"{key}.error_rate", "error rate", 100.0 * failed / requests, "%",
                  "performance", 20, "x", model, "error_rate", context=suite)]
    if failed:
        facts += [Fact(f"{key}.failed", "failed", failed, "requests", "performance", 20, "x",
                       model, "failed", context=suite),
                  Fact(f"{key}.top_error", "top error", None, None, "performance", 20, "x",
                       model, "top_error", text=error, context=suite)]
    return facts


def _change(model: str, verdict: str, pct: float, before: float, now: float) -> list[Fact]:
    key = f"change.{model}.prompt_suite.all.decode_tps"
    return [Fact(f"{key}.pct", "change", pct, "%", "change", 30, "x", model, "decode_tps",
                 text=verdict, context="prompt_suite"),
            Fact(f"{key}.previous", "before", before, "tok/s", "change", 31, "x", model,
                 "decode_tps.previous", text="2025-10-02", context="prompt_suite"),
            Fact(f"{key}.current", "now", now, "tok/s", "change", 31, "x", model,
                 "decode_tps.current", context="prompt_suite")]


def _sweep(model: str, best: str, tps: float, base: str | None, base_tps: float | None,
           gain: float | None, verdict: str | None) -> list[Fact]:
    key = f"sweep.{model}"
    facts = [Fact(f"{key}.best_config", "best", None, None, "sweep", 10, "x", model,
                  "best_config", text=best, context="param_tuning"),
             Fact(f"{key}.best_decode_tps", "best tps", tps, "tok/s", "sweep", 10, "x",
                  f"{model} {best}", "decode_tps", context="param_tuning"),
             Fact(f"{key}.configs", "configs", 12, "count", "sweep", 15, "x", model, "configs",
                  context="param_tuning")]
    if base is not None:
        facts += [Fact(f"{key}.baseline_config", "base", None, None, "sweep", 15, "x", model,
                       "baseline_config", text=base, context="param_tuning"),
                  Fact(f"{key}.baseline_decode_tps", "base tps", base_tps, "tok/s", "sweep",
                       15, "x", f"{model} {base}", "decode_tps", context="param_tuning"),
                  Fact(f"{key}.gain_pct", "gain", gain, "%", "sweep", 10, "x",
                       f"{model} {best}", "gain_pct", text=verdict, context="param_tuning")]
    return facts


def _kinds(facts: list[dict]) -> list[str]:
    return [f.kind for f in derive(DAY, facts).findings]


def _texts(facts: list[dict]) -> tuple[list[str], list[str]]:
    result = derive(DAY, facts)
    by_id = {f["fact_id"]: f for f in facts}
    return ([render(f.template, by_id) for f in result.findings],
            [render(r, by_id) for r in result.recommendations])


def test_a_regression_beyond_the_noise_band_is_a_finding_and_a_recommendation() -> None:
    findings, recommendations = _texts(_facts(*_change("gemma3:latest", "regression", -10.0,
                                                        100.0, 90.0)))
    assert findings == ["The decode throughput of gemma3:latest in prompt_suite changed by "
                        "-10.0% against 2025-10-02 (from 100.0 tok/s to 90.00 tok/s), a "
                        "regression beyond the noise band."]
    assert recommendations[0].startswith("Investigate the decode throughput regression of "
                                         "gemma3:latest in prompt_suite since 2025-10-02")


def test_a_change_inside_the_noise_band_says_nothing() -> None:
    assert "change" not in _kinds(_facts(*_change("gemma3:latest", "within noise", -1.0,
                                                  100.0, 99.0)))


def test_an_improvement_is_reported_without_a_recommendation() -> None:
    findings, recommendations = _texts(_facts(*_change("m", "improvement", 8.0, 100.0, 108.0)))
    assert "an improvement beyond the noise band" in findings[0]
    assert not any("Investigate" in r for r in recommendations)


def test_fastest_and_slowest_model_per_suite() -> None:
    facts = _facts(*_llm("fast", "baseline", 200.0), *_llm("mid", "baseline", 150.0),
                   *_llm("slow", "baseline", 100.0), *_llm("alone", "quant_bench", 80.0))
    findings, _ = _texts(facts)
    assert ("In baseline, fast decoded fastest at 200.0 tok/s on average and slow slowest at "
            "100.0 tok/s.") in findings
    assert "alone decoded at 80.00 tok/s on average in quant_bench over 10 requests." in findings


def test_the_best_sweep_config_against_its_baseline() -> None:
    facts = _facts(*_sweep("gemma3:270m", "g999_c4096_t0.8", 303.9, "g999_c1024_t0.2", 278.8,
                           9.0, "gain"))
    findings, recommendations = _texts(facts)
    assert ("g999_c4096_t0.8 decoded fastest at 303.9 tok/s, 9.0% above the baseline config "
            "g999_c1024_t0.2 (278.8 tok/s)") in findings[0]
    assert recommendations == ["Use g999_c4096_t0.8 for gemma3:270m: 9.0% more decode "
                               "tokens/s than the baseline config g999_c1024_t0.2."]


@pytest.mark.parametrize("case", ["best is the baseline", "gain within noise"])
def test_a_sweep_without_a_real_gain_recommends_nothing(case: str) -> None:
    if case == "best is the baseline":  # sweep_facts writes no baseline facts then
        facts = _facts(*_sweep("m", "g1", 100.0, None, None, None, None))
    else:
        facts = _facts(*_sweep("m", "g1", 101.0, "g0", 100.0, 1.0, "within noise"))
    result = derive(DAY, facts)
    assert "sweep_gain" not in [f.kind for f in result.findings]
    assert not any(r.startswith("Use ") for r in result.recommendations)
    assert [f.kind for f in result.findings] == ["sweep_flat"]


def test_failures_with_their_reason_and_one_rerun_per_cause() -> None:
    facts = _facts(*_llm("a", "prompt_suite", 80.0, 25, 20, "Failed to connect to Ollama"),
                   *_llm("b", "prompt_suite", 60.0, 25, 20, "Failed to connect to Ollama"),
                   Fact("compile.conv.tensorrt.failed", "failed", None, None, "compile", 50,
                        "x", "conv tensorrt", "status",
                        text="failed: torch_tensorrt is not installed", context="conv"))
    findings, recommendations = _texts(facts)
    assert ("20 of the 25 requests to a in prompt_suite failed (80.0%); the most common error "
            "was \"Failed to connect to Ollama\".") in findings
    assert ("The tensorrt backend failed on conv, so it has no latency there: torch_tensorrt is "
            "not installed.") in findings
    reruns = [r for r in recommendations if r.startswith("Rerun")]
    assert reruns == ["Rerun prompt_suite for a and b once \"Failed to connect to Ollama\" is "
                      "fixed: 80.0% and 80.0% of their requests failed."]
    assert any("Install or fix what the tensorrt backend needs" in r for r in recommendations)


def test_a_day_with_no_failures_reports_none() -> None:
    kinds = _kinds(_facts(*_llm("a", "baseline", 80.0), *_llm("b", "baseline", 60.0)))
    assert "errors" not in kinds and "compile_failure" not in kinds


def test_data_quality_problems_and_their_fixes() -> None:
    facts = _facts(
        Fact("quality.parse_failures", "failed", 1, "files", "quality", 40, "x"),
        Fact("quality.parse_failure_example", "ex", None, None, "quality", 40, "x",
             text="reports/ncu_summary.csv: NUL bytes: UTF-16 text"),
        Fact("quality.duplicates", "dup", 2, "files", "quality", 40, "x"),
        Fact("quality.duplicate_example", "ex", None, None, "quality", 40, "x",
             text="a/x.csv = b/x.csv"),
        Fact("quality.dated_by_mtime", "mtime", 3, "files", "quality", 40, "x"))
    findings, recommendations = _texts(facts)
    assert any(f.startswith("1 file(s) of the day failed to parse, for example "
                            "reports/ncu_summary.csv") for f in findings)
    assert "Fix or remove reports/ncu_summary.csv, which failed to parse." in recommendations
    assert any("Remove the 2 duplicate file(s)" in r for r in recommendations)
    assert any("names of the 3 file(s) dated only by modification time" in r
               for r in recommendations)


def test_a_clean_day_has_no_quality_findings() -> None:
    facts = _facts(Fact("quality.parse_failures", "failed", 0, "files", "quality", 40, "x"),
                   Fact("quality.duplicates", "dup", 0, "files", "quality", 40, "x"),
                   Fact("quality.dated_by_mtime", "mtime", 0, "files", "quality", 40, "x"))
    assert _kinds(facts) == []


def test_every_number_in_a_finding_is_a_cited_fact_and_no_id_shows() -> None:
    facts = _facts(*_llm("a", "prompt_suite", 80.0, 25, 20, "timed out"),
                   *_llm("b", "prompt_suite", 60.0), *_change("a", "regression", -9.0, 88, 80),
                   *_sweep("a", "g2", 90.0, "g1", 80.0, 12.5, "gain"))
    by_id = {f["fact_id"]: f for f in facts}
    rows = finding_rows(DAY, derive(DAY, facts), by_id)
    assert {r["role"] for r in rows} == {"summary", "finding", "recommendation"}
    for row in rows:
        assert not re.search(r"\bF\d+\b", row["text"]), row["text"]
        template_numbers = re.sub(r"\{F\d+(:n)?\}", "", row["template"])
        # numbers outside citations are only names and dates (g2, 2025-10-02), never figures
        for number in re.findall(r"(?<![\w.-])\d+(?:\.\d+)?(?![\w.-])", template_numbers):
            pytest.fail(f"uncited number {number} in {row['template']!r}")


def test_the_summary_names_the_days_models_and_leads_with_the_top_findings() -> None:
    facts = _facts(*_llm("gemma3:latest", "baseline", 100.0, 10, 5, "timed out"),
                   *_llm("gemma3:270m", "baseline", 280.0))
    result = derive(DAY, facts)
    assert result.summary[0] == (f"Measured on {DAY}: gemma3:270m and gemma3:latest "
                                 "(baseline).")
    assert len(result.summary) == 3 and result.summary[1] == result.findings[0].template


def test_each_sentence_is_listed_once_and_the_summary_marks_its_findings() -> None:
    """The summary leads with the top findings: the table lists them once, marked headline
    (not a second time as summary rows); two rules wording the same sentence give one row."""
    facts = _facts(*_llm("gemma3:latest", "baseline", 100.0, 10, 5, "timed out"),
                   *_llm("gemma3:270m", "baseline", 280.0))
    result = derive(DAY, facts)
    result.findings.append(result.findings[0])  # the same finding from a second rule
    rows = finding_rows(DAY, result, {f["fact_id"]: f for f in facts})
    texts = [(r["role"], r["text"]) for r in rows]
    assert len(texts) == len(set(texts))
    assert [r["role"] for r in rows if r["role"] == "summary"] == ["summary"]
    headlines = [r["template"] for r in rows if r["headline"]]
    assert headlines == result.summary[1:]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))


def test_a_ranking_states_the_ratio_of_its_ends() -> None:
    from chimera_pipeline.lib.facts.comparisons import ratio_facts

    raw = _llm("gemma3:latest", "baseline", 100.0) + _llm("gemma3:270m", "baseline", 280.0)
    facts = _facts(*raw, *ratio_facts(raw))
    ratio = next(f for f in facts if f["unit"] == "x")
    assert (ratio["subject"], ratio["value"]) == ("gemma3:270m vs gemma3:latest", 2.8)
    findings, _ = _texts(facts)
    assert ("In baseline, gemma3:270m decoded fastest at 280.0 tok/s on average and "
            "gemma3:latest slowest at 100.0 tok/s; gemma3:270m was 2.80x faster.") in findings


def test_a_family_of_facts_is_its_keys_first_part_in_the_days_order() -> None:
    """The rules that read one producer's facts read them by the key's first part: no key
    that only starts with the same letters, nor the bare prefix, and the day's order kept."""
    from chimera_pipeline.lib.findings.rules import FactIndex

    keys = ["tool.b.x", "toolbox.a", "tool", "inventory.files", "tool.a.y", "llm.tool.z"]
    index = FactIndex([{"fact_key": k, "fact_id": f"F{i}"} for i, k in enumerate(keys)])
    assert [f["fact_key"] for f in index.family("tool")] == ["tool.b.x", "tool.a.y"]
    assert [f["fact_key"] for f in index.family("inventory")] == ["inventory.files"]
    assert index.family("ratio") == []


@pytest.mark.parametrize(("value", "unit", "shown"), [
    (1.0, "files", "1 file"), (2.0, "files", "2 files"), (1.0, "requests", "1 request"),
    (1.0, "bytes", "1 byte"), (1234567.0, "bytes", "1,234,567 bytes"), (1.0, "count", "1"),
    (1.0, None, "1"), (1.5, "files", "1.50 files"), (12.345, "%", "12.3%"), (2.5, "x", "2.50x"),
    (123.456, "tok/s", "123.5 tok/s"), (0.01234, "s", "0.012 s"), (1.0, "s", "1.00 s"),
    (-1.0, "requests", "-1 requests"), (7.0, "", "7.00 ")])
def test_a_fact_is_displayed_with_its_unit_as_the_report_prints_it(value, unit, shown) -> None:
    from chimera_pipeline.lib.facts.model import format_value

    assert format_value(value, unit) == shown


def test_the_opening_names_measured_models_and_tools_but_not_their_counts() -> None:
    """The opening's models: a model's requests in a suite (not a count without one), a
    sweep's best config, a tool series' model (its measurements, not its counts)."""
    from chimera_pipeline.lib.findings import day_models

    facts = [
        {"fact_key": "llm.a.s.requests", "metric": "requests", "subject": "a", "context": "s"},
        {"fact_key": "llm.z.requests", "metric": "requests", "subject": "z", "context": None},
        {"fact_key": "sweep.b.best_config", "metric": "best_config", "subject": "b"},
        {"fact_key": "tool.t.c.output_tps.mean", "metric": "output_tps.mean",
         "subject": "c (batch 8) on H100", "context": "t"},
        {"fact_key": "tool.t.d.requests", "metric": "requests", "subject": "d",
         "context": None},
        {"fact_key": "tool.t.e.completed", "metric": "completed", "subject": "e",
         "context": "t"},
        {"fact_key": "llm.unknown.s.requests", "metric": "requests",
         "subject": "unknown model", "context": "s"}]
    facts = [{**fact, "fact_id": f"F{i}"} for i, fact in enumerate(facts, start=1)]
    assert day_models(facts) == ["a", "b", "c"]
    assert derive("2025-10-01", facts).summary[0] == "Measured on 2025-10-01: a, b and c (s, t)."
