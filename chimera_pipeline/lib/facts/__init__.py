"""The deterministic analysis of each partition in the context of earlier ones.

Every producer computes all the days it is given in one pass of set-based SQL (grouped by
partition; changes pair each day with its previous comparable day by ``lag``): a backfill
of a year costs a few queries per producer, not a few per day.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from chimera_pipeline.lib.facts.alerts import day_alerts
from chimera_pipeline.lib.facts.benchmarks import compile_facts, sweep_facts, timing_facts
from chimera_pipeline.lib.facts.changes import change_facts, tool_change_facts
from chimera_pipeline.lib.facts.comparisons import ratio_facts
from chimera_pipeline.lib.facts.inputs import CrossDay, cross_day
from chimera_pipeline.lib.facts.inventory import document_facts, inventory_facts, quality_facts
from chimera_pipeline.lib.facts.llm_stats import llm_fact_table
from chimera_pipeline.lib.facts.model import TABLE_ORDER, Fact, facts_of, number
from chimera_pipeline.lib.facts.tools import tool_facts
from chimera_pipeline.lib.store.warehouse import to_arrow

# producers of facts as objects, then of facts as a table (most of a busy day's facts: an
# object each would cost more than computing them)
PRODUCERS = (inventory_facts, quality_facts, sweep_facts, compile_facts, change_facts,
             timing_facts, document_facts, tool_facts, tool_change_facts)
TABLE_PRODUCERS = (llm_fact_table,)


def compute_parts(con: duckdb.DuckDBPyConnection, days: Sequence[str],
                  alerts: dict | None = None, cross: CrossDay | None = None
                  ) -> Iterator[tuple[str, list[Fact], pa.Table]]:
    """Every fact of each of ``days``, numbered F1..Fn in priority order together: per day,
    the facts made as objects (ordered) and those made as a table (with ``fact_id``, in
    order). The changes' verdicts are ``alerts``' (``alerts.day_alerts``), computed here
    when None; what the days read of other days is ``cross`` (``inputs.cross_day`` of these
    days or more), computed here when None."""
    days = sorted(set(days))
    if not days:
        return
    if alerts is None:
        alerts = day_alerts(con, days)
    cross = cross_day(con, days, alerts) if cross is None else cross.only(days)
    given = {change_facts: {"alerts": alerts, "rows": cross.pairs},
             tool_change_facts: {"alerts": alerts, "rows": cross.tool_pairs},
             tool_facts: {"errors": cross.errors}, inventory_facts: {"latest": cross.latest}}
    by_day: dict[str, list[Fact]] = {day: [] for day in days}
    for producer in PRODUCERS:
        for day, fact in producer(con, days, **given.get(producer, {})):
            by_day[day].append(fact)
    table = pa.concat_tables([producer(con, days) for producer in TABLE_PRODUCERS])
    table = table.take(pc.sort_indices(table, sort_keys=TABLE_ORDER))  # then a day is a slice
    starts, at = {}, 0  # each day's slice, the days in the table's (sorted) order
    for entry in sorted(pc.value_counts(table["partition"]).to_pylist(),
                        key=lambda entry: entry["values"]):
        starts[entry["values"]], at = (at, entry["counts"]), at + entry["counts"]
    for day in days:
        facts = by_day.pop(day)
        day_table = table.slice(*starts.get(day, (0, 0)))
        yield day, *number(facts + ratio_facts(facts, day_table), day_table)


def compute_days(con: duckdb.DuckDBPyConnection, days: Sequence[str],
                 alerts: dict | None = None) -> dict[str, list[Fact]]:
    """Every fact of each of ``days`` as objects, each day's numbered F1..Fn in priority
    order (``compute_parts``, the table's facts made objects)."""
    return {day: sorted(facts + facts_of(table), key=lambda f: int(f.fact_id[1:]))
            for day, facts, table in compute_parts(con, days, alerts)}


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


def fact_table(rows: list[dict], table: pa.Table) -> pa.Table:
    """A day's ``facts`` rows: ``rows`` (``fact_rows`` of its facts made as objects), then
    ``table``'s (those made as a table, numbered with them). Not interleaved in id order:
    the warehouse keeps no row order (every reader orders by what it needs), and sorting
    would copy every provenance text once more."""
    made = to_arrow("facts", rows)
    if not table.num_rows:
        return made
    return pa.concat_tables([made, table.select(made.schema.names).cast(made.schema)])


__all__ = ["Fact", "compute_days", "compute_facts", "compute_parts", "fact_rows", "fact_table"]
