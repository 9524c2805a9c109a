"""The LLM step for a range of days, as the rows of ``llm_calls``, ``llm_analyses`` and
``report_claims``: one call per day with facts, every number in the answer checked.

Dagster-free, so the whole step can be tested without a run; ``llm_analysis`` only reads
the facts, calls :func:`analyse_days` and writes what it returns.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chimera_pipeline.lib.llm.claims import Claim, check_section
from chimera_pipeline.lib.llm.narration import (
    PromptPlan,
    call,
    choose_backend,
    plan_prompt,
    token_counter,
)
from chimera_pipeline.lib.llm.settings import LLMSettings
from chimera_pipeline.lib.llm.types import LLMError, LLMResult

TABLES = ("llm_calls", "llm_analyses", "report_claims")


class DayFailed(LLMError):
    """The LLM call for one day failed for good; the message names the day and the fix."""

    def __init__(self, day: str, error: LLMError) -> None:
        super().__init__(f"llm_analysis for {day}: {error}")
        self.day = day


@dataclass
class AnalysisRows:
    """The three tables' rows for the days analysed."""

    tables: dict[str, list[dict]] = field(
        default_factory=lambda: {name: [] for name in TABLES})

    def summary(self) -> dict[str, object]:
        """What the asset's materialization shows."""
        calls, claims = self.tables["llm_calls"], self.tables["report_claims"]
        verified = sum(1 for c in claims if c["verified"])
        return {"calls": len(calls), "backend": calls[0]["backend"] if calls else "none",
                "numbers_checked": len(claims),
                "grounding_rate": verified / len(claims) if claims else 1.0}

    def add_day(self, day: str, plan: PromptPlan, result: LLMResult, sections: dict,
                note: str, settings: LLMSettings, facts: list[dict]) -> None:
        rendered, claims = check_sections(sections, facts)
        call_id = uuid.uuid4().hex[:12]
        self.tables["llm_calls"].append({
            "partition": day, "call_id": call_id, "started_at": result.started_at,
            "backend": result.backend, "model": result.model,
            "options_json": json.dumps(result.options_sent, sort_keys=True),
            "num_ctx": plan.num_ctx, "max_output_tokens": settings.max_output_tokens,
            "prompt_tokens": result.prompt_tokens, "prompt_tokens_estimated": plan.prompt_tokens,
            "output_tokens": result.output_tokens, "ttft_s": result.ttft_s,
            "decode_tps": result.decode_tps, "prefill_tps": result.prefill_tps,
            "load_s": result.load_s, "prompt_eval_s": result.prompt_eval_s,
            "eval_s": result.eval_s, "total_s": result.total_s, "attempts": result.attempts,
            "status": "ok", "error": None, "facts_trimmed": len(plan.trimmed)})
        self.tables["llm_analyses"].append({
            "partition": day, "call_id": call_id, "backend": result.backend,
            "model": result.model, "system_prompt": plan.system, "user_prompt": plan.user,
            "raw_response": result.text,
            "analysis_json": json.dumps({"raw": sections, "rendered": rendered}),
            "parse_note": note, "facts_in_prompt": len(plan.included),
            "trimmed_fact_ids": ",".join(plan.trimmed)})
        self.tables["report_claims"] += [
            {"partition": day, "claim_id": i, "section": c.section, "sentence": c.sentence,
             "text": c.text, "value": c.value, "unit": c.unit, "fact_id": c.fact_id,
             "verified": c.verified, "reason": c.reason} for i, c in enumerate(claims, start=1)]


def check_sections(sections: dict, facts: list[dict]) -> tuple[dict, list[Claim]]:
    """Check each section (and each list item) against the day's facts."""
    rendered, claims = {}, []
    for name, value in sections.items():
        items = value if isinstance(value, list) else [value]
        out = []
        for item in items:
            text, found = check_section(name, item, facts)
            out.append(text)
            claims += found
        rendered[name] = out if isinstance(value, list) else out[0]
    return rendered, claims


def analyse_days(days: list[str], facts: list[dict], settings: LLMSettings, models_dir: Path,
                 log: Callable[[str], None] = print) -> AnalysisRows:
    """One LLM call per day that has facts. The backend and the token counter are set up
    on the first such day (a range of days without facts never loads a model)."""
    rows = AnalysisRows()
    backend = counter = None
    for day in days:
        day_facts = [f for f in facts if f["partition"] == day]
        if not day_facts:
            continue
        try:
            backend = backend or choose_backend(settings, models_dir)
            counter = counter or token_counter(settings, models_dir)
            plan = plan_prompt(day, day_facts, settings, counter)
            result, sections, note = call(backend, plan, settings, log=log)
        except LLMError as exc:
            raise DayFailed(day, exc) from None
        rows.add_day(day, plan, result, sections, note, settings, day_facts)
    return rows
