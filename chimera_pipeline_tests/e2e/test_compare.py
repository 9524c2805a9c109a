"""``chimera compare`` on the real corpus and on the other tools' corpus: across two days,
two tools measuring one model, two GPUs; every number is the warehouse's own."""

from __future__ import annotations

import json

import pytest

from chimera_pipeline.lib.compare import previous_day_markdown
from chimera_pipeline_tests.support import chimera


def _compare(env: dict, *args: str) -> dict:
    env = {k: v for k, v in env.items() if isinstance(v, str)}
    result = chimera(["compare", *args, "--format", "json"], env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)["comparisons"][0]


@pytest.fixture
def tools_env(tools_run: dict) -> dict:
    """The session's warehouse of the tools corpus (conftest's ``tools_run``), read by the
    command; ``con`` is its read-only connection for the expected values."""
    return {"CHIMERA_DATA_DIR": str(tools_run["data_dir"]), "con": tools_run["con"]}


def _tool_value(env: dict, sql: str) -> float:
    return env["con"].execute(sql).fetchone()[0]


def test_two_days_of_the_real_corpus_equal_the_warehouse(real_run: dict, real_db) -> None:
    """The acceptance: every model and suite measured on both days, with decode tok/s, TTFT
    and failed share, change and verdict; the numbers are llm_runs' own."""
    data = _compare(real_run["env"], "--days", "2025-10-02", "2025-10-08")
    both = real_db.execute("""
        SELECT DISTINCT model, suite FROM llm_runs WHERE partition = '2025-10-02'
        INTERSECT SELECT DISTINCT model, suite FROM llm_runs WHERE partition = '2025-10-08'
        """).fetchall()
    assert both
    rows = {(r["model"], r["test"], r["metric"]): r for r in data["rows"]}
    unmatched = {(u["series"].split()[0], u["metric"]): u["reason"] for u in data["unmatched"]}
    for model, suite in both:
        for metric, column in (("decode_tps", "decode_tps"), ("ttft", "ttft_s"),
                               ("failed_share", None)):
            row = rows.get((model, suite, metric))
            if row is None:  # every request of a day failed: said why, not left out
                assert "no " in unmatched[(model, metric)], (model, metric)
                continue
            assert row["verdict"] in ("real: better", "real: worse", "within noise",
                                      "no spread: cannot tell") and row["evidence"]
            for side, day in (("a", "2025-10-02"), ("b", "2025-10-08")):
                if column is None:
                    expected = real_db.execute(
                        "SELECT 100.0 * count(*) FILTER (WHERE NOT ok) / count(*) FROM "
                        "(SELECT DISTINCT ON (measurement_key) * FROM llm_runs WHERE "
                        "partition = ? AND model = ? AND suite = ?)", [day, model, suite]
                    ).fetchone()[0]
                else:
                    expected = real_db.execute(
                        f"SELECT avg({column}) FROM (SELECT DISTINCT ON (measurement_key) * "
                        "FROM llm_runs WHERE partition = ? AND model = ? AND suite = ?) "
                        "WHERE ok", [day, model, suite]).fetchone()[0]
                assert row[side] == pytest.approx(expected, rel=1e-9), (model, metric, side)
            if row["change_unit"] == "%":
                assert row["change"] == pytest.approx(100 * (row["b"] / row["a"] - 1))
            else:
                assert row["change"] == pytest.approx(row["b"] - row["a"])
    assert {m for m, _ in both} >= {"llama3.1:8b-instruct-q4_0"}
    assert ("llama3.1:8b-instruct-q4_0", "prompt_suite", "decode_tps") in rows
    swapped = _compare(real_run["env"], "--days", "2025-10-08", "2025-10-02")
    for row in swapped["rows"]:
        twin = rows[(row["model"], row["test"], row["metric"])]
        assert (row["a"], row["b"]) == (twin["b"], twin["a"])


def test_two_days_ttft_percentiles_are_quantile_cont_of_each_days_requests(
        real_run: dict, real_db) -> None:
    """The p50/p95/p99 TTFT rows beside the mean: DuckDB's quantile_cont over each day's ok
    requests (a request stored twice counted once), shown and not tested."""
    data = _compare(real_run["env"], "--days", "2025-10-02", "2025-10-08")
    means = {(r["model"], r["test"]) for r in data["rows"] if r["metric"] == "ttft"}
    assert ("llama3.1:8b-instruct-q4_0", "prompt_suite") in means
    for stat, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        rows = {(r["model"], r["test"]): r for r in data["rows"] if r["metric"] == f"ttft_{stat}"}
        assert set(rows) == means, stat  # beside every matched TTFT mean
        for (model, suite), row in rows.items():
            assert (row["stat"], row["label"], row["unit"]) == (stat, f"TTFT {stat}", "s")
            assert row["verdict"] == "not tested: percentile" and row["p_value"] is None
            for side, day in (("a", "2025-10-02"), ("b", "2025-10-08")):
                expected, n = real_db.execute(
                    f"SELECT quantile_cont(ttft_s, {q}), count(ttft_s) FROM (SELECT DISTINCT ON "
                    "(measurement_key) * FROM llm_runs WHERE partition = ? AND model = ? AND "
                    "suite = ?) WHERE ok", [day, model, suite]).fetchone()
                assert row[side] == pytest.approx(expected, rel=1e-12), (model, stat, side)
                assert row[f"{side}_n"] == n
            assert row["change"] == pytest.approx(100 * (row["b"] / row["a"] - 1))


