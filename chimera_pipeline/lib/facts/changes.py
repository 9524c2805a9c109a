"""Changes against the latest earlier partition with the same model, suite and config.

Every day of a run in one query: each (day, model, suite, config) mean is paired with the
previous day that has the same group (``lag`` over the days), so a year's backfill costs
one pass, not one pass per day over every day before it. A request written twice on one
day counts once, as in :mod:`.llm_stats`, so a change's "current" mean is the day's mean.

A change fact states the change against the previous night; whether it is a regression or
an improvement is the alerts' verdict (:mod:`.alerts`: the series' night judged against its
history), so the facts, the findings and the alerts say the same. Tools' series too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import duckdb

from chimera_pipeline.lib.common.sql import all_of, equals
from chimera_pipeline.lib.facts import provenance
from chimera_pipeline.lib.facts.alerts import Alert, day_alerts
from chimera_pipeline.lib.facts.model import IN_DAYS, PRIORITY_CHANGE, DayFacts, Fact
from chimera_pipeline.lib.facts.tools import (
    HEADLINE,
    RESULTS_SQL,
    SERIES,
    series_filter,
    series_key,
    series_label,
    series_subject,
)
from chimera_pipeline.lib.store.results import first_of_each_run

# each day's successful requests up to the last day, each measurement once
_RUNS = first_of_each_run("llm_runs", "partition <= $last AND ok")
_SQL = """
WITH runs AS (SELECT * FROM {runs}),
-- a series is a model and a config by the names the provenance reads (``_request_change``):
-- the rows without a model and a model named so are one series, as are the rows without a
-- config and a config named ``default``; a config named ``all`` is the whole suite's name.
-- Two series of one name would be paired with each other on the same day.
named AS (
    SELECT partition, coalesce(model, 'unknown model') AS model, suite,
           coalesce(config_name, 'default') AS config_label, {c} AS measured
    FROM runs WHERE {c} IS NOT NULL),
agg AS (
    SELECT partition, model, suite,
           CASE WHEN GROUPING(config_label) = 1 THEN 'all' ELSE config_label END AS config,
           avg(measured ORDER BY measured) AS mean,
           stddev_samp(measured ORDER BY measured) AS sd, count(measured) AS n
    FROM named
    GROUP BY GROUPING SETS ((partition, model, suite), (partition, model, suite, config_label))
    HAVING GROUPING(config_label) = 1 OR config_label <> 'all'),
paired AS (
    SELECT *, lag(partition) OVER w AS prev_day, lag(mean) OVER w AS prev_mean,
           lag(sd) OVER w AS prev_sd, lag(n) OVER w AS prev_n
    FROM agg WINDOW w AS (PARTITION BY model, suite, config ORDER BY partition))
SELECT partition, model, suite, config, prev_day, prev_mean, prev_sd, prev_n, mean, sd, n
FROM paired WHERE prev_day IS NOT NULL AND {in_days} ORDER BY ALL
"""


Alerts = dict[str, list[Alert]]  # day -> its alerts

# the request metrics compared day to day: column, label, unit, higher is better
COMPARED = (("decode_tps", "decode tokens/s", "tok/s", True), ("ttft_s", "TTFT", "s", False))


def change_rows(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> Iterator[tuple]:
    """Each (day, model, suite, config, metric) of ``days`` paired with the previous day of
    the same series: ``(column, label, unit, higher_is_better, partition, model, suite,
    config, prev_day, prev_mean, prev_sd, prev_n, mean, sd, n)``."""
    params = {"days": list(days), "last": max(days)}
    for column, label, unit, higher_is_better in COMPARED:
        sql = _SQL.format(c=column, in_days=IN_DAYS, runs=_RUNS)
        for row in con.execute(sql, params).fetchall():
            yield (column, label, unit, higher_is_better, *row)


def relative_of(previous: float, current: float) -> float | None:
    """The change in % of the previous value; None when that is zero."""
    return 100.0 * (current - previous) / abs(previous) if previous else None


def verdicts_of(con: duckdb.DuckDBPyConnection, days: Sequence[str], alerts: Alerts | None
                ) -> dict[tuple[str, str, str], str]:
    """(day, series, metric) -> regression | improvement: the alerts of ``days`` (computed
    here when the caller has not)."""
    alerts = day_alerts(con, days) if alerts is None else alerts
    return {(day, a.series, a.metric): a.verdict
            for day, found in alerts.items() for a in found}


def _request_change(day: str, prev_day: str, model: str, suite: str | None, config: str,
                    column: str, scope: str, label: str) -> dict[str, str]:
    """The change of a request series' mean ``column`` from ``prev_day`` to ``day``: each
    day's successful requests, each measurement once (``_SQL``), of the series as the
    changes pair it (by model name; a config ``all`` is the whole suite, ``default`` the
    requests without a config), with the alerts' verdict."""
    group = provenance.llm_group(provenance.labelled(model), suite,
                                 None if config == "all" else config, config_default="default")
    return provenance.change(provenance.runs([prev_day, day], ok_only=True), prev_day, day,
                             column, group, f"{column} IS NOT NULL",
                             verdict=provenance.alert_verdict(day, scope, label))


