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


# the most common error's text, as ``shorten`` writes it: the same expression in every query
_TOP_ERROR = provenance.shortened("coalesce(nullif(error, ''), 'no error text')")


def _measures(stats: tuple[tuple[str, str], ...]) -> list[tuple[str, str, str, int, str, str]]:
    """Per metric and statistic: (fact metric, label, unit, priority offset, stats-row column,
    SQL expression). The same for every row, so worked out once, not for each of a block's
    thousands of rows."""
    return [(f"{column}.{name}", f"{label} {name}", unit, 0 if name == "mean" else 5,
             f"{column}_{name}", template.format(c=column))
            for column, label, unit in _METRICS for name, template in stats]


def _group_provenance(row: dict, source: str) -> tuple[str, str]:
    """The provenance of a stats row's facts: the day's requests (``source``, each
    measurement once) of the row's model, suite and config, aggregated as ``stats_rows``.
    Returns (the group's WHERE condition, the statistics' query after their expression)."""
    whole = bool(row["whole_suite"])
    # the statistics group the model as written (a model named "unknown model" is not the
    # rows without one); the most common error groups it by name
    named = equals("model", None if row["unnamed"] else row["model"])
    group = provenance.llm_group(named, row["suite"], None if whole else row["config"])
    # the statistics' queries differ only in their expression: what follows it is written
    # once, not again for each of a row's twenty-odd facts
    return group, provenance.select("", source, group, "ok").removeprefix("SELECT ")


def llm_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> DayFacts:
    """Each stats row (``stats_rows``) as its facts: counts, error rate, the most common
    error of a suite with failures, and every statistic of each metric, with provenance."""
    measures = _measures(_stats())
    sources: dict[str, str] = {}  # a day's requests, as a FROM item
    for row in stats_rows(con, days):
        partition = row["partition"]
        source = sources.get(partition)
        if source is None:
            source = sources[partition] = provenance.runs([partition])
        group, rest = _group_provenance(row, source)
        whole = bool(row["whole_suite"])
        model, suite = row["model"], row["suite"]
        scope = f"{model} {suite}" + ("" if whole else f" {row['config']}")
        key = f"llm.{model}.{suite}" + ("" if whole else f".{row['config']}")
        priority = PRIORITY_MODEL if whole else PRIORITY_CONFIG
        subject = model if whole else f"{model} {row['config']}"
        context = suite if whole else None
        requests, failed = row["requests"], row["failed"]
        facts = [
            Fact(f"{key}.requests", f"{scope}: requests", float(requests), "requests",
                 "performance", priority, provenance.select("count(*)", source, group),
                 subject, "requests", context=context),
            Fact(f"{key}.error_rate", f"{scope}: error rate", 100.0 * failed / requests, "%",
                 "performance", priority,
                 provenance.select("100 * count(*) FILTER (WHERE NOT ok) / count(*)", source,
                                   group),
                 subject, "error_rate", context=context)]
        if whole and failed:
            facts.append(Fact(f"{key}.failed", f"{scope}: failed requests", float(failed),
                              "requests", "performance", priority,
                              provenance.select("count(*)", source, group, "NOT ok"),
                              subject, "failed", context=context))
            by_name = provenance.llm_group(provenance.labelled(model), suite)
            facts.append(Fact(f"{key}.top_error", f"{scope}: most common error", None, None,
                              "performance", priority,
                              provenance.select(_TOP_ERROR, source, by_name, "NOT ok",
                                                tail="GROUP BY error ORDER BY count(*) DESC, "
                                                     "error LIMIT 1"),
                              subject, "top_error",
                              text=shorten(row["top_error"] or "no error text"),
                              context=context))
        for metric, label, unit, offset, column, expression in measures:
            value = row[column]
            if value is not None:
                facts.append(Fact(f"{key}.{metric}", f"{scope}: {label}", float(value), unit,
                                  "performance", priority + offset, f"SELECT {expression}{rest}",
                                  subject, metric, context=context))
        yield from ((partition, fact) for fact in facts)
