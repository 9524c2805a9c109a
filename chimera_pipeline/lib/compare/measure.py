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
"""

from __future__ import annotations

import duckdb

from chimera_pipeline.lib.compare.selection import DIMS, Selection
from chimera_pipeline.lib.facts.history import tool_nights_sql
from chimera_pipeline.lib.facts.tools import HEADLINE, RESULTS_SQL
from chimera_pipeline.lib.store.warehouse import fetch_dicts

# metric -> (label, unit, higher is better, change in % (False: in points of a share))
METRICS: dict[str, tuple[str, str | None, bool, bool]] = {
    **{m: (label, None, higher, True) for m, (label, higher) in HEADLINE.items()},
    "failed_share": ("failed requests", "%", False, False),
}
_SERIES = ", ".join(DIMS)

NIGHTS_SQL = f"""
WITH runs AS (
    SELECT * FROM llm_runs WHERE $first <= partition AND partition <= $last
    QUALIFY row_number() OVER (PARTITION BY partition, measurement_key
                               ORDER BY source_file, source_row) = 1),
req AS (
    SELECT 'chimeraforge' AS tool, coalesce(model, 'unknown model') AS model,
           'ollama' AS engine, NULL::VARCHAR AS hardware, suite AS test,
           config_name AS config, partition,
           count(decode_tps) FILTER (WHERE ok) AS decode_n,
           avg(decode_tps ORDER BY decode_tps) FILTER (WHERE ok) AS decode_mean,
           var_samp(decode_tps ORDER BY decode_tps) FILTER (WHERE ok) AS decode_var,
           count(ttft_s) FILTER (WHERE ok) AS ttft_n,
           avg(ttft_s ORDER BY ttft_s) FILTER (WHERE ok) AS ttft_mean,
           var_samp(ttft_s ORDER BY ttft_s) FILTER (WHERE ok) AS ttft_var,
           count(*) AS requests, 100.0 * count(*) FILTER (WHERE NOT ok) / count(*) AS share
    FROM runs GROUP BY ALL),
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
