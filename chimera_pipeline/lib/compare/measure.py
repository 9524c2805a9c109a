"""Every series' nights, from the warehouse, in one long table: what a comparison samples.

The nights are the regression method's (:mod:`chimera_pipeline.lib.facts.history`), read the
same way so that a comparison and an alert judge the same numbers:

* the project's requests (``llm_runs``, a request stored twice counted once): per model,
  suite and config, decode tokens/s and TTFT of the ok requests (count, mean, sample
  variance) and the share of failed requests (binomial variance); the series is
  tool ``chimeraforge``, engine ``ollama`` (the engine ``benchmark_results`` gives them);
* every benchmark tool's series (``benchmark_results``, a run written twice counted once):
  each headline metric's mean with the tool's own spread (``std``) and count where it
  writes them (a night of several runs: its runs' means, their spread and number, as
  ``history.tool_nights_sql`` has them), and the failed share from the tool's error rate.

One row per series, metric and night; every value is computed in DuckDB.

Beside them, each side's percentiles (:func:`selected_percentiles`, shown and not tested):
``quantile_cont`` over the side's ok requests of ``llm_runs``, the tools' written values.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from chimera_pipeline.lib.compare.selection import DIMS, Selection
from chimera_pipeline.lib.facts.history import REQUEST_NIGHT, tool_nights_sql
from chimera_pipeline.lib.facts.tools import HEADLINE, RESULTS_SQL
from chimera_pipeline.lib.store.results import first_of_each_run, quantiles
from chimera_pipeline.lib.store.warehouse import fetch_dicts

# metric -> (label, unit, higher is better, change in % (False: in points of a share))
METRICS: dict[str, tuple[str, str | None, bool, bool]] = {
    **{m: (label, None, higher, True) for m, (label, higher) in HEADLINE.items()},
    "failed_share": ("failed requests", "%", False, False),
}
_SERIES = ", ".join(DIMS)

# the project's requests of the days read, a request stored twice (a CSV and its JSON twin)
# counted once by its measurement_key
_RUNS = f"""
WITH runs AS (
    SELECT * FROM {first_of_each_run("llm_runs", "$first <= partition AND partition <= $last")})"""
# llm_runs' columns as the dimensions of a series (benchmark_results' names)
_REQUEST_DIMS = """'chimeraforge' AS tool, coalesce(model, 'unknown model') AS model,
           'ollama' AS engine, NULL::VARCHAR AS hardware, suite AS test,
           config_name AS config"""

NIGHTS_SQL = _RUNS + f""",
req AS (
    SELECT *, 100.0 * failed / requests AS share
    FROM (SELECT {_REQUEST_DIMS}, partition, {REQUEST_NIGHT} FROM runs GROUP BY ALL)),
r AS ({RESULTS_SQL.format(where="$first <= partition AND partition <= $last")}),
{tool_nights_sql(_SERIES)},
tool_failed AS (
    SELECT {_SERIES}, partition,
           100.0 * avg(value) FILTER (WHERE metric = 'error_rate') AS share,
           coalesce(sum(value) FILTER (WHERE metric = 'requests'),
                    sum(value) FILTER (WHERE metric IN ('completed', 'failed'))) AS total
    FROM r WHERE stat = 'value' AND metric IN ('error_rate', 'requests', 'completed', 'failed')
    GROUP BY ALL HAVING share IS NOT NULL),
nights AS (
    SELECT {_SERIES}, partition, 'decode_tps' AS metric, 'tok/s' AS unit, decode_n AS n,
           decode_mean AS mean, decode_var AS var FROM req WHERE decode_n > 0
    UNION ALL
    SELECT {_SERIES}, partition, 'ttft', 's', ttft_n, ttft_mean, ttft_var FROM req
    WHERE ttft_n > 0
    UNION ALL
    SELECT {_SERIES}, partition, 'failed_share', '%', requests, share,
           CASE WHEN requests > 1 THEN share * (100.0 - share) * requests / (requests - 1) END
    FROM req
    UNION ALL
    SELECT {_SERIES}, partition, metric, unit, greatest(coalesce(n, 1), 1)::BIGINT, mean,
           CASE WHEN sd IS NOT NULL AND n > 1 THEN sd * sd END FROM tool_nights
    UNION ALL
    SELECT {_SERIES}, partition, 'failed_share', '%', greatest(coalesce(total, 1), 1)::BIGINT,
           share, CASE WHEN total > 1 THEN share * (100.0 - share) * total / (total - 1) END
    FROM tool_failed)
"""


def _span(selections: list[Selection]) -> tuple[str, str]:
    """The days any selection can reach: only those are read."""
    firsts = [s.first_day for s in selections]
    lasts = [s.last_day for s in selections]
    return (min(firsts) if None not in firsts else "0000-00-00",
            max(lasts) if None not in lasts else "9999-99-99")


def selected_nights(con: duckdb.DuckDBPyConnection, selections: list[Selection]
                    ) -> list[list[dict]]:
    """Per selection, its nights: one dict per series, metric and night (the dimensions,
    ``partition``, ``metric``, ``unit``, ``n``, ``mean``, ``var``)."""
    parts, params = [], {}
    for i, selection in enumerate(selections):
        where, values = selection.where(f"s{i}")
        parts.append(f"SELECT {i} AS side, * FROM nights WHERE {where}")
        params |= values
    first, last = _span(selections)
    params |= {"first": first, "last": last, "metrics": list(HEADLINE)}
    rows = fetch_dicts(con, NIGHTS_SQL + " UNION ALL ".join(parts)
                       + " ORDER BY ALL", params)
    out: list[list[dict]] = [[] for _ in selections]
    for row in rows:
        out[row.pop("side")].append(row)
    return out


# The percentiles of a side (shown, not tested): the tools' own, and the project's requests'.
# A tool run's value of each wanted stat (``median`` is p50 where the run wrote no p50), from
# ``r`` (RESULTS_SQL, the run's ok rows); a side's value is the median of its runs' values.
PERCENTILES_SQL = _RUNS + f""",
req_values AS (
    SELECT {_REQUEST_DIMS}, partition, 'decode_tps' AS metric, 'tok/s' AS unit,
           decode_tps AS v FROM runs WHERE ok AND decode_tps IS NOT NULL
    UNION ALL
    SELECT {_REQUEST_DIMS}, partition, 'ttft', 's', ttft_s FROM runs
    WHERE ok AND ttft_s IS NOT NULL),
