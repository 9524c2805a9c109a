"""LLM faults through the real pipeline, against the test server that speaks Ollama's protocol.

Each fault ends in retries with backoff, then either success or a failure of
``llm_analysis`` alone: the deterministic assets succeed and their tables stay exactly as
an LLM-free run leaves them, and the message names the host, the model and the fix.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from chimera_pipeline.lib.sample import write_corpus
from chimera_pipeline_tests.fake_ollama import FakeOllama
from chimera_pipeline_tests.support import LLM_TABLES, chimera, open_instance, table_snapshot

DAY = "2025-09-24"
BACKOFF = 0.3
DETERMINISTIC = ("artifact_inventory", "benchmark_metrics", "benchmark_facts")


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("llm_faults")
    write_corpus(base / "artifacts")
    env = {"CHIMERA_ARTIFACT_ROOT": str(base / "artifacts"), "CHIMERA_DATA_DIR": str(base),
           "CHIMERA_LLM_BACKEND": "ollama", "CHIMERA_LLM_RETRIES": "2",
           "CHIMERA_LLM_BACKOFF": str(BACKOFF), "CHIMERA_LLM_TIMEOUT": "1.5",
           "CHIMERA_LLM_SCHEMA_RETRIES": "1"}
    first = chimera(["run", "--date", DAY, "--until", "benchmark_facts"], env)
    assert first.returncode == 0, first.stdout + first.stderr
    return {"env": env, "base": base,
            "deterministic": table_snapshot(base / "warehouse.duckdb", exclude=LLM_TABLES)}


def _run(faults: dict, server_url: str):
    env = {**faults["env"], "OLLAMA_HOST": server_url}
    # --force: the day's narrative from an earlier test would otherwise be kept (its facts
    # and findings did not change) and the model not asked at all
    result = chimera(["run", "--force", "--date", DAY], env, timeout=300)
    home = str(faults["base"] / "dagster_home")
    with open_instance(home) as instance:
        run = instance.get_runs(limit=1)[0]
        steps = {s.step_key: s.status.value for s in instance.get_run_step_stats(run.run_id)}
    return result, steps


def _attempts(faults: dict) -> int:
    with duckdb.connect(str(faults["base"] / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT attempts FROM llm_calls WHERE partition = ?",
                           [DAY]).fetchone()[0]


def _assert_backoff(arrivals: list[float]) -> None:
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    for i, gap in enumerate(gaps):  # exponential: BACKOFF, 2*BACKOFF, ...
        assert gap >= BACKOFF * 2 ** i * 0.9, gaps


def _assert_deterministic_untouched(faults: dict, steps: dict) -> None:
    for step in DETERMINISTIC:
        assert steps[step] == "SUCCESS", steps
    after = table_snapshot(faults["base"] / "warehouse.duckdb", exclude=LLM_TABLES)
    assert after == faults["deterministic"]


@pytest.mark.parametrize("script", [["500"], ["cut"], ["badjson"], ["german"], ["empty"],
                                    ["hang"]], ids=lambda s: s[0])
def test_a_transient_fault_is_retried_with_backoff_then_succeeds(faults, script) -> None:
    with FakeOllama(hang_s=3) as server:
        server.script = list(script)
        result, steps = _run(faults, server.url)
        arrivals = server.arrivals
    assert result.returncode == 0, result.stdout + result.stderr
    assert steps["llm_analysis"] == "SUCCESS" and steps["benchmark_report"] == "SUCCESS"
    assert _attempts(faults) == 2 and len(arrivals) == 2
    _assert_backoff(arrivals)
    _assert_deterministic_untouched(faults, steps)


@pytest.mark.parametrize("case", ["down", "not_pulled", "hang", "cut", "500"])
def test_a_lasting_fault_fails_llm_analysis_alone_and_says_what_to_do(faults, case) -> None:
    models = ("llama3:70b",) if case == "not_pulled" else ("gemma3:latest",)
    fixes = {"down": "ollama serve", "not_pulled": "ollama pull gemma3:latest",
             "hang": "CHIMERA_LLM_TIMEOUT", "cut": "check the server", "500": "server's log"}
    report = Path(faults["base"]) / "reports" / DAY / "report.md"
    report.unlink(missing_ok=True)  # an earlier case's report; this run must not write one
    with FakeOllama(models=models, hang_s=3) as server:
        url = server.url
        server.script = [case] * 3
        if case == "down":
            server.__exit__()
        result, steps = _run(faults, url)
        arrivals = server.arrivals
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert steps["llm_analysis"] == "FAILURE", steps
    assert "benchmark_report" not in steps or steps["benchmark_report"] != "SUCCESS"
    assert url in output and "gemma3:latest" in output and fixes[case] in output, output
    if case not in ("down", "not_pulled"):
        assert len(arrivals) == 3
        _assert_backoff(arrivals)
    _assert_deterministic_untouched(faults, steps)
    assert not report.exists()




def test_an_answer_that_stays_in_the_wrong_language_is_rejected_not_published(faults) -> None:
    """The model answers in German every time: the call succeeded, so the step does too, but
    the gate rejects the narrative; the report keeps its findings and says why."""
    with FakeOllama() as server:
        server.script = ["german"] * 3
        result, steps = _run(faults, server.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert steps["llm_analysis"] == "SUCCESS" and steps["benchmark_report"] == "SUCCESS"
    assert _attempts(faults) == 2  # one retry (CHIMERA_LLM_SCHEMA_RETRIES=1), then judged
    report = (Path(faults["base"]) / "reports" / DAY / "report.md").read_text()
    assert "**Narrative:** narrative rejected: written in 'de', not 'en'" in report
    assert "Das Modell" not in report.split("## Appendix")[0]
    assert "narrative rejected: written in 'de'" in result.stdout + result.stderr
