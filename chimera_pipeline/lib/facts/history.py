"""Each series' nights, as the regression method judges them (:mod:`.regression`).

A series is what can be compared with itself from night to night, like with like:

* the project's requests (``llm_runs``): one model, suite and config (a suite without configs
  is its own series; there is no suite-wide mean over whatever configs ran), by decode
  tokens/s, TTFT and the share of failed requests;
* a benchmark tool's series (``benchmark_results``): one tool, model, engine, hardware, test
  and config, by each headline metric, with the tool's own spread and count where it writes
  them.

Every series' nights up to the last day judged are read, not only those of the series measured
on the days judged: the method tests every series measured on a night of a judged night's
baseline window, and false-discovery control runs over all of a night's tests, so a night is
judged on the same evidence whether it is judged in a year's backfill or alone the next
morning. A night's mean and variance are summed in value order: the same requests give the
same bits whatever order they were stored in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from chimera_pipeline.lib.facts.regression import Night, Series
from chimera_pipeline.lib.facts.tools import HEADLINE, RESULTS_SQL, SERIES, series_label
from chimera_pipeline.lib.store.results import first_of_each_run

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


# a project request series' night (one model, suite and config): decode tokens/s and TTFT of
# its ok requests, in value order (the same bits whatever order they were stored in), and its
# requests and failed ones; the alerts and ``chimera compare`` read the same nights
REQUEST_NIGHT = """
           count(decode_tps) FILTER (WHERE ok) AS decode_n,
           avg(decode_tps ORDER BY decode_tps) FILTER (WHERE ok) AS decode_mean,
           var_samp(decode_tps ORDER BY decode_tps) FILTER (WHERE ok) AS decode_var,
           count(ttft_s) FILTER (WHERE ok) AS ttft_n,
           avg(ttft_s ORDER BY ttft_s) FILTER (WHERE ok) AS ttft_mean,
           var_samp(ttft_s ORDER BY ttft_s) FILTER (WHERE ok) AS ttft_var,
           count(*) AS requests, count(*) FILTER (WHERE NOT ok) AS failed"""

_LLM = f"""
WITH runs AS (SELECT * FROM {first_of_each_run("llm_runs", "partition <= $last")}),
nights AS (
    SELECT coalesce(model, 'unknown model') AS model, suite, config_name, partition,
           {REQUEST_NIGHT}
    FROM runs GROUP BY ALL)
SELECT * FROM nights ORDER BY ALL
"""


def request_history(con: duckdb.DuckDBPyConnection, days: Sequence[str]
                    ) -> dict[Series, tuple[SeriesInfo, list[Night]]]:
    """Every project request series with its nights up to the last of ``days``."""
    out: dict[Series, tuple[SeriesInfo, list[Night]]] = {}
    # each series' metrics' nights lists, made once per series (a year holds a row per
    # series and night: hundreds of thousands)
    lists: dict[tuple, tuple[list[Night], list[Night], list[Night]]] = {}
    result = con.execute(_LLM, {"last": max(days)})
    columns = [d[0] for d in result.description]
    assert columns == _LLM_COLUMNS, columns  # the unpacking below reads them in this order
    for (model, suite, config, partition, decode_n, decode_mean, decode_var, ttft_n, ttft_mean,
         ttft_var, requests, failed) in result.fetchall():
        key = (model, suite, config)
        if key not in lists:
            lists[key] = _request_series(out, model, suite, config)
        decode, ttft, failures = lists[key]
        if decode_n:
            decode.append(Night(partition, decode_n, decode_mean, decode_var))
        if ttft_n:
            ttft.append(Night(partition, ttft_n, ttft_mean, ttft_var))
        share = 100.0 * failed / requests
        failures.append(Night(partition, requests, share, share * (100.0 - share) * requests
                              / (requests - 1) if requests > 1 else None))
    return {series: (info, nights) for series, (info, nights) in out.items() if nights}


_LLM_COLUMNS = ["model", "suite", "config_name", "partition", "decode_n", "decode_mean",
                "decode_var", "ttft_n", "ttft_mean", "ttft_var", "requests", "failed"]


def _request_series(out: dict[Series, tuple[SeriesInfo, list[Night]]], model: str,
                    suite: str | None, config: str | None
                    ) -> tuple[list[Night], list[Night], list[Night]]:
    """The series of one model, suite and config (``REQUEST_METRICS``' order), added to
    ``out`` with empty nights lists, which are returned."""
    label = " ".join(x for x in (model, suite, config) if x)
    found = []
    for column, name, unit, higher, relative in REQUEST_METRICS:
        kind = ("error rate" if column == "failed" else "throughput" if higher else "latency")
        nights: list[Night] = []
        out[Series(("llm", model, suite, config, column), higher, relative)] = (
            SeriesInfo(label, name, unit, kind), nights)
        found.append(nights)
    return found[0], found[1], found[2]


# A tool series' night, from ``r`` (``RESULTS_SQL``): each run's mean with the tool's own
# spread and count; a night of several runs (a re-run, or the same test on machines the
# files do not name) is the sample of its runs' means: their mean, spread and number. Pooling
# the runs' requests instead would take the tool's within-run spread for the spread of the
# night, and two machines' results for one tight sample. A run's mean varies at least by its
# own standard error (``sd² / n``), so the runs' spread is never taken below that: two runs
# printed to the same decimals are not a sample without noise; without either, none is known.
TOOL_NIGHTS = """
tool_runs AS (
    SELECT {series}, partition, metric, run_key,
           min(unit) FILTER (WHERE stat IN ('mean', 'value')) AS unit,
           avg(value ORDER BY value) FILTER (WHERE stat IN ('mean', 'value')) AS mean,
           avg(value ORDER BY value) FILTER (WHERE stat = 'std') AS sd,
           sum(value ORDER BY value) FILTER (WHERE stat = 'count') AS n
    FROM r WHERE status = 'ok' AND metric IN (SELECT unnest($metrics::VARCHAR[]))
    GROUP BY ALL HAVING mean IS NOT NULL),
tool_nights AS (
    SELECT {series}, partition, metric, min(unit) AS unit, count(*) AS runs,
           avg(mean ORDER BY mean) AS mean,
           CASE WHEN count(*) = 1 THEN any_value(sd)
                ELSE sqrt(nullif(greatest(var_samp(mean ORDER BY mean),
                                          avg(sd * sd / coalesce(n, 1) ORDER BY mean)), 0))
           END AS sd,
           CASE WHEN count(*) = 1 THEN any_value(n) ELSE count(*) END AS n
    FROM tool_runs GROUP BY {series}, partition, metric)"""


def tool_nights_sql(series: str) -> str:
    """The ``tool_runs`` and ``tool_nights`` CTEs (after a CTE ``r``), grouped by ``series``
    columns; ``$metrics`` names the metrics. The alerts and ``chimera compare`` read the
    same nights."""
    return TOOL_NIGHTS.format(series=series)


_TOOLS = """
WITH r AS ({results}),{nights}
SELECT {series}, metric, partition, mean, sd, n FROM tool_nights ORDER BY ALL
"""


def tool_history(con: duckdb.DuckDBPyConnection, days: Sequence[str]
                 ) -> dict[Series, tuple[SeriesInfo, list[Night]]]:
    """Every benchmark tool series, each headline metric with its nights up to the last of
    ``days`` (a night's spread and count are the tool's, where it writes them)."""
    sql = _TOOLS.format(results=RESULTS_SQL.format(where="partition <= $last"),
                        series=", ".join(SERIES), nights=tool_nights_sql(", ".join(SERIES)))
    params = {"last": max(days), "metrics": list(HEADLINE)}
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
