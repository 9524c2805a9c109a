"""Facts from ``benchmark_results``: every benchmark tool's results of the day, per series
(tool, model, engine, hardware, test, config); their changes are :mod:`.changes`'.

The project's own suites (tool ``chimeraforge``) are left to :mod:`.llm_stats`, which reads
their requests directly. When one run was written twice (GenAI-Perf's JSON and its CSV,
sharing a ``run_key``), the JSON's full-precision value is used.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from chimera_pipeline.lib.common.sql import all_of, equals, in_list
from chimera_pipeline.lib.facts import provenance
from chimera_pipeline.lib.facts.model import (
    IN_DAYS,
    PRIORITY_MODEL,
    DayFacts,
    Fact,
    shorten,
)

# metric -> (label, higher is better); the order is the report's
HEADLINE = {
    "decode_tps": ("decode tokens/s", True), "prefill_tps": ("prefill tokens/s", True),
    "total_tps": ("total tokens/s", True), "output_tps": ("output tokens/s", True),
    "requests_per_s": ("requests/s", True), "ttft": ("TTFT", False),
    "itl": ("inter-token latency", False), "tpot": ("time per output token", False),
    "e2e_latency": ("request latency", False),
}
STATS = ("mean", "value", "median", "p99")
SERIES = ("tool", "model", "engine", "hardware", "test", "config")
COUNTS = ("requests", "completed", "failed", "error_rate")

RESULTS_SQL = """
    SELECT * FROM benchmark_results WHERE {where} AND tool <> 'chimeraforge'
    QUALIFY row_number() OVER (PARTITION BY partition, run_key, metric, stat
                               ORDER BY source_file LIKE '%.csv', source_file) = 1
"""
_SERIES = ", ".join(SERIES)


def _subject(row: dict) -> str:
    """The model, with the settings and hardware that tell two results of one test apart."""
    parts = [row["model"] or "unknown model"]
    parts += [f"({row['config']})"] if row["config"] else []
    parts += [f"on {row['hardware']}"] if row["hardware"] else []
    return " ".join(parts)


def series_subject(row: dict) -> str:
    """A tool series' subject: the model with its settings and hardware."""
    return _subject(row)


def series_key(row: dict) -> str:
    return _key(row)


def series_filter(row: dict) -> str:
    """The rows of one series: each of its columns equal, a missing one NULL (a series
    without hardware is not every hardware's)."""
    return all_of(*(equals(c, row[c]) for c in SERIES))


def _series_label(row: dict) -> str:
    return f"{_subject(row)} {row['test'] or ''}".strip()


def _key(row: dict) -> str:
    return "tool." + ".".join(str(row[c]) for c in SERIES if row[c] is not None)


def _result_query(row: dict, columns: str, *conditions: str, tail: str = "") -> str:
    """A query over one day's de-duplicated results of ``row``'s series."""
    return provenance.select(columns, provenance.results([row["partition"]]),
                             series_filter(row), *conditions, tail=tail)


def _statistic(row: dict) -> str:
    """A headline statistic or a request count of the day, as ``tool_facts`` averages it."""
    metric = row["metric"]
    group = (equals("metric", metric), equals("stat", row["stat"]), equals("unit", row["unit"]))
    if metric in COUNTS:
        return _result_query(row, "100 * avg(value)" if metric == "error_rate" else "avg(value)",
                             *group)
    return _result_query(row, "avg(value)", *group, "status = 'ok'")


def _failed_run(row: dict) -> str:
    """The series' failed-run label, when a count of the day says the run failed."""
    return _result_query(row, "'failed: no request completed'", in_list("metric", COUNTS),
                         tail="HAVING bool_or(status = 'failed')")


def _top_error(row: dict) -> str:
    """The most common error of the series' failed requests (``_TOP_ERRORS`` for one)."""
    runs = _result_query(row, "DISTINCT run_key", "metric = 'failed'", "value > 0")
    errors = provenance.select("run_key, model, test, error, count(*) AS n",
                               "benchmark_requests", "NOT ok", "error IS NOT NULL",
                               tail="GROUP BY ALL")
    return (f"SELECT {provenance.shortened('e.error')} FROM ({runs}) AS runs "
            f"JOIN ({errors}) AS e ON runs.run_key IN (e.run_key, e.run_key || "
            "coalesce(' ' || e.model, '') || coalesce(' ' || e.test, '')) "
            "ORDER BY e.n DESC, e.error LIMIT 1")


