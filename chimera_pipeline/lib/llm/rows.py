"""The LLM step for a range of days, as the rows of ``llm_calls``, ``llm_analyses`` and
``report_claims``: one call per day, the model narrating the day's top findings, every word of
it through the gate before anything is published.

Dagster-free, so the whole step can be tested without a run (``llm.step`` reads and writes
the warehouse around :func:`analyse_days`). A day whose facts, findings and narrative settings
are those its stored narrative was written from is not asked again (``llm.inputs``): its rows
stay as they are.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from chimera_pipeline.lib.common.sql import in_list
from chimera_pipeline.lib.llm.gate import GateResult, gate
from chimera_pipeline.lib.llm.inputs import digest, narrative_version
from chimera_pipeline.lib.llm.narration import (
    PromptPlan,
    call,
    choose_backend,
    plan_prompt,
    token_counter,
)
from chimera_pipeline.lib.llm.settings import LLMSettings
from chimera_pipeline.lib.llm.types import LLMError, LLMResult

TABLES = ("llm_calls", "llm_analyses", "report_claims", "analysis_inputs")


class DayFailed(LLMError):
    """The LLM call for one day failed for good; the message names the day and the fix.
    ``done``: the rows of the days before it, finished (``llm.step`` writes them)."""

    def __init__(self, day: str, error: LLMError, done: AnalysisRows | None = None) -> None:
        super().__init__(f"llm_analysis for {day}: {error}")
        self.day, self.done = day, done


@dataclass
class AnalysisRows:
    """The three tables' rows for the days analysed, and each day's gate verdict."""

    tables: dict[str, list[dict]] = field(
        default_factory=lambda: {name: [] for name in TABLES})
    verdicts: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)  # days whose stored narrative still holds
    days: list[str] = field(default_factory=list)  # every day finished, asked, kept or silent

    def keep(self) -> dict[str, str]:
        """``replace_partitions``' ``keep``: the kept days' rows stay in every table."""
        if not self.kept:
            return {}
        return dict.fromkeys(TABLES, in_list("partition", self.kept))

    def summary(self) -> dict[str, object]:
        """What the asset's materialization shows."""
        calls = self.tables["llm_calls"]
        claims = self.tables["report_claims"]
        verified = sum(1 for c in claims if c["verified"])
        rejected = {d: v for d, v in self.verdicts.items() if v != "accepted"}
        return {"calls": len(calls), "backend": calls[0]["backend"] if calls else "none",
                "prompt_format": calls[0]["prompt_format"] if calls else "none",
                "narratives_accepted": len(self.verdicts) - len(rejected),
                "narrative": "; ".join(f"{d}: narrative {v}" for d, v in rejected.items())
                or "every narrative accepted",
                "quantities_typed": len(claims), "quantities_verified": verified,
                "quantities_published": sum(1 for c in claims if c["published"]),
                "grounding_rate": verified / len(claims) if claims else 1.0,
                "days_kept": len(self.kept)}

    def add_day(self, day: str, plan: PromptPlan, result: LLMResult, sections: dict,
                note: str, settings: LLMSettings, verdict: GateResult, inputs: str) -> None:
        call_id = uuid.uuid4().hex[:12]
        self.verdicts[day] = verdict.status
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
            "status": "ok", "error": None, "facts_trimmed": len(plan.trimmed),
            "prompt_format": plan.prompt_format})
        self.tables["llm_analyses"].append({
            "partition": day, "call_id": call_id, "backend": result.backend,
            "model": result.model, "system_prompt": plan.system, "user_prompt": plan.user,
            "raw_response": result.text,
            "analysis_json": json.dumps({"raw": sections, "published": verdict.published}),
            "parse_note": note, "facts_in_prompt": len(plan.included),
            "trimmed_fact_ids": json.dumps(plan.trimmed) if plan.trimmed else "",
            "prompt_format": plan.prompt_format, "gate": verdict.status,
            "dropped_json": json.dumps([asdict(d) for d in verdict.dropped])})
        self.tables["report_claims"] += [
            {"partition": day, "claim_id": i, "section": c.section, "sentence": c.sentence,
             "text": c.text, "value": c.value, "unit": c.unit, "fact_id": c.fact_id,
             "verified": c.verified, "reason": c.reason, "published": published}
            for i, (c, published) in enumerate(verdict.claims, start=1)]
        self.tables["analysis_inputs"].append({
            "partition": day, "digest": inputs, "call_id": call_id,
            "claims": len(verdict.claims)})


