"""The number checker: units, rounding, separators, subjects; end to end through a report."""


from chimera_pipeline.lib.llm.claims import UNVERIFIED_MARK, check_section

FACTS = [
    {"fact_id": "F1", "label": "gemma3:latest baseline: decode tokens/s mean", "value": 102.2009,
     "unit": "tok/s", "subject": "gemma3:latest", "display": "102.2 tok/s", "text_value": None},
    {"fact_id": "F2", "label": "conv_cuda_bench tensorrt: compile time", "value": 17.1626,
     "unit": "s", "subject": "conv_cuda_bench tensorrt", "display": "17.16 s", "text_value": None},
    {"fact_id": "F3", "label": "files dated to this day", "value": 2280000, "unit": "files",
     "subject": None, "display": "2,280,000 files", "text_value": None},
    {"fact_id": "F4", "label": "gemma3:270m baseline: decode tokens/s mean", "value": 283.558,
     "unit": "tok/s", "subject": "gemma3:270m", "display": "283.6 tok/s", "text_value": None},
]


def _claims(text):
    rendered, claims = check_section("summary", text, FACTS)
    return rendered, {c.text: c for c in claims}


def test_true_numbers_verify_with_units_rounding_and_separators() -> None:
    _, claims = _claims("gemma3:latest runs at 102.2 tok/s (about 102 tok/s). TensorRT on "
                        "conv_cuda_bench needs 17162.6 ms, i.e. 17.16 s. We saw 22,80,000 and "
                        "2,280,000 files.")
    assert all(c.verified for c in claims.values()), {k: c.reason for k, c in claims.items()}
    assert claims["17162.6"].fact_id == "F2" and claims["2,280,000"].fact_id == "F3"


def test_invented_and_misattributed_numbers_are_marked() -> None:
    rendered, claims = _claims("gemma3 reached 14.1 tok/s. The P90 of 20.123456 s was high. "
                               "gemma3:270m reached 102.2 tok/s.")
    assert [c.verified for c in claims.values()] == [False, False, False]
    assert "value belongs to gemma3:latest" in claims["102.2"].reason
    assert rendered.count(UNVERIFIED_MARK) == 3
    assert f"14.1 tok/s{UNVERIFIED_MARK}" in rendered


def test_citations_are_filled_from_facts_and_unknown_ids_flagged() -> None:
    rendered, claims = _claims("Throughput {F1}, compile {F2}, and {F99}.")
    assert rendered.startswith("Throughput 102.2 tok/s, compile 17.16 s, and F99")
    assert claims["{F1}"].verified and not claims["{F99}"].verified


def test_model_names_and_dates_are_not_numbers() -> None:
    _, claims = _claims("On 2025-10-02 gemma3:270m and llama3.1:8b-instruct-q4_0 ran.")
    assert claims == {}








