"""The grounding of the LLM text, end to end: unverified sentences left out and listed, a failed
call, the blocking check."""

import json

import duckdb

from chimera_pipeline.lib.llm.claims import UNVERIFIED_MARK
from chimera_pipeline_tests.fake_ollama import FakeOllama
from chimera_pipeline_tests.support import REAL_CORPUS_ROOTS, chimera, mtime_day, open_instance

INVENTED = {"executive_summary": "gemma3:latest decoded at 102.2 tok/s in the baseline suite, "
                                  "a steady result. The gemma3 family peaked at 14.1 tok/s on "
                                  "its slowest run.",
            "performance_analysis": "The P90 of 20.123456 was the worst of the day."}


def test_sentences_with_invented_numbers_are_left_out_and_listed(real_corpus, tmp_path) -> None:
    """An Ollama answer (served by the test server) with a true number and invented ones:
    the true sentence is published, the others are left out with their reason."""
    today = mtime_day(real_corpus)  # the day of the real corpus's undated gemma3 files
    with FakeOllama(answer=INVENTED) as server:
        env = {"CHIMERA_ARTIFACT_ROOT": str(real_corpus),
               "CHIMERA_SCAN_ROOTS": REAL_CORPUS_ROOTS, "CHIMERA_DATA_DIR": str(tmp_path),
               "CHIMERA_LLM_BACKEND": "ollama", "OLLAMA_HOST": server.url}
        result = chimera(["run", "--date", today, "--in-process"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        claims = {t: (v, p) for t, v, p in con.execute(
            "SELECT text, verified, published FROM report_claims").fetchall()}
        call = con.execute("SELECT backend, model, prompt_format FROM llm_calls").fetchall()
        gate = con.execute("SELECT gate FROM llm_analyses").fetchone()[0]
    assert claims == {"102.2 tok/s": (True, True), "14.1 tok/s": (False, False),
                      "20.123456": (False, False)}
    assert call == [("ollama", "gemma3:latest", "chat")] and gate == "accepted"
    report = (tmp_path / "reports" / today / "report.md").read_text()
    published, appendix = report.split("## Appendix")
    assert "gemma3:latest decoded at 102.2 tok/s in the baseline suite" in published
    assert "14.1" not in published and "20.123456" not in published
    assert ("14.1 tok/s on its slowest run.\" (executive_summary): no finding given to the "
            "model states this value") in appendix
    assert "2 sentence(s) left out" in report and UNVERIFIED_MARK not in report
    document = json.loads((tmp_path / "reports" / today / "report.json").read_text())
    assert len(document["dropped"]) == 2 and document["unverified"] == 0
    _assert_report_in_dagster_metadata(tmp_path / "dagster_home", today)


def test_a_failed_llm_call_fails_loudly_and_leaves_no_half_report(real_corpus, tmp_path) -> None:
    today = mtime_day(real_corpus)
    with FakeOllama(models=("llama3:70b",)) as server:  # gemma3:latest is not pulled there
        env = {"CHIMERA_ARTIFACT_ROOT": str(real_corpus),
               "CHIMERA_SCAN_ROOTS": REAL_CORPUS_ROOTS, "CHIMERA_DATA_DIR": str(tmp_path),
               "CHIMERA_LLM_BACKEND": "ollama", "OLLAMA_HOST": server.url}
        result = chimera(["run", "--date", today, "--in-process"], env)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "ollama pull gemma3:latest" in output and server.url in output
    assert not (tmp_path / "reports" / today / "report.md").exists()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM facts").fetchone()[0] > 100
        assert con.execute("SELECT count(*) FROM llm_calls").fetchone()[0] == 0


def test_a_failing_grounding_check_blocks_the_report(real_corpus, tmp_path) -> None:
    """With unverified sentences published marked (CHIMERA_LLM_MARK_UNVERIFIED), two numbers
    of three invented, default threshold 0.8: benchmark_report does not run."""
    answer = INVENTED
    today = mtime_day(real_corpus)
    with FakeOllama(answer=answer) as server:
        env = {"CHIMERA_ARTIFACT_ROOT": str(real_corpus),
               "CHIMERA_SCAN_ROOTS": REAL_CORPUS_ROOTS, "CHIMERA_DATA_DIR": str(tmp_path),
               "CHIMERA_LLM_BACKEND": "ollama", "OLLAMA_HOST": server.url,
               "CHIMERA_LLM_MARK_UNVERIFIED": "1"}  # the threshold stays at its default
        result = chimera(["run", "--date", today, "--in-process"], env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert not (tmp_path / "reports" / today / "report.md").exists()
    import dagster as dg

    with open_instance(tmp_path / "dagster_home") as inst:
        check = inst.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("llm_analysis"), "grounding_rate")])
        evaluation = next(iter(check.values())).event.dagster_event.event_specific_data
        assert evaluation.passed is False
        assert "the report is not published" in evaluation.description
        assert inst.get_latest_materialization_event(dg.AssetKey("benchmark_report")) is None


def _assert_report_in_dagster_metadata(home, day) -> None:
    """The run went through the instance, and the report reads in the UI (asset metadata)."""
    import dagster as dg

    with open_instance(home) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey("benchmark_report"))
        materialization = event.asset_materialization
        assert materialization.partition == day
        assert materialization.metadata["report"].value.startswith("# Technical Report")
        checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("benchmark_report"), "reports_written")])
        assert next(iter(checks.values())).event.dagster_event.event_specific_data.passed

