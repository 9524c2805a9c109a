"""Per model and config: request count, error rate, decode tokens/s and TTFT statistics.

Failed requests count in the error rate and nowhere else. Rows that record the same
measurement twice on one day (a baseline CSV and its JSON twin) are counted once, by
``measurement_key``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from chimera_pipeline.lib.common.sql import equals
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.facts import provenance
from chimera_pipeline.lib.facts.model import (
    FACT_SCHEMA,
    IN_DAYS,
    PRIORITY_CONFIG,
    PRIORITY_MODEL,
    FactColumns,
    format_value,
    shorten,
    steady,
)
from chimera_pipeline.lib.store.results import first_of_each_run, quantiles


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


def stats_table(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> pa.Table:
    """One row per day and (model, suite), and per day and (model, suite, config), with the
    most common error of the day's (model, suite) (a tie goes to the first in sort order);
    a suite without configs gives the same group twice, and keeps the whole-suite one."""
    return con.sql(f"""
        WITH runs AS ({RUNS_SQL}),
        stats AS (
            SELECT partition, coalesce(model, 'unknown model') AS model, suite,
                   coalesce(config_name, 'all') AS config, GROUPING(config_name) AS whole_suite,
                   model IS NULL AS unnamed,
                   count(*) AS requests, count(*) FILTER (WHERE NOT ok) AS failed,
                   {_select_list()}
            FROM runs
            GROUP BY GROUPING SETS ((partition, model, suite),
                                    (partition, model, suite, config_name))),
        errors AS (SELECT partition, coalesce(model, 'unknown model') AS model, suite, error,
                          count(*) AS n FROM runs WHERE NOT ok GROUP BY ALL),
        top AS (SELECT partition, model, suite, error AS top_error FROM errors
                QUALIFY row_number() OVER (PARTITION BY partition, model, suite
                                           ORDER BY n DESC, error) = 1)
        SELECT stats.*, top.top_error
        FROM stats LEFT JOIN top ON stats.partition = top.partition AND stats.model = top.model
                                 AND stats.suite IS NOT DISTINCT FROM top.suite
        WHERE whole_suite <> 0 OR config <> 'all'
        ORDER BY partition, model, suite, config
    """, params={"days": list(days)}).to_arrow_table()


# the most common error's text, as ``shorten`` writes it: the same expression in every query
_TOP_ERROR = provenance.shortened("coalesce(nullif(error, ''), 'no error text')")


def _measures(stats: tuple[tuple[str, str], ...]) -> list[tuple[str, str, str, int, str, str]]:
    """Per metric and statistic: (fact metric, label, unit, priority offset, stats-row column,
    SQL expression). The same for every row, so worked out once, not for each of a block's
    thousands of rows."""
    return [(f"{column}.{name}", f"{label} {name}", unit, 0 if name == "mean" else 5,
             f"{column}_{name}", template.format(c=column))
            for column, label, unit in _METRICS for name, template in stats]


def _group_provenance(whole: bool, unnamed: bool, model: str, suite: str, config: str,
                      source: str) -> tuple[str, str]:
    """The provenance of a stats row's facts: the day's requests (``source``, each
    measurement once) of the row's model, suite and config, aggregated as ``stats_table``.
    Returns (the group's WHERE condition, the statistics' query after their expression)."""
    # the statistics group the model as written (a model named "unknown model" is not the
    # rows without one); the most common error groups it by name
    named = equals("model", None if unnamed else model)
    group = provenance.llm_group(named, suite, None if whole else config)
    # the statistics' queries differ only in their expression: what follows it is written
    # once, not again for each of a row's twenty-odd facts
    return group, provenance.select("", source, group, "ok").removeprefix("SELECT ")


_GROUP_COLUMNS = ("partition", "model", "suite", "config", "whole_suite", "unnamed", "requests",
                  "failed", "top_error")


def _joined(*parts: pa.ChunkedArray | str) -> pa.ChunkedArray:
    """The strings of each row joined (a ``str`` is the same for every row)."""
    return pc.binary_join_element_wise(*parts, "")


def llm_fact_table(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> pa.Table:
    """Each stats row (``stats_table``) as its facts: counts, error rate, the most common
    error of a suite with failures, and every statistic of each metric, with provenance; in
    the ``facts`` table's columns but ``fact_id`` (``model.number`` numbers them with the
    day's other facts).

    A table, not a ``Fact`` each: the statistics are most of a busy day's facts. What a
    stats row's facts share (key, label and provenance up to the statistic) is written once
    per row in Python, and each statistic's facts are those columns joined with its own text
    by Arrow; only the value's rounding (``steady``) and display are Python per fact."""
    stats = stats_table(con, days)
    columns = {name: stats[name].to_pylist() for name in _GROUP_COLUMNS}
    counts, sources = FactColumns(), {}  # a day's requests, as a FROM item
    shared: dict[str, list] = {name: [] for name in ("key", "scope", "subject", "context",
                                                     "priority", "rest")}
    for (partition, model, suite, config, whole_suite, unnamed, requests, failed,
         top_error) in zip(*columns.values(), strict=True):
        source = sources.get(partition)
        if source is None:
            source = sources[partition] = provenance.runs([partition])
        whole = bool(whole_suite)
        group, rest = _group_provenance(whole, unnamed, model, suite, config, source)
        scope = f"{model} {suite}" + ("" if whole else f" {config}")
        key = f"llm.{model}.{suite}" + ("" if whole else f".{config}")
        priority = PRIORITY_MODEL if whole else PRIORITY_CONFIG
        subject = model if whole else f"{model} {config}"
        context = suite if whole else None
        for name, item in (("key", key), ("scope", scope), ("subject", subject),
                           ("context", context), ("priority", priority), ("rest", rest)):
            shared[name].append(item)
        counts.add(partition, f"{key}.requests", f"{scope}: requests", float(requests),
                   "requests", "performance", priority,
                   provenance.select("count(*)", source, group), subject, "requests", context)
        counts.add(partition, f"{key}.error_rate", f"{scope}: error rate",
                   100.0 * failed / requests, "%", "performance", priority,
                   provenance.select("100 * count(*) FILTER (WHERE NOT ok) / count(*)", source,
                                     group), subject, "error_rate", context)
        if whole and failed:
            counts.add(partition, f"{key}.failed", f"{scope}: failed requests", float(failed),
                       "requests", "performance", priority,
                       provenance.select("count(*)", source, group, "NOT ok"), subject,
                       "failed", context)
            by_name = provenance.llm_group(provenance.labelled(model), suite)
            counts.add(partition, f"{key}.top_error", f"{scope}: most common error", None,
                       None, "performance", priority,
                       provenance.select(_TOP_ERROR, source, by_name, "NOT ok",
                                         tail="GROUP BY error ORDER BY count(*) DESC, "
                                              "error LIMIT 1"),
                       subject, "top_error", context,
                       text=shorten(top_error or "no error text"))
    groups = pa.table({"partition": stats["partition"],
                       **{name: pa.array(items, pa.int64() if name == "priority" else
                                         pa.string()) for name, items in shared.items()}})
    pieces = [counts.table()]
    for metric, label, unit, offset, column, expression in _measures(_stats()):
        values = stats[column]
        rows = groups
        if values.null_count:  # a filter copies every column, the long texts too
            measured = pc.is_valid(values)
            rows, values = groups.filter(measured), values.filter(measured)
        if not rows.num_rows:
            continue
        steadied = [steady(value) for value in values.to_pylist()]
        pieces.append(pa.table({
            "partition": rows["partition"],
            "fact_key": _joined(rows["key"], f".{metric}"),
            "label": _joined(rows["scope"], f": {label}"),
            "value": pa.array(steadied, pa.float64()),
            "text_value": pa.nulls(rows.num_rows, pa.string()),
            "unit": pa.repeat(pa.scalar(unit, pa.string()), rows.num_rows),
            "category": pa.repeat(pa.scalar("performance", pa.string()), rows.num_rows),
            "subject": rows["subject"], "context": rows["context"],
            "metric": pa.repeat(pa.scalar(metric, pa.string()), rows.num_rows),
            "priority": pc.add(rows["priority"], offset),
            "display": pa.array([format_value(value, unit) for value in steadied],
                                pa.string()),
            "provenance": _joined(f"SELECT {expression}", rows["rest"]),
        }).cast(FACT_SCHEMA))
    return pa.concat_tables(pieces)
