"""The LLM prompt: the top findings, in the form the model was trained on, fitted to num_ctx."""

from __future__ import annotations

import dataclasses

import pytest

from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.llm.narration import TOP_FINDINGS, plan_prompt
from chimera_pipeline.lib.llm.prompts import PERSONA
from chimera_pipeline.lib.llm.settings import LLMSettings
from chimera_pipeline.lib.llm.types import CHAT, COMPLETION, LLMError

SETTINGS = LLMSettings.from_config(load_settings({}))
FINDINGS = [f"Finding number {i} about gemma3:latest decoding at {100 + i}.0 tok/s in the "
            "baseline suite on this day." for i in range(12)]


def count(text: str) -> int:
    return len(text.split())


def test_the_chat_form_sends_the_top_findings_as_quoted_data() -> None:
    plan = plan_prompt("2025-10-08", FINDINGS, SETTINGS, count, CHAT)
    assert plan.system == PERSONA and plan.prompt is None and plan.stop == []
    assert plan.included == FINDINGS[:TOP_FINDINGS] and plan.trimmed == []
    body = plan.user.split("```data\n", 1)[1].split("\n```", 1)[0]
    assert body.splitlines() == [f"- {f}" for f in FINDINGS[:TOP_FINDINGS]]
    assert plan.num_ctx >= plan.prompt_tokens + SETTINGS.max_output_tokens


def test_the_completion_form_ends_inside_the_answer() -> None:
    plan = plan_prompt("2025-10-08", FINDINGS, SETTINGS, count, COMPLETION)
    assert plan.prompt_format == COMPLETION and plan.prompt == plan.user
    assert plan.prompt.endswith("Summary in two sentences: On 2025-10-08,")
    assert plan.primer == "On 2025-10-08," and "\n\n" in plan.stop
    assert FINDINGS[0] in plan.prompt and "model-a" in plan.prompt  # the worked example


def test_findings_that_do_not_fit_are_left_out_lowest_ranked_first() -> None:
    small = dataclasses.replace(SETTINGS, max_ctx=400, max_output_tokens=100)
    plan = plan_prompt("2025-10-08", FINDINGS, small, count, CHAT)
    assert plan.trimmed and plan.included + plan.trimmed == FINDINGS[:TOP_FINDINGS]
    assert plan.prompt_tokens + small.max_output_tokens <= plan.num_ctx <= 400
    with pytest.raises(LLMError, match="CHIMERA_LLM_MAX_CTX"):
        plan_prompt("2025-10-08", FINDINGS, dataclasses.replace(small, max_ctx=150), count)


def test_the_llm_step_reads_a_year_of_facts_a_block_at_a_time() -> None:
    import datetime as dt

    from chimera_pipeline.lib.llm.rows import blockwise

    days = [(dt.date(2025, 1, 1) + dt.timedelta(d)).isoformat() for d in range(365)]
    reads: list[list[str]] = []

    def read_block(block: list[str]) -> tuple[list[dict], list[dict]]:
        reads.append(block)
        return ([{"partition": d, "fact_id": f"F{i}"} for d in block for i in (1, 2)],
                [{"partition": d, "role": "finding"} for d in block if d.endswith("-01")])

    rows = blockwise(days, read_block)
    seen = {day: rows(day) for day in days}
    assert [len(block) for block in reads] == [31] * 11 + [24]  # each block read once
    assert seen["2025-03-01"] == ([{"partition": "2025-03-01", "fact_id": "F1"},
                                   {"partition": "2025-03-01", "fact_id": "F2"}],
                                  [{"partition": "2025-03-01", "role": "finding"}])
    assert seen["2025-03-02"][1] == []
