"""The findings engine: the day's facts ranked into findings and recommendations, with no LLM.

Every sentence a report leads with comes from here: a template filled from facts, each number
a citation (``model.py``), chosen by rules over the facts' generic shape (``rules.py``). The
LLM only narrates these findings, behind a gate (``lib/llm/gate.py``); when it is rejected or
absent, this text stands alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from chimera_pipeline.lib.findings.model import Finding, Findings, cited, render
from chimera_pipeline.lib.findings.rules import RULES, FactIndex

SUMMARY_FINDINGS = 2
OPENING_LIMIT = 5  # models and tests the opening sentence names before it counts the rest
UNNAMED = "unknown model"


def day_models(facts: list[dict] | FactIndex) -> list[str]:
    """The models the day measured, in the order their facts rank."""
    index = facts if isinstance(facts, FactIndex) else FactIndex(facts)
    names = [f["subject"] for f in index.where(metric="requests") if f.get("context")]
    names += [f["subject"] for f in index.where(metric="best_config")]
    # a tool series' subject is the model with its settings and hardware: the model leads
    names += [f["subject"].split(" (")[0].split(" on ")[0] for f in _tool_results(index)]
    return [n for n in dict.fromkeys(names) if n and n != UNNAMED]


def _tool_results(facts: FactIndex) -> list[dict]:
    """The measurements of benchmark tools (``benchmark_results``), not their counts."""
    return [f for f in facts.family("tool") if "." in (f.get("metric") or "")]


def _opening(day: str, facts: FactIndex) -> str:
    models = day_models(facts)
    contexts = sorted({f["context"] for f in [*facts.where(metric="requests"),
                                              *_tool_results(facts)] if f.get("context")})
    if len(contexts) > OPENING_LIMIT:
        contexts = [*contexts[:OPENING_LIMIT], f"{len(contexts) - OPENING_LIMIT} more tests"]
    where = f" ({', '.join(contexts)})" if contexts else ""
    if len(models) > OPENING_LIMIT:
        models = [*models[:OPENING_LIMIT], f"{len(models) - OPENING_LIMIT} more models"]
    if len(models) > 1:
        return f"Measured on {day}: {', '.join(models[:-1])} and {models[-1]}{where}."
    if models:
        return f"Measured on {day}: {models[0]}{where}."
    if contexts:
        return f"LLM requests without a model name were measured on {day}{where}."
    return f"No LLM model was measured on {day}."


def derive(day: str, facts: list[dict] | FactIndex) -> Findings:
    """Findings (most important first), their recommendations, and the summary sentences."""
    index = facts if isinstance(facts, FactIndex) else FactIndex(facts)
    found = [finding for rule in RULES for finding in rule(index)]
    found.sort(key=lambda f: (-f.score, f.kind, f.template))
    recommendations = list(dict.fromkeys(f.recommendation for f in found if f.recommendation))
    found = [f for f in found if f.template]  # some rules add a recommendation only
    leading = [f.template for f in found if f.kind != "inventory"][:SUMMARY_FINDINGS]
    if len(leading) < SUMMARY_FINDINGS:
        leading += [f.template for f in found if f.kind == "inventory"][
            :SUMMARY_FINDINGS - len(leading)]
    return Findings(found, recommendations, [_opening(day, index), *leading])


def finding_rows(day: str, result: Findings, facts: Mapping[str, Mapping]) -> list[dict]:
    """``findings`` table rows: the opening sentence, each finding once (those the summary
    leads with marked ``headline``), each recommendation, in order. Two rules can word the
    same sentence (a suite's failures seen twice): the day lists it once."""
    rows: list[dict] = []
    seen: set[tuple[str, str]] = set()
    leading = set(result.summary[1:])
    items = ([("summary", None, result.summary[0], ())] if result.summary else []) + [
        ("finding", f.kind, f.template, f.subjects) for f in result.findings] + [
        ("recommendation", None, t, ()) for t in result.recommendations]
    for role, kind, template, subjects in items:
        text = render(template, facts)
        if (role, text) in seen:
            continue
        seen.add((role, text))
        rows.append({"partition": day, "rank": len(rows) + 1, "role": role, "kind": kind,
                     "template": template, "text": text,
                     "fact_ids": ",".join(cited(template)), "subjects": ",".join(subjects),
                     "headline": role == "finding" and template in leading})
    return rows


__all__ = ["Finding", "Findings", "cited", "day_models", "derive", "finding_rows", "render"]
