"""Each series' nights, as the regression method judges them (:mod:`.regression`).

A series is what can be compared with itself from night to night, like with like:

* the project's requests (``llm_runs``): one model, suite and config (a suite without configs
  is its own series; there is no suite-wide mean over whatever configs ran), by decode
  tokens/s, TTFT and the share of failed requests;
* a benchmark tool's series (``benchmark_results``): one tool, model, engine, hardware, test
  and config, by each headline metric, with the tool's own spread and count where it writes
  them.

Only the nights the method needs are read: every night on or after the first day judged, and
the ``depth`` nights of each series before it (its baseline, and its previous night's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from chimera_pipeline.lib.facts.regression import Night, Series
from chimera_pipeline.lib.facts.tools import HEADLINE, RESULTS_SQL, SERIES, series_label

# column, label, unit, higher is better, in % of the baseline (False: points of a share)
REQUEST_METRICS = (("decode_tps", "decode tokens/s", "tok/s", True, True),
                   ("ttft_s", "TTFT", "s", False, True),
                   ("failed", "failed requests", "%", False, False))


@dataclass(frozen=True)
class SeriesInfo:
    """What an alert says of its series."""

    label: str
    metric: str
    unit: str | None
    kind: str  # throughput | latency | error rate


_LLM = """
WITH runs AS (
    SELECT * FROM llm_runs WHERE partition <= $last
    QUALIFY row_number() OVER (PARTITION BY partition, measurement_key
                               ORDER BY source_file, source_row) = 1),
nights AS (
    SELECT coalesce(model, 'unknown model') AS model, suite, config_name, partition,
           count(decode_tps) FILTER (WHERE ok) AS decode_n,
           avg(decode_tps) FILTER (WHERE ok) AS decode_mean,
           var_samp(decode_tps) FILTER (WHERE ok) AS decode_var,
           count(ttft_s) FILTER (WHERE ok) AS ttft_n, avg(ttft_s) FILTER (WHERE ok) AS ttft_mean,
           var_samp(ttft_s) FILTER (WHERE ok) AS ttft_var,
           count(*) AS requests, count(*) FILTER (WHERE NOT ok) AS failed
    FROM runs GROUP BY ALL)
SELECT * FROM nights n
WHERE EXISTS (SELECT 1 FROM nights d WHERE d.partition IN (SELECT unnest($days::VARCHAR[]))
              AND {same})
QUALIFY partition >= $first OR row_number() OVER (
    PARTITION BY model, suite, config_name, partition >= $first ORDER BY partition DESC)
    <= $depth
ORDER BY ALL
"""


def _same(columns: Sequence[str]) -> str:
    """Night ``n`` is of the same series as night ``d`` (a NULL config is a value here)."""
    return " AND ".join(f"n.{c} IS NOT DISTINCT FROM d.{c}" for c in columns)


def request_history(con: duckdb.DuckDBPyConnection, days: Sequence[str], depth: int
                    ) -> dict[Series, tuple[SeriesInfo, list[Night]]]:
    """The project's request series measured on ``days``, each with its nights."""
    params = {"days": list(days), "first": min(days), "last": max(days), "depth": depth}
    out: dict[Series, tuple[SeriesInfo, list[Night]]] = {}
    result = con.execute(_LLM.format(same=_same(("model", "suite", "config_name"))), params)
    columns = [d[0] for d in result.description]
    for values in result.fetchall():
        row = dict(zip(columns, values, strict=True))
        label = " ".join(x for x in (row["model"], row["suite"], row["config_name"]) if x)
        for column, name, unit, higher, relative in REQUEST_METRICS:
            if column == "failed":
                n, share = row["requests"], 100.0 * row["failed"] / row["requests"]
                night = Night(row["partition"], n, share, share * (100.0 - share) * n / (n - 1)
                              if n > 1 else None)
                kind = "error rate"
            else:
                prefix = "decode" if column == "decode_tps" else "ttft"
                if not row[f"{prefix}_n"]:
                    continue
                night = Night(row["partition"], row[f"{prefix}_n"], row[f"{prefix}_mean"],
                              row[f"{prefix}_var"])
                kind = "throughput" if higher else "latency"
            series = Series(("llm", row["model"], row["suite"], row["config_name"], column),
                            higher, relative)
            info = SeriesInfo(label, name, unit, kind)
            out.setdefault(series, (info, []))[1].append(night)
    return out


_TOOLS = """
WITH r AS ({results}),
nights AS (
    SELECT {series}, metric, partition,
           avg(value) FILTER (WHERE stat IN ('mean', 'value')) AS mean,
           avg(value) FILTER (WHERE stat = 'std') AS sd,
           sum(value) FILTER (WHERE stat = 'count') AS n
    FROM r WHERE status = 'ok' AND metric IN (SELECT unnest($metrics::VARCHAR[]))
    GROUP BY ALL HAVING mean IS NOT NULL)
SELECT * FROM nights n
WHERE EXISTS (SELECT 1 FROM nights d WHERE d.partition IN (SELECT unnest($days::VARCHAR[]))
              AND {same})
QUALIFY partition >= $first OR row_number() OVER (
    PARTITION BY {series}, metric, partition >= $first ORDER BY partition DESC) <= $depth
ORDER BY ALL
"""


def tool_history(con: duckdb.DuckDBPyConnection, days: Sequence[str], depth: int
                 ) -> dict[Series, tuple[SeriesInfo, list[Night]]]:
    """Every benchmark tool series measured on ``days``, each headline metric with its
    nights (a night's spread and count are the tool's, where it writes them)."""
    series_cols = ", ".join(SERIES)
    sql = _TOOLS.format(results=RESULTS_SQL.format(where="partition <= $last"),
                        series=series_cols, same=_same((*SERIES, "metric")))
    params = {"days": list(days), "first": min(days), "last": max(days), "depth": depth,
              "metrics": list(HEADLINE)}
    out: dict[Series, tuple[SeriesInfo, list[Night]]] = {}
    for values in con.execute(sql, params).fetchall():
        row = dict(zip((*SERIES, "metric", "partition", "mean", "sd", "n"), values,
                       strict=True))
        name, higher = HEADLINE[row["metric"]]
        n = int(row["n"]) if row["n"] else 1
        var = row["sd"] ** 2 if row["sd"] is not None and n > 1 else None
        unit = ("tok/s" if row["metric"].endswith("_tps") else "req/s"
                if row["metric"].endswith("_s") else "s")
        series = Series(("tool", *(row[c] for c in SERIES), row["metric"]), higher)
        info = SeriesInfo(series_label(row), name, unit, "throughput" if higher else "latency")
        out.setdefault(series, (info, []))[1].append(Night(row["partition"], n, row["mean"],
                                                             var))
    return out
