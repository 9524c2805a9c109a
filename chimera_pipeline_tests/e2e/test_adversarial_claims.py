"""The claim checker against an adversary, on the real corpus (``adversary.py``): a careless
model's wrong numbers, of every kind, built from each day's own findings, never stand in a
published report; the same findings worded differently do."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from chimera_pipeline.lib.llm.claims import Checker, sentences
from chimera_pipeline.lib.store.warehouse import FACT_ORDER, read_rows
from chimera_pipeline_tests.adversary import (
    PLANTERS,
    Day,
    answers,
    planted,
    true_sentences,
)
from chimera_pipeline_tests.fake_ollama import FakeOllama
from chimera_pipeline_tests.support import REAL_CORPUS_ROOTS, chimera, open_instance

# kinds that misquote a change against an earlier day: planted only where the prompt carries
# a change finding (none in the real corpus since changes are judged against each series'
# history; test_claims.py attacks the checker with them on constructed facts)
CHANGE_KINDS = {"sign_flip", "previous_day_as_today"}


def _expected_kinds(days: list[Day]) -> set[str]:
    changes = any(f["category"] == "change" and f["unit"] == "%" for d in days for f in d.given)
    return set(PLANTERS) if changes else set(PLANTERS) - CHANGE_KINDS


def _days(con: duckdb.DuckDBPyConnection) -> list[Day]:
    days = [d for (d,) in con.execute("SELECT DISTINCT partition FROM findings ORDER BY 1")
            .fetchall()]
    facts = read_rows(con, "facts", days, order=FACT_ORDER)
    findings = read_rows(con, "findings", days, order="rank")
    return [Day(day, [f for f in facts if f["partition"] == day],
                [f for f in findings if f["partition"] == day]) for day in days]


def test_every_kind_of_planted_claim_is_caught_on_every_day(real_db) -> None:
    """Each planted sentence, on each day it can be written for, has a quantity the checker
    does not verify; every true rewording of the findings passes."""
    caught, kinds, passed, true = 0, Counter(), 0, 0
    days = _days(real_db)
    for day in days:
        checker = Checker.from_rows(day.facts, {f["fact_id"] for f in day.given})
        for plant in planted(day):
            kinds[plant.kind] += 1
            _, claims = checker.check("executive_summary", plant.sentence)
            assert claims and not all(c.verified for c in claims), (day.day, plant)
            caught += 1
        for sentence in (s for text in true_sentences(day) for s in sentences(text)):
            _, claims = checker.check("executive_summary", sentence)
            true += 1
            passed += all(c.verified for c in claims)
            assert all(c.verified for c in claims), (day.day, sentence, claims)
    assert set(kinds) == _expected_kinds(days), f"never planted: {set(PLANTERS) - set(kinds)}"
    assert caught > 100 and passed == true > 20


def test_no_planted_claim_stands_in_a_published_report(real_corpus: Path, real_db,
                                                       tmp_path: Path) -> None:
    """Through ``chimera run`` and the Ollama-protocol server: every planted sentence is left
    out of the published narrative with its reason, true sentences are published, and the
    grounding check fails (a warning: the report is published with what was verified)."""
    days = _days(real_db)
    written = answers(days)
    assert {p.kind for a in written.values() for p in a.planted} == _expected_kinds(days)

    def respond(body: dict) -> str:
        day = re.search(r"benchmark day (\d{4}-\d{2}-\d{2})", json.dumps(body)).group(1)
        return written[day].text()

    with FakeOllama(respond=respond) as server:
        env = {"CHIMERA_ARTIFACT_ROOT": str(real_corpus),
               "CHIMERA_SCAN_ROOTS": REAL_CORPUS_ROOTS, "CHIMERA_DATA_DIR": str(tmp_path),
               "CHIMERA_LLM_BACKEND": "ollama", "OLLAMA_HOST": server.url,
               "CHIMERA_LLM_MAX_CTX": "8192", "CHIMERA_LLM_MAX_TOKENS": "1024"}
        result = chimera(["run", "--in-process"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        analyses = {row["partition"]: row for row in read_rows(con, "llm_analyses",
                                                                list(written))}
        typed, verified = con.execute("SELECT count(*), count(*) FILTER (WHERE verified) "
                                      "FROM report_claims").fetchone()
    for day, answer in written.items():
        analysis = analyses[day]
        assert analysis["trimmed_fact_ids"] == "", day  # the model saw every finding
        dropped = {d["sentence"]: d["reason"] for d in json.loads(analysis["dropped_json"])}
        report = (tmp_path / "reports" / day / "report.md").read_text()
        published = report.split("## Appendix")[0]
        for plant in answer.planted:
            assert plant.sentence not in published, (day, plant)
            assert plant.sentence in dropped and "words" not in dropped[plant.sentence], plant
        narrative = " ".join(json.loads(analysis["analysis_json"])["published"].values())
        for sentence in answer.true:
            assert sentence in narrative and sentence in published, (day, sentence, dropped)
    assert verified < 0.8 * typed
    import dagster as dg

    with open_instance(tmp_path / "dagster_home") as instance:
        checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("llm_analysis"), "grounding_rate")])
        evaluation = next(iter(checks.values())).event.dagster_event.event_specific_data
    assert evaluation.passed is False and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert "left every unverified one out" in evaluation.description


@pytest.mark.parametrize("kind", ["count_as_ratio", "range", "suffix"])
def test_the_issue_examples_are_caught(real_db, kind: str) -> None:
    """The three wrong claims that stood in published reports on all nine days."""
    for day in _days(real_db):
        checker = Checker.from_rows(day.facts, {f["fact_id"] for f in day.given})
        for sentence in PLANTERS[kind](day):
            assert not all(c.verified for c in checker.check("s", sentence)[1]), sentence


def test_the_adversarial_reviews_sentences_are_left_out(real_db) -> None:
    """Each false sentence of the review (``review_attacks.py``), checked as the gate does
    (sentence by sentence, names carried from one to the next), has a quantity that is not
    verified."""
    from chimera_pipeline_tests.review_attacks import REVIEWED, UNDATED

    days = _days(real_db)
    checkers = {day.day: Checker.from_rows(day.facts, {f["fact_id"] for f in day.given})
                for day in days}
    undated = [d.day for d in days if any("gemma3:270m" in str(f.get("subject") or "")
                                          for f in d.facts)]
    assert len(undated) == 1, undated
    for day, text in REVIEWED:
        checker = checkers[undated[0] if day == UNDATED else day]
        checker.new_section()
        verdicts = [c.verified for s in sentences(text)
                    for c in checker.check("executive_summary", s)[1]]
        assert verdicts and not all(verdicts), (day, text)