def change_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str],
                 alerts: Alerts | None = None, rows: Sequence[tuple] | None = None
                 ) -> DayFacts:
    """Each request series' change against its previous night; ``rows``, the days'
    :func:`change_rows` when the caller has them."""
    verdicts = verdicts_of(con, days, alerts)
    for (column, label, unit, _higher, partition, model, suite, config, prev_day, pm,
         _psd, _pn, m, _sd, _n) in (change_rows(con, days) if rows is None else rows):
        relative = relative_of(pm, m)
        if relative is None:
            continue  # no change in % of nothing
        scope = f"{model} {suite}" + ("" if config == "all" else f" {config}")
        verdict = verdicts.get((partition, scope, label), "within noise")
        key = f"change.{model}.{suite}.{config}.{column}"
        queries = _request_change(partition, prev_day, model, suite, config, column,
                                  scope, label)
        priority = PRIORITY_CHANGE + (0 if config == "all" else 40)
        subject = model if config == "all" else f"{model} {config}"
        yield partition, Fact(
            f"{key}.pct", f"{scope}: {label} change vs {prev_day} ({verdict})", relative,
            "%", "change", priority, queries["pct"], subject, column, text=verdict,
            context=suite)
        # the two means compared, so a sentence about the change can cite both; the
        # previous one carries its day
        yield partition, Fact(f"{key}.previous", f"{scope}: mean {label} on {prev_day}", pm,
                              unit, "change", priority + 1, queries["previous"], subject,
                              f"{column}.previous", text=str(prev_day), context=suite)
        yield partition, Fact(f"{key}.current", f"{scope}: mean {label} on this day", m, unit,
                              "change", priority + 1, queries["current"], subject,
                              f"{column}.current", context=suite)


_CHANGES = """
WITH r AS ({results}),
level AS (
    SELECT partition, {series}, metric, avg(value ORDER BY value) AS mean
    FROM r WHERE status = 'ok' AND stat IN ('mean', 'value')
      AND metric IN (SELECT unnest($metrics::VARCHAR[]))
    GROUP BY ALL),
spread AS (
    SELECT partition, {series}, metric, avg(value ORDER BY value) FILTER (WHERE stat = 'std') AS sd,
           sum(value) FILTER (WHERE stat = 'count') AS n
    FROM r WHERE status = 'ok' GROUP BY ALL),
agg AS (SELECT l.*, s.sd, coalesce(s.n, 1) AS n FROM level l LEFT JOIN spread s
        USING (partition, {series}, metric)),
paired AS (
    SELECT *, lag(partition) OVER w AS prev_day, lag(mean) OVER w AS prev_mean,
           lag(sd) OVER w AS prev_sd, lag(n) OVER w AS prev_n
    FROM agg WINDOW w AS (PARTITION BY {series}, metric ORDER BY partition))
SELECT partition, {series}, metric, prev_day, prev_mean, prev_sd, prev_n, mean, sd, n
FROM paired WHERE prev_day IS NOT NULL AND {in_days} ORDER BY ALL
"""


def tool_change_rows(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> Iterator[tuple]:
    """Each series' headline metric on each of ``days`` paired with the latest earlier day
    of the same series: ``(partition, series dict, metric, prev_day, prev_mean, prev_sd,
    prev_n, mean, sd, n)``; every day of the run in one query (``lag`` over the days)."""
    sql = _CHANGES.format(results=RESULTS_SQL.format(where="partition <= $last"),
                          series=", ".join(SERIES), in_days=IN_DAYS)
    for values in con.execute(sql, {"days": list(days), "last": max(days),
                                    "metrics": list(HEADLINE)}).fetchall():
        row = dict(zip(SERIES, values[1:len(SERIES) + 1], strict=True))
        metric, prev_day, pm, psd, pn, m, sd, n = values[len(SERIES) + 1:]
        if pm:
            yield values[0], row, metric, prev_day, pm, psd, int(pn), m, sd, int(n)


def _tool_change(day: str, prev_day: str, row: dict, metric: str, series: str,
                 name: str) -> dict[str, str]:
    """The change of a tool series' headline ``metric`` from ``prev_day`` to ``day``: each
    day's mean of its successful mean (or single) values (``_CHANGES``' level), with the
    alerts' verdict."""
    level = all_of(series_filter(row), equals("metric", metric), "status = 'ok'",
                   "stat IN ('mean', 'value')")
    return provenance.change(provenance.results([prev_day, day]), prev_day, day, "value",
                             level, verdict=provenance.alert_verdict(day, series, name))


def tool_change_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str],
                      alerts: Alerts | None = None, rows: Sequence[tuple] | None = None
                      ) -> DayFacts:
    """Each tool series' change against its previous night, the verdict the alerts';
    ``rows``, the days' :func:`tool_change_rows` when the caller has them."""
    verdicts = verdicts_of(con, days, alerts)
    for partition, row, metric, prev_day, pm, _psd, _pn, m, _sd, _n in (
            tool_change_rows(con, days) if rows is None else rows):
        relative = relative_of(pm, m)
        if relative is None:
            continue
        name, _ = HEADLINE[metric]
        verdict = verdicts.get((partition, series_label(row), name), "within noise")
        label = series_label(row).removeprefix(f"{row['tool']} ")
        key = "change." + series_key(row)[len("tool."):] + f".{metric}"
        context = f"{row['tool']} {row['test'] or ''}".strip()
        subject = series_subject(row)
        queries = _tool_change(partition, prev_day, row, metric, series_label(row), name)
        unit = "tok/s" if metric.endswith("_tps") else "req/s" if metric.endswith("_s") else "s"
        yield partition, Fact(f"{key}.pct", f"{row['tool']} {label}: {name} change vs "
                              f"{prev_day} ({verdict})", relative, "%", "change",
                              PRIORITY_CHANGE, queries["pct"], subject, metric, text=verdict,
                              context=context)
        yield partition, Fact(f"{key}.previous", f"{row['tool']} {label}: {name} on {prev_day}",
                              pm, unit, "change", PRIORITY_CHANGE + 1, queries["previous"],
                              subject,
                              f"{metric}.previous", text=str(prev_day), context=context)
        yield partition, Fact(f"{key}.current", f"{row['tool']} {label}: {name} on this day", m,
                              unit, "change", PRIORITY_CHANGE + 1, queries["current"], subject,
                              f"{metric}.current", context=context)
