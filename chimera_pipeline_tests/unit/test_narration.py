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