_TOP_ERRORS = """
    WITH r AS ({results}),
    runs AS (SELECT DISTINCT partition, {series}, run_key FROM r
             WHERE metric = 'failed' AND value > 0),
    errors AS (SELECT run_key, model, test, error, count(*) AS n FROM benchmark_requests
               WHERE NOT ok AND error IS NOT NULL GROUP BY ALL)
    SELECT runs.partition, {runs_series}, e.error FROM runs
    JOIN errors e ON runs.run_key IN (e.run_key, e.run_key || coalesce(' ' || e.model, '')
                                                  || coalesce(' ' || e.test, ''))
    QUALIFY row_number() OVER (PARTITION BY runs.partition, {runs_series}
                               ORDER BY e.n DESC, e.error) = 1
"""


def top_errors(con: duckdb.DuckDBPyConnection, days: Sequence[str]
               ) -> dict[tuple[str, str], str]:
    """The most common error of each series' failed requests, where the tool wrote its
    requests (llmperf's individual responses, GuideLLM's request lists...): (day, series
    key) -> error. A tie goes to the first in sort order."""
    sql = _TOP_ERRORS.format(results=RESULTS_SQL.format(where=IN_DAYS),
                             series=_SERIES, runs_series=", ".join(f"runs.{c}" for c in SERIES))
    return {(row[0], _key(dict(zip(SERIES, row[1:-1], strict=True)))): row[-1]
            for row in con.execute(sql, {"days": list(days)}).fetchall()}


def tool_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str],
               errors: dict[tuple[str, str], str] | None = None) -> DayFacts:
    """Per series: the headline statistics, the request counts (with the most common error
    where the requests are on record: ``errors``, :func:`top_errors` when the caller has
    them), and failed runs."""
    errors = top_errors(con, days) if errors is None else errors
    rows = con.execute(f"""
        WITH r AS ({RESULTS_SQL.format(where=IN_DAYS)})
        SELECT partition, {_SERIES}, metric, stat, unit, avg(value) AS value,
               count(*) AS entries, bool_or(status = 'failed') AS failed_run
        FROM r WHERE (metric IN (SELECT unnest($metrics::VARCHAR[]))
                      AND stat IN (SELECT unnest($stats::VARCHAR[])) AND status = 'ok')
                  OR metric IN (SELECT unnest($counts::VARCHAR[]))
        GROUP BY ALL ORDER BY ALL""", {"days": list(days), "metrics": list(HEADLINE),
                                       "stats": list(STATS), "counts": list(COUNTS)}).fetchall()
    names = ["partition", *SERIES, "metric", "stat", "unit", "value", "entries", "failed_run"]
    failed_series: set[tuple[str, str]] = set()
    for values in rows:
        row = dict(zip(names, values, strict=True))
        partition = row["partition"]
        label, key, subject = _series_label(row), _key(row), _subject(row)
        context = f"{row['tool']} {row['test'] or ''}".strip()
        metric, stat = row["metric"], row["stat"]
        if metric in COUNTS:
            if metric == "error_rate":
                value, unit = 100.0 * row["value"], "%"
            else:
                value, unit = row["value"], "requests"
            what = metric.replace("_", " ")
            yield partition, Fact(
                f"{key}.{metric}", f"{row['tool']} {label}: {what}", value, unit,
                "performance", PRIORITY_MODEL + 5, _statistic(row), subject, metric,
                context=context)
            if metric == "failed" and value and (partition, key) in errors:
                yield partition, Fact(
                    f"{key}.top_error", f"{row['tool']} {label}: most common error", None,
                    None, "performance", PRIORITY_MODEL + 5, _top_error(row),
                    subject, "top_error", text=shorten(errors[partition, key]),
                    context=context)
            if row["failed_run"] and (partition, key) not in failed_series:
                failed_series.add((partition, key))
                yield partition, Fact(
                    f"{key}.status", f"{row['tool']} {label}: run failed", None, None,
                    "performance", PRIORITY_MODEL, _failed_run(row), subject, "status",
                    text="failed: no request completed", context=context)
            continue
        name = HEADLINE[metric][0]
        yield partition, Fact(f"{key}.{metric}.{stat}", f"{row['tool']} {label}: {name} {stat}",
                              row["value"], row["unit"], "performance",
                              PRIORITY_MODEL + (0 if stat in ("mean", "value") else 5),
                              _statistic(row), subject, f"{metric}.{stat}", context=context)


def series_label(row: dict) -> str:
    """A tool series as a reader names it: the tool, the model with its settings, the test."""
    return f"{row['tool']} {_series_label(row)}"