DayRows = Callable[[str], tuple[list[dict], list[dict]]]  # day -> (its facts, its findings)
BLOCK_DAYS = 31


def blockwise(days: list[str], read_block: Callable[[list[str]], tuple[list[dict], list[dict]]],
              block_days: int = BLOCK_DAYS) -> DayRows:
    """A day's facts and findings, read ``block_days`` at a time: a year's backfill holds one
    block's rows (a busy day has thousands of facts), never the year's, and each day's rows
    are looked up once instead of filtering every row of the range per day."""
    ordered = sorted(set(days))
    cache: dict[str, tuple[list[dict], list[dict]]] = {}

    def rows(day: str) -> tuple[list[dict], list[dict]]:
        if day not in cache:
            cache.clear()
            start = ordered.index(day) // block_days * block_days
            block = ordered[start:start + block_days]
            facts, findings = read_block(block)
            cache.update({d: ([], []) for d in block})
            for fact in facts:
                cache[fact["partition"]][0].append(fact)
            for finding in findings:
                cache[finding["partition"]][1].append(finding)
        return cache[day]

    return rows


def in_memory(facts: list[dict], findings: list[dict]) -> DayRows:
    """Per-day rows from lists already read (tests, the narrative benchmark)."""
    return lambda day: ([f for f in facts if f["partition"] == day],
                        [f for f in findings if f["partition"] == day])


def _resolved(backend, counted: str) -> tuple[str, ...]:
    """What the step resolved its settings to: the backend (``auto``'s choice), its model
    (an Ollama tag, or the GGUF's file name and size) and the token counter."""
    path = getattr(backend, "model_path", None)
    size = path.stat().st_size if path is not None and path.exists() else None
    return backend.name, backend.model, repr(size), counted


def analyse_days(days: list[str], day_rows: DayRows, settings: LLMSettings, models_dir: Path,
                 log: Callable[[str], None] = print,
                 stored: Mapping[str, str] | None = None) -> AnalysisRows:
    """One LLM call per day that has findings, but for the days whose digest is the one
    ``stored`` with their narrative (``llm.inputs.stored``; none: every day is asked). The
    backend and the token counter are set up on the first day with findings, also when every
    day will be kept: the digest holds what they resolve to (``auto``'s choice, which probes
    Ollama; the model; the tokenizer, loaded), and with no backend to resolve the step fails
    as it would asking. The prompt form is read on the first day asked; a range without
    findings loads nothing."""
    rows = AnalysisRows()
    backend = counter = form = version = None
    for day in days:
        day_facts, day_findings = day_rows(day)
        narrated_rows = [f for f in day_findings if f["role"] == "finding"]
        narrated = [f["text"] for f in narrated_rows]
        if not narrated:
            rows.days.append(day)
            continue
        try:
            if backend is None:
                backend = choose_backend(settings, models_dir)
                counter, counted = token_counter(settings, models_dir)
                version = narrative_version(settings, _resolved(backend, counted))
            inputs = digest(day_facts, day_findings, version)
            if stored and stored.get(day) == inputs:
                rows.kept.append(day)
                rows.days.append(day)
                continue
            form = form or backend.prompt_format()
            plan = plan_prompt(day, narrated, settings, counter, form)
            result, sections, note = call(backend, plan, settings, log=log)
        except LLMError as exc:
            raise DayFailed(day, exc, rows) from None
        except (OSError, ValueError) as exc:  # llama.cpp's own, a model file it cannot load
            raise DayFailed(day, LLMError(f"{type(exc).__name__}: {exc}"), rows) from exc
        given = {fact_id for row in narrated_rows[:len(plan.included)]
                 for fact_id in (row["fact_ids"] or "").split(",") if fact_id}
        verdict = gate(sections, note, plan.sent, day_facts, settings.language,
                       settings.mark_unverified, given)
        if verdict.rejected:
            log(f"{day}: narrative rejected: {verdict.rejected}")
        rows.add_day(day, plan, result, sections, note, settings, verdict, inputs)
        rows.days.append(day)
    return rows
