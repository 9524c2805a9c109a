"""The deterministic analysis of one partition in the context of earlier ones."""

from __future__ import annotations

import duckdb

from chimera_pipeline.lib.facts.benchmarks import compile_facts, sweep_facts, timing_facts
from chimera_pipeline.lib.facts.changes import change_facts
from chimera_pipeline.lib.facts.inventory import document_facts, inventory_facts, quality_facts
from chimera_pipeline.lib.facts.llm_stats import llm_facts
from chimera_pipeline.lib.facts.model import Fact, assign_ids
from chimera_pipeline.lib.facts.tools import tool_change_facts, tool_facts

PRODUCERS = (inventory_facts, quality_facts, llm_facts, sweep_facts, compile_facts, change_facts,
             timing_facts, document_facts, tool_facts, tool_change_facts)


def compute_facts(con: duckdb.DuckDBPyConnection, partition: str) -> list[Fact]:
    """Every fact for ``partition``, numbered F1..Fn in priority order."""
    facts = [fact for producer in PRODUCERS for fact in producer(con, partition)]
    return assign_ids(facts)


def fact_rows(partition: str, facts: list[Fact]) -> list[dict]:
    """``facts`` table rows."""
    return [{"partition": partition, "fact_id": f.fact_id, "fact_key": f.key, "label": f.label,
             "value": f.value, "text_value": f.text, "unit": f.unit, "category": f.category,
             "subject": f.subject, "context": f.context, "metric": f.metric,
             "priority": f.priority,
             "display": f.display(), "provenance": f.provenance} for f in facts]


__all__ = ["Fact", "compute_facts", "fact_rows"]
