"""Changes against the latest earlier partition with the same model, suite and config.

Every day of a run in one query: each (day, model, suite, config) mean is paired with the
previous day that has the same group (``lag`` over the days), so a year's backfill costs
one pass, not one pass per day over every day before it. A request written twice on one
day counts once, as in :mod:`.llm_stats`, so a change's "current" mean is the day's mean.

Noise-aware rule (also in docs/pipeline.md): with ``d`` the difference of the two means and
``se = sqrt(s1²/n1 + s2²/n2)`` their standard error, a change is real when ``|d| > 2·se``
and ``|d|`` is at least 2 % of the earlier mean. When either side has fewer than two
measurements there is no spread to judge by, so the bar is 5 %. Otherwise the change is
reported as "within noise".
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import duckdb

from chimera_pipeline.lib.facts.model import IN_DAYS, PRIORITY_CHANGE, DayFacts, Fact

_SQL = """
WITH runs AS (
    SELECT * FROM llm_runs WHERE partition <= $last AND ok
    QUALIFY row_number() OVER (PARTITION BY partition, measurement_key
                               ORDER BY source_file, source_row) = 1),
agg AS (
    SELECT partition, coalesce(model, 'unknown model') AS model, suite,
           CASE WHEN GROUPING(config_name) = 1 THEN 'all' ELSE coalesce(config_name, 'default')
           END AS config, avg({c}) AS mean, stddev_samp({c}) AS sd, count({c}) AS n
    FROM runs WHERE {c} IS NOT NULL
    GROUP BY GROUPING SETS ((partition, model, suite), (partition, model, suite, config_name))),
paired AS (
    SELECT *, lag(partition) OVER w AS prev_day, lag(mean) OVER w AS prev_mean,
           lag(sd) OVER w AS prev_sd, lag(n) OVER w AS prev_n
    FROM agg WINDOW w AS (PARTITION BY model, suite, config ORDER BY partition))
SELECT partition, model, suite, config, prev_day, prev_mean, prev_sd, prev_n, mean, sd, n
FROM paired WHERE prev_day IS NOT NULL AND {in_days} ORDER BY ALL
"""


def classify(prev_mean: float, prev_sd: float | None, prev_n: int, mean: float,
             sd: float | None, n: int) -> tuple[float, str]:
    """Return (relative change in %, 'changed' | 'within noise') by the rule above."""
    delta = mean - prev_mean
    relative = 100.0 * delta / prev_mean if prev_mean else math.inf
    if prev_n >= 2 and n >= 2 and prev_sd is not None and sd is not None:
        se = math.sqrt(prev_sd**2 / prev_n + sd**2 / n)
        real = abs(delta) > 2 * se and abs(relative) >= 2.0
    else:
        real = abs(relative) >= 5.0
    return relative, "changed" if real else "within noise"


def noise_band(prev_mean: float, prev_sd: float | None, prev_n: int, sd: float | None,
               n: int) -> float:
    """The smallest change, in % of the earlier mean, that the rule above calls real."""
    if prev_n >= 2 and n >= 2 and prev_sd is not None and sd is not None and prev_mean:
        se = math.sqrt(prev_sd**2 / prev_n + sd**2 / n)
        return max(200.0 * se / abs(prev_mean), 2.0)
    return 5.0


# the request metrics compared day to day: column, label, unit, higher is better
COMPARED = (("decode_tps", "decode tokens/s", "tok/s", True), ("ttft_s", "TTFT", "s", False))


def change_rows(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> Iterator[tuple]:
    """Each (day, model, suite, config, metric) of ``days`` paired with the previous day of
    the same series: ``(column, label, unit, higher_is_better, partition, model, suite,
    config, prev_day, prev_mean, prev_sd, prev_n, mean, sd, n)``."""
    params = {"days": list(days), "last": max(days)}
    for column, label, unit, higher_is_better in COMPARED:
        for row in con.execute(_SQL.format(c=column, in_days=IN_DAYS), params).fetchall():
            yield (column, label, unit, higher_is_better, *row)


def change_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> DayFacts:
    for (column, label, unit, higher_is_better, partition, model, suite, config, prev_day, pm,
         psd, pn, m, sd, n) in change_rows(con, days):
        relative, verdict = classify(pm, psd, pn, m, sd, n)
        if verdict == "changed":
            better = (relative > 0) == higher_is_better
            verdict = "improvement" if better else "regression"
        scope = f"{model} {suite}" + ("" if config == "all" else f" {config}")
        key = f"change.{model}.{suite}.{config}.{column}"
        where = (f"llm_runs WHERE partition IN ('{prev_day}','{partition}') AND model='{model}'"
                 f" AND suite='{suite}'")
        priority = PRIORITY_CHANGE + (0 if config == "all" else 40)
        subject = model if config == "all" else f"{model} {config}"
        yield partition, Fact(
            f"{key}.pct", f"{scope}: {label} change vs {prev_day} ({verdict})", relative,
            "%", "change", priority, where, subject, column, text=verdict, context=suite)
        # the two means compared, so a sentence about the change can cite both; the
        # previous one carries its day
        yield partition, Fact(f"{key}.previous", f"{scope}: mean {label} on {prev_day}", pm,
                          unit, "change", priority + 1, where, subject, f"{column}.previous",
                          text=str(prev_day), context=suite)
        yield partition, Fact(f"{key}.current", f"{scope}: mean {label} on this day", m, unit,
                          "change", priority + 1, where, subject, f"{column}.current",
                          context=suite)
