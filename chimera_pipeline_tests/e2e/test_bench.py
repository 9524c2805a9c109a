"""The benchmark runs end to end at the 1k size (a smoke test: timings are not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from chimera_pipeline.lib.config import PROJECT_ROOT
from chimera_pipeline_tests import expected
from chimera_pipeline_tests.support import clean_env


def test_the_benchmark_runs_at_1k(tmp_path, real_corpus) -> None:
    out = tmp_path / "bench.json"
    env = clean_env()
    result = subprocess.run([sys.executable, "bench/run_bench.py", "--sizes", "1000", "--out",
                             str(out), "--backfill-days", "4", "--mixed", "400", "--real", "312",
                             "--corpus", str(real_corpus), "--big-csv-mb", "1"],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                            timeout=1200)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "| 1000 |" in result.stdout and "× floor" in result.stdout
    results = json.loads(out.read_text())
    row, mixed, real = results["rows"]
    # the realistic tree: three copies of the real corpus, each file's copies unique
    assert real["tree"] == "real" and real["walk"]["files"] == 312
    assert real["numbers"] > 3 * 6000 and {"parse", "facts"} <= set(real["stage_seconds"])
    assert "312 files (real): full build" in result.stdout
    assert "1 benchmark day(s) in 1 run(s)" in real["incremental"]["output"]
    # the +1 % a user meets: a re-run's files onto the old days their names state, in fewer
    # runs than days (stale days close together share one), each run's events counted
    rerun = real["incremental_old_days"]
    assert real["rerun_files"] >= 3 and rerun["days"] >= 2, rerun
    assert 1 <= rerun["runs"] < rerun["days"] and len(rerun["events"]) == rerun["runs"]
    assert any("chimera/days" in run["tags"] for run in rerun["events"]), rerun["events"]
    assert "+1 % onto old days" in result.stdout
    assert results["big_csv"]["status"] == "ok" and results["big_csv"]["rows"]["llm_runs"] > 1000
    assert mixed["tree"] == "mixed" and "400 files (mixed): full build" in result.stdout
    assert {"llama-bench", "vllm", "llmperf", "guidellm", "genai-perf", "ollama",
            "chimeraforge"} <= set(mixed["tool_results"])
    assert row["walk"]["files"] == row["floor"]["files"] == row["naive"]["files"] >= 950
    for name in ("walk", "floor", "naive", "typed_floor", "full", "no_change", "incremental",
                 "run_overhead"):
        assert row[name]["seconds"] > 0 and row[name]["peak_rss_mb"] > 0
        assert row[name]["peak_tree_rss_mb"] >= row[name]["peak_rss_mb"]
    assert row["typed_floor"]["values"] > 10_000  # every number of the tree was tried
    assert "1/1 run(s) succeeded" in row["run_overhead"]["output"]
    assert "incremental" in result.stdout and "% net of the" in result.stdout
    assert "no benchmark days to run" in row["no_change"]["output"]
    assert "1 benchmark day(s) in 1 run(s)" in row["incremental"]["output"]
    assert "1 changed folder(s) rescanned" in row["incremental"]["output"]  # not the tree
    assert row["added_files"] >= 9
    backfill = row["backfill"]
    assert backfill["days"] == 4 and backfill["runs"][1] == 1  # one run for the whole range
    assert backfill["runs"][0] >= 4  # one per calendar day of the range
    assert f"in {backfill['runs'][0]} run(s)" in backfill["per_partition"]["output"]
    llm = row["llm"]
    assert llm["calls"] == llm["reports"] == 2  # one call per report
    assert all(c["output_tokens"] <= 96 for c in llm["per_call"])
    assert llm["pipeline_decode_tps"] > 0 and llm["direct_decode_tps"] > 0
    assert llm["direct_output_tokens"] > 0 and llm["per_call"][0]["num_ctx"] > 0


def test_the_narrative_evaluation_keeps_inventions_out(real_corpus, tmp_path) -> None:
    """The reference run's real gemma3:latest answers and the adversary's, through the Ollama
    backend for every real-corpus day: the checker flags their wrong figures and none is
    published, while the adversary's true sentences are."""
    out = tmp_path / "narrative.json"
    result = subprocess.run([sys.executable, "bench/narrative_eval.py", "--corpus",
                             str(real_corpus), "--backends", "ollama-replay", "adversarial",
                             "--out", str(out)],
                            cwd=PROJECT_ROOT, env=clean_env(), capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    replay, adversarial = json.loads(out.read_text())["results"]
    assert replay["backend"] == "ollama-replay" and replay["calls"] == expected.DAYS
    assert replay["quantities"] > 0 and replay["verified"] < 0.5 * replay["quantities"]
    for backend in (replay, adversarial):
        assert backend["published"] == backend["published_verified"]  # nothing unverified
        for day in backend["days"]:
            assert day["published"] == day["published_verified"], day
    assert adversarial["planted"] > 100 and adversarial["planted_published"] == 0
    assert adversarial["true_published"] == adversarial["true"] > 0
    assert "| ollama-replay |" in result.stdout and "| adversarial |" in result.stdout


def test_the_late_night_benchmark_asks_the_model_only_for_what_changed(tmp_path,
                                                                       real_corpus) -> None:
    """Five nights of the real corpus's prompt-suite runs through the whole pipeline with the
    embedded model, one arriving late: the late run asks the model about fewer days than it
    runs, and keeps the others' narratives (a smoke test of the script: no timing asserted)."""
    out = tmp_path / "late.json"
    result = subprocess.run([sys.executable, "bench/late_night.py", str(real_corpus),
                             "--nights", "5", "--out", str(out)], cwd=PROJECT_ROOT,
                            env=clean_env(), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    [row] = json.loads(out.read_text())["rows"]
    assert row["days_narrated"] == 5 and row["files_per_night"] == 10
    run_days = row["late_run_stages"]["analysis"]["days"]
    assert row["narratives_kept"] >= 1 and row["late_run_llm_calls"] >= 1
    assert row["late_run_llm_calls"] + row["narratives_kept"] == run_days
