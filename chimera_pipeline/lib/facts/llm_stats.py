"""Per model and config: request count, error rate, decode tokens/s and TTFT statistics.

Failed requests count in the error rate and nowhere else. Rows that record the same
measurement twice on one day (a baseline CSV and its JSON twin) are counted once, by
``measurement_key``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import duckdb

from chimera_pipeline.lib.common.sql import equals
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.facts import provenance
from chimera_pipeline.lib.facts.model import (
    IN_DAYS,
    PRIORITY_CONFIG,
    PRIORITY_MODEL,
    DayFacts,
    Fact,
    shorten,
)
from chimera_pipeline.lib.store.results import first_of_each_run, quantiles
from chimera_pipeline.lib.store.warehouse import fetch_dicts


def _stats() -> tuple[tuple[str, str], ...]:
    """The statistics of a metric: mean and spread, the percentiles ``CHIMERA_PERCENTILES``
    names (the set the tools' request statistics have, so a model's p95 sits beside a
    tool's), min and max. Sums in value order: the same requests give the same bits whatever
    order they were stored in. Asked for every stats row: the settings are read once per
    set of percentiles."""
    return _stats_of(load_settings().percentiles)


@functools.cache
def _stats_of(percentiles: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    wanted = quantiles(percentiles)
    return (("mean", "avg({c} ORDER BY {c})"), ("std", "stddev_samp({c} ORDER BY {c})"),
            *((name, f"quantile_cont({{c}}, {wanted[name]!r})") for name in percentiles),
            ("min", "min({c})"), ("max", "max({c})"))

_METRICS = (("decode_tps", "decode tokens/s", "tok/s"), ("ttft_s", "TTFT", "s"))

# the days' requests, each measurement once per day
RUNS_SQL = f"SELECT * FROM {first_of_each_run('llm_runs', IN_DAYS)}"

# every day's requests, each measurement once over the whole warehouse (the roll-up's view)
ALL_RUNS_SQL = """
    SELECT * FROM llm_runs
    QUALIFY row_number() OVER (PARTITION BY measurement_key ORDER BY source_file, source_row) = 1
"""


def _select_list() -> str:
    parts = []
    for column, _, _ in _METRICS:
        for name, template in _stats():
            expr = template.format(c=column)
            parts.append(f'{expr} FILTER (WHERE ok) AS "{column}_{name}"')
    return ", ".join(parts)


def stats_rows(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> list[dict]:
    """One row per day and (model, suite), and per day and (model, suite, config)."""
    sql = f"""
        WITH runs AS ({RUNS_SQL})
        SELECT partition, coalesce(model, 'unknown model') AS model, suite,
               coalesce(config_name, 'all') AS config, GROUPING(config_name) AS whole_suite,
               model IS NULL AS unnamed,
               count(*) AS requests, count(*) FILTER (WHERE NOT ok) AS failed,
               {_select_list()}
        FROM runs
        GROUP BY GROUPING SETS ((partition, model, suite), (partition, model, suite, config_name))
        ORDER BY partition, model, suite, config
    """
    rows = fetch_dicts(con, sql, {"days": list(days)})
    top = {(d, m, s): e for d, m, s, e in con.execute(f"""
        WITH runs AS ({RUNS_SQL}),
        errors AS (SELECT partition, coalesce(model, 'unknown model') AS model, suite, error,
                          count(*) AS n FROM runs WHERE NOT ok GROUP BY ALL)
        SELECT partition, model, suite, error FROM errors
        QUALIFY row_number() OVER (PARTITION BY partition, model, suite
                                   ORDER BY n DESC, error) = 1
        """, {"days": list(days)}).fetchall()}
    for row in rows:  # the most common error; a tie goes to the first in sort order
        row["top_error"] = top.get((row["partition"], row["model"], row["suite"]))
    # a suite without configs gives the same group twice; keep the whole-suite one
    return [r for r in rows if r["whole_suite"] or r["config"] != "all"]


def _sources(row: dict, stats: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The provenance of each of a stats row's facts, by metric: the day's requests (each
    measurement once) of the row's model, suite and config, aggregated as ``stats_rows``."""
    whole = bool(row["whole_suite"])
    config = None if whole else row["config"]
    # the statistics group the model as written (a model named "unknown model" is not the
    # rows without one); the most common error groups it by name
    named = equals("model", None if row["unnamed"] else row["model"])
    group = provenance.llm_group(named, row["suite"], config)
    source = provenance.runs([row["partition"]])

    def query(columns: str, *conditions: str, tail: str = "", group: str = group) -> str:
        return provenance.select(columns, source, group, *conditions, tail=tail)

    found = {"requests": query("count(*)"),
             "error_rate": query("100 * count(*) FILTER (WHERE NOT ok) / count(*)"),
             "failed": query("count(*)", "NOT ok"),
             "top_error": query(provenance.shortened("coalesce(nullif(error, ''), "
                                                     "'no error text')"),
                                "NOT ok", tail="GROUP BY error ORDER BY count(*) DESC, error "
                                               "LIMIT 1",
                                group=provenance.llm_group(provenance.labelled(row["model"]),
                                                           row["suite"]))}
    # the statistics' queries differ only in their expression: what follows it is written
    # once, not again for each of a row's twenty-odd facts
    rest = provenance.select("", source, group, "ok").removeprefix("SELECT ")
    for column, _, _ in _METRICS:
        for name, template in stats:
            found[f"{column}.{name}"] = f"SELECT {template.format(c=column)}{rest}"
    return found


def llm_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> DayFacts:
    stats = _stats()
    for row in stats_rows(con, days):
        partition = row["partition"]
        facts: list[Fact] = []
        whole = bool(row["whole_suite"])
        scope = f"{row['model']} {row['suite']}" + ("" if whole else f" {row['config']}")
        key = f"llm.{row['model']}.{row['suite']}" + ("" if whole else f".{row['config']}")
        sources = _sources(row, stats)
        priority = PRIORITY_MODEL if whole else PRIORITY_CONFIG
        subject = row["model"] if whole else f"{row['model']} {row['config']}"

        context = row["suite"] if whole else None

        def add(metric: str, label: str, value: float | None, unit: str, p: int = priority,
                key: str = key, scope: str = scope, sources: dict[str, str] = sources,
                subject: str = subject, context: str | None = context,
                facts: list[Fact] = facts) -> None:
            if value is not None:
                facts.append(Fact(f"{key}.{metric}", f"{scope}: {label}", float(value), unit,
                                  "performance", p, sources[metric], subject, metric,
                                  context=context))

        add("requests", "requests", row["requests"], "requests")
        add("error_rate", "error rate", 100.0 * row["failed"] / row["requests"], "%")
        if whole and row["failed"]:
            add("failed", "failed requests", row["failed"], "requests")
            facts.append(Fact(f"{key}.top_error", f"{scope}: most common error", None, None,
                              "performance", priority, sources["top_error"], subject,
                              "top_error", text=shorten(row["top_error"] or "no error text"),
                              context=context))
        for column, label, unit in _METRICS:
            for name, _ in stats:
                add(f"{column}.{name}", f"{label} {name}", row[f"{column}_{name}"], unit,
                    priority + (0 if name == "mean" else 5))
        yield from ((partition, fact) for fact in facts)
