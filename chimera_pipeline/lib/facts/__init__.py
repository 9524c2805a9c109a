"""The deterministic analysis of each partition in the context of earlier ones.

Every producer computes all the days it is given in one pass of set-based SQL (grouped by
partition; changes pair each day with its previous comparable day by ``lag``): a backfill
of a year costs a few queries per producer, not a few per day.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from chimera_pipeline.lib.facts.alerts import day_alerts
from chimera_pipeline.lib.facts.benchmarks import compile_facts, sweep_facts, timing_facts
from chimera_pipeline.lib.facts.changes import change_facts, tool_change_facts
from chimera_pipeline.lib.facts.comparisons import ratio_facts
from chimera_pipeline.lib.facts.inventory import document_facts, inventory_facts, quality_facts
from chimera_pipeline.lib.facts.llm_stats import llm_facts
from chimera_pipeline.lib.facts.model import Fact, assign_ids
from chimera_pipeline.lib.facts.tools import tool_facts

PRODUCERS = (inventory_facts, quality_facts, llm_facts, sweep_facts, compile_facts, change_facts,
             timing_facts, document_facts, tool_facts, tool_change_facts)


def compute_days(con: duckdb.DuckDBPyConnection, days: Sequence[str],
                 alerts: dict | None = None) -> dict[str, list[Fact]]:
    """Every fact of each of ``days``, each day's numbered F1..Fn in priority order. The
    changes' verdicts are ``alerts``' (``alerts.day_alerts``), computed here when None."""
    days = sorted(set(days))
    if not days:
        return {}
    if alerts is None:
        alerts = day_alerts(con, days)
    by_day: dict[str, list[Fact]] = {day: [] for day in days}
    for producer in PRODUCERS:
        found = (producer(con, days, alerts) if producer in (change_facts, tool_change_facts)
                 else producer(con, days))
        for day, fact in found:
            by_day[day].append(fact)
    return {day: assign_ids(facts + ratio_facts(facts)) for day, facts in by_day.items()}


def compute_facts(con: duckdb.DuckDBPyConnection, partition: str) -> list[Fact]:
    """Every fact for ``partition``, numbered F1..Fn in priority order."""
    return compute_days(con, [partition])[partition]


def fact_rows(partition: str, facts: list[Fact]) -> list[dict]:
    """``facts`` table rows."""
    return [{"partition": partition, "fact_id": f.fact_id, "fact_key": f.key, "label": f.label,
             "value": f.value, "text_value": f.text, "unit": f.unit, "category": f.category,
             "subject": f.subject, "context": f.context, "metric": f.metric,
             "priority": f.priority,
             "display": f.display(), "provenance": f.provenance} for f in facts]


__all__ = ["Fact", "compute_days", "compute_facts", "fact_rows"]
