"""The acceptance gate: what the model wrote is rejected whole, or sentence by sentence, with
the reason recorded; only checked text is published."""

from __future__ import annotations

import json

import pytest

from chimera_pipeline.lib.llm.gate import gate
from chimera_pipeline.lib.llm.narration import parse_analysis
from chimera_pipeline.lib.llm.prompts import completion_prompt, finding_line

FACTS = [
    {"fact_id": "F1", "label": "gemma3:latest baseline: decode tokens/s mean", "value": 102.2,
     "unit": "tok/s", "subject": "gemma3:latest", "display": "102.2 tok/s", "text_value": None},
    {"fact_id": "F2", "label": "gemma3:270m baseline: decode tokens/s mean", "value": 283.6,
     "unit": "tok/s", "subject": "gemma3:270m", "display": "283.6 tok/s", "text_value": None},
]
FINDINGS = ["In baseline, gemma3:270m decoded fastest at 283.6 tok/s on average and "
            "gemma3:latest slowest at 102.2 tok/s."]
PROMPT = completion_prompt("2025-10-08", [finding_line(t) for t in FINDINGS])
GOOD = ("gemma3:270m was the day's fastest model by a wide margin, at 283.6 tok/s. The "
        "default gemma3:latest reached 102.2 tok/s, which makes the small model the better "
        "choice for interactive use.")


def _judge(summary: str, note: str = "json", analysis: str = "", mark: bool = False):
    return gate({"executive_summary": summary, "performance_analysis": analysis}, note,
                PROMPT, FACTS, "en", keep_unverified=mark)


def test_a_grounded_summary_is_published_whole() -> None:
    verdict = _judge(GOOD)
    assert verdict.status == "accepted" and verdict.dropped == []
    assert verdict.published["executive_summary"] == GOOD
    assert [c.verified for c, published in verdict.claims] == [True, True]


@pytest.mark.parametrize(("summary", "note", "reason"), [
    ("5", "json", "fewer than 8"),
    ("2025-10-08", "json", "fewer than 8"),
    ("F1 F2 F3 F4", "json", "fewer than 8"),
    (FINDINGS[0], "json", "echoes the prompt"),
    ("Das Modell gemma3:270m war an diesem Tag das schnellste Modell, mit großem Abstand vor "
     "allen anderen, und die Leistung war über alle Durchläufe hinweg stabil.", "json",
     "written in 'de'"),
    ("gemma3 gemma3 gemma3 gemma3 gemma3 gemma3 gemma3 gemma3 gemma3 gemma3", "json",
     "repeats itself"),
    ("Throughput was", "truncated JSON, closed", "cut off"),
    ("{\"summary\": 42}", "not JSON; the text is kept as the summary", "did not parse"),
], ids=["digits", "date", "ids", "echo", "german", "repetition", "truncated", "not json"])
def test_an_unusable_answer_is_rejected_with_its_reason(summary, note, reason) -> None:
    verdict = _judge(summary, note)
    assert verdict.rejected and reason in verdict.rejected, verdict.rejected
    assert verdict.published == {} and verdict.status.startswith("rejected: ")


def test_truncated_json_is_noted_as_such_by_the_parser() -> None:
    full = json.dumps({"executive_summary": GOOD, "performance_analysis": "Stable."})
    sections, note, _ = parse_analysis(full[:60])
    assert note.startswith("truncated JSON")
    assert _judge(sections["executive_summary"], note).rejected.startswith("the answer was cut")


def test_a_sentence_with_an_invented_number_is_left_out_and_listed() -> None:
    verdict = _judge(GOOD + " Its p99 latency was 20.123456 ms.")
    assert verdict.status == "accepted"
    assert verdict.published["executive_summary"] == GOOD
    assert [(d.sentence, d.reason) for d in verdict.dropped] == [
        ("Its p99 latency was 20.123456 ms.", "no finding given to the model states this "
         "value")]
    assert [published for c, published in verdict.claims] == [True, True, False]


def test_a_true_number_given_to_the_wrong_model_is_left_out() -> None:
    verdict = _judge(GOOD + " gemma3:latest reached 283.6 tok/s on the longest prompt.")
    assert verdict.dropped[0].reason == "value belongs to gemma3:270m, not gemma3:latest"
    assert "283.6 tok/s on the longest" not in verdict.published["executive_summary"]


def test_a_sentence_copied_from_the_worked_example_is_left_out() -> None:
    verdict = _judge(GOOD + " model-a was the fastest model at 283.6 tok/s.")
    assert verdict.dropped[0].reason == "copied from the prompt's worked example"


def test_when_every_sentence_fails_the_check_the_narrative_is_rejected() -> None:
    verdict = _judge("gemma3:latest was measured at 999.9 tok/s over the whole day, a record "
                     "for this machine.")
    assert verdict.rejected == "no sentence of the summary survived the checks"


def test_the_inline_mark_setting_publishes_unverified_sentences_marked() -> None:
    verdict = _judge(GOOD + " Its p99 latency was 20.123456 ms.", mark=True)
    assert verdict.dropped == []
    assert "20.123456 ms [⚠ unverified]." in verdict.published["executive_summary"]
    assert [published for c, published in verdict.claims] == [True, True, True]


def test_a_sentence_that_passes_is_published_exactly_as_written() -> None:
    """File names, stamps and punctuation inside an accepted sentence are not split apart."""
    names = ("The day's files include reports/Technical_Report_109.md and "
             "ascii_demo_20251004_143244.json, e.g. the demo run.")
    verdict = _judge(GOOD + " " + names)
    assert verdict.published["executive_summary"] == GOOD + " " + names


def test_every_quantity_typed_is_a_claim_even_in_a_rejected_answer() -> None:
    """The grounding rate counts what the model typed, not only what was published."""
    verdict = _judge("gemma3:latest was measured at 999.9 tok/s over the whole day, a record "
                     "for this machine.", analysis="It peaked at 1234.5 tok/s.")
    assert verdict.rejected
    assert [(c.text, c.verified, published) for c, published in verdict.claims] == [
        ("999.9 tok/s", False, False), ("1234.5 tok/s", False, False)]
    echoed = _judge(FINDINGS[0])
    assert echoed.rejected.startswith("the summary echoes")
    assert [(c.text, c.verified) for c, _ in echoed.claims] == [("283.6 tok/s", True),
                                                               ("102.2 tok/s", True)]