def test_the_real_corpus_markdown_and_previous_day(real_run: dict, real_db, tmp_path) -> None:
    result = chimera(["compare", "--days", "2025-10-02", "2025-10-08", "--out",
                      str(tmp_path)], real_run["env"], timeout=300)
    assert result.returncode == 0, result.stderr
    assert "### decode tokens/s (tok/s)" in result.stdout and "### Not matched" in result.stdout
    assert (tmp_path / "comparison.md").is_file() and (tmp_path / "comparison.png").is_file()
    table = previous_day_markdown(real_db, "2025-10-08")
    assert "| llama3.1:8b-instruct-q4_0 prompt_suite" in table and "2025-10-02" in table


def test_a_selection_matching_nothing_exits_2(real_run: dict) -> None:
    result = chimera(["compare", "--models", "llama3.1:8b-instruct-q4_0", "no-such-model"],
                     real_run["env"], timeout=300)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "chimera: selection B (model=no-such-model) matches no measurement in the warehouse"]


def test_two_gpus_of_one_llama_bench_run(tools_env: dict) -> None:
    one, two = "AMD Radeon RX 7900 XTX", "AMD Radeon RX 7900 XTX + AMD Radeon RX 7900 XTX"
    data = _compare(tools_env, "--a", f"hardware={one},config=ngl=100 fa=1 [GPU 0 ONLY]",
                    "--b", f"hardware={two},config=ngl=100 fa=1 [DUAL GPU]")
    assert data["compared"] == ["hardware", "config"] and not data["unmatched"]
    rows = {r["test"]: r for r in data["rows"]}
    assert set(rows) == {"pp512", "tg128"}
    for test, row in rows.items():
        for side, hardware, config in (("a", one, "ngl=100 fa=1 [GPU 0 ONLY]"),
                                       ("b", two, "ngl=100 fa=1 [DUAL GPU]")):
            assert row[side] == pytest.approx(_tool_value(tools_env, f"""
                SELECT value FROM benchmark_results WHERE hardware = '{hardware}'
                AND config = '{config}' AND test = '{test}' AND stat = 'mean'"""))
        # a Markdown table's mean ± std without a count: no sample to judge by
        assert row["verdict"] == "no spread: cannot tell"
    assert rows["pp512"]["b"] > rows["pp512"]["a"] and rows["tg128"]["b"] < rows["tg128"]["a"]


def test_two_tools_measuring_one_model(tools_env: dict) -> None:
    """llmperf and GenAI-Perf both measured Llama 3 8B Instruct at one concurrent request;
    the engines differ (llmperf names none), which is said until it is ignored."""
    a = "tool=llmperf,model=meta-llama/Meta-Llama-3-8B-Instruct,test=750/150 tokens concurrency=1"
    b = "tool=genai-perf,model=meta/llama3-8b-instruct,test=chat concurrency=1"
    strict = _compare(tools_env, "--a", a, "--b", b)
    assert not strict["rows"]
    assert any("engine" in u["reason"] and "--ignore engine" in u["reason"]
               for u in strict["unmatched"])
    data = _compare(tools_env, "--a", a, "--b", b, "--ignore", "engine")
    rows = {r["metric"]: r for r in data["rows"]}
    assert {"ttft", "output_tps", "itl", "e2e_latency", "requests_per_s"} <= set(rows)
    for side, tool in (("a", "llmperf"), ("b", "genai-perf")):
        assert rows["ttft"][side] == pytest.approx(_tool_value(tools_env, f"""
            SELECT avg(value) FROM benchmark_results WHERE tool = '{tool}' AND metric = 'ttft'
            AND stat = 'mean' AND concurrency = 1 AND model LIKE '%lama%3%8%'"""))
    assert rows["ttft"]["ratio"] == pytest.approx(rows["ttft"]["b"] / rows["ttft"]["a"])
    assert [u["metric"] for u in data["unmatched"]] == ["failed_share"]


def test_the_report_metadata_shows_what_changed_since_the_previous_day(real_run: dict,
                                                                       real_db) -> None:
    """The Dagster UI shows each day's comparison with the previous day of each series: the
    report's observation of 2025-10-08 carries the same table ``previous_day_markdown``
    computes from the warehouse, naming the earlier day it was compared with."""
    import dagster as dg

    from chimera_pipeline_tests.support import open_instance

    with open_instance(real_run["data_dir"] / "dagster_home") as instance:
        records = instance.fetch_observations(dg.AssetKey("benchmark_report"),
                                              limit=1000).records
        shown = {r.partition_key: r.asset_observation.metadata["since_previous_day"].value
                 for r in records if "since_previous_day" in r.asset_observation.metadata}
    assert shown["2025-10-08"] == previous_day_markdown(real_db, "2025-10-08")
    assert "| previous day |" in shown["2025-10-08"] and "2025-10-02" in shown["2025-10-08"]
    first = min(shown)  # the first day has nothing earlier, and says so
    assert shown[first].startswith("No series measured on")


def test_the_docs_command_lines_run(real_run: dict, tools_env: dict, tmp_path) -> None:
    """Every command line of docs/comparing-runs.md's first block runs (exit 0) on the corpus
    it is about: the real corpus's days and models, the tools corpus's tools and GPUs."""
    import shlex
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "comparing-runs.md").read_text()
    block = docs.split("```bash\n", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    lines = [line.split("#", 1)[0] for line in block.splitlines() if "chimera compare" in line]
    assert len(lines) >= 6
    tools = {k: v for k, v in tools_env.items() if isinstance(v, str)}
    for line in lines:
        args = shlex.split(line)[2:]
        args = [str(tmp_path / "out") if a == "/tmp/cmp" else a for a in args]
        env = real_run["env"] if "2025-10" in line else tools
        result = chimera(["compare", *args], env, timeout=300)
        assert result.returncode == 0, (line, result.stderr)