r AS ({RESULTS_SQL.format(where="$first <= partition AND partition <= $last")}),
tool_values AS (
    SELECT {_SERIES}, partition, metric, run_key, unit, value,
           CASE WHEN lower(stat) = 'median' THEN 'p50' ELSE lower(stat) END AS pct
    FROM r WHERE status = 'ok' AND value IS NOT NULL
                 AND metric IN (SELECT unnest($metrics::VARCHAR[]))
                 AND (CASE WHEN lower(stat) = 'median' THEN 'p50' ELSE lower(stat) END)
                     IN (SELECT unnest($stats::VARCHAR[]))
    QUALIFY row_number() OVER (PARTITION BY {_SERIES}, partition, metric, run_key, pct
                               ORDER BY lower(stat) = 'median', unit, value) = 1)
"""


def wanted_quantiles(percentiles: Sequence[str]) -> dict[str, float]:
    """The configured percentiles (``p95``) with their quantiles (0.95), lowest first: the
    same numbers the pipeline computes its own statistics with
    (:func:`~chimera_pipeline.lib.store.results.quantiles`)."""
    found = quantiles(percentiles)
    return dict(sorted(((p, found[p]) for p in dict.fromkeys(percentiles)),
                       key=lambda pq: pq[1]))


def selected_percentiles(con: duckdb.DuckDBPyConnection, selections: list[Selection],
                         percentiles: Sequence[str]) -> list[list[dict]]:
    """Per selection, its series' percentiles: one dict per series, metric and percentile
    (the dimensions, ``metric``, ``stat``, ``unit``, ``value``, ``n`` and ``basis``):

    * ``basis`` ``requests``: the project's requests (``llm_runs``), ``quantile_cont`` of
      decode tok/s and TTFT over the side's ok requests (every day of it pooled; a request
      stored twice counted once), ``n`` the requests;
    * ``basis`` ``runs``: a tool's written value (``median`` as p50), only the ok rows of
      the compared metrics; a side of several runs (nights, or a night run twice) takes the
      median of its runs' values, ``n`` the runs."""
    wanted = wanted_quantiles(percentiles)
    if not wanted:
        return [[] for _ in selections]
    # each percentile DuckDB's own quantile_cont (linear between the two nearest ranks)
    computed = ", ".join(f"quantile_cont(v, {q!r})" for q in wanted.values())
    parts, params = [], {}
    for i, selection in enumerate(selections):
        where, values = selection.where(f"s{i}")
        parts.append(f"""
        SELECT {i} AS side, {_SERIES}, metric, 'runs' AS basis, pct AS stat, min(unit) AS unit,
               median(value) AS value, count(*) AS n, NULL::DOUBLE[] AS computed
        FROM tool_values WHERE {where} GROUP BY {_SERIES}, metric, pct
        UNION ALL
        SELECT {i}, {_SERIES}, metric, 'requests', NULL, min(unit), NULL, count(*),
               [{computed}]
        FROM req_values WHERE {where} GROUP BY {_SERIES}, metric""")
        params |= values
    first, last = _span(selections)
    params |= {"first": first, "last": last, "metrics": list(HEADLINE),
               "stats": list(wanted)}
    rows = fetch_dicts(con, PERCENTILES_SQL + " UNION ALL ".join(parts) + " ORDER BY ALL",
                       params)
    out: list[list[dict]] = [[] for _ in selections]
    for row in rows:
        side, values = row.pop("side"), row.pop("computed")
        if values is None:
            out[side].append(row)
            continue
        for stat, value in zip(wanted, values, strict=True):  # one row per percentile
            out[side].append(row | {"stat": stat, "value": value})
    return out


def series_nights_upto(con: duckdb.DuckDBPyConnection, day: str) -> list[dict]:
    """Every night up to ``day`` of the series measured on ``day``, with the night before
    it (``prev_*``): what the report's comparison with each series' previous day reads."""
    keys = f"{_SERIES}, metric"
    sql = NIGHTS_SQL + f""",
    paired AS (
        SELECT *, lag(partition) OVER w AS prev_day, lag(n) OVER w AS prev_n,
               lag(mean) OVER w AS prev_mean, lag(var) OVER w AS prev_var,
               lag(unit) OVER w AS prev_unit
        FROM nights WINDOW w AS (PARTITION BY {keys} ORDER BY partition))
    SELECT * FROM paired WHERE partition = $day AND prev_day IS NOT NULL ORDER BY ALL"""
    return fetch_dicts(con, sql, {"first": "0000-00-00", "last": day, "day": day,
                                  "metrics": list(HEADLINE)})
