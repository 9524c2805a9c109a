"""Regressions and improvements: each day against the last day each series was measured.

What a nightly run must tell someone the next morning, beyond the noise:

- throughput down, or time to first token / latency up, for a model, suite and config (the
  project's own request rows) or a benchmark tool's series -- by the noise-aware rule of
  :mod:`.changes`, whose band (the smallest change the rule calls real) each alert carries;
- the share of failed requests up, by the same kind of rule for a rate: the rise in points
  must exceed twice the standard error of the difference of the two shares, and 2 points;
- a backend that compiled on its last day and fails now (and the reverse, an improvement).

Every number comes from the warehouse; the alert's one-line text is built from them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import duckdb

from chimera_pipeline.lib.facts.changes import change_rows, classify, noise_band
from chimera_pipeline.lib.facts.model import IN_DAYS, format_number, shorten
from chimera_pipeline.lib.facts.tools import HEADLINE, series_label, tool_change_rows

RATE_FLOOR = 2.0  # points: a smaller rise of the failed share is never an alert


@dataclass(slots=True)
class Alert:
    """One series that changed beyond its noise band between two days."""

    verdict: str  # regression | improvement
    kind: str  # throughput | latency | error rate | compile
    series: str  # the model, suite or test, config, tool
    metric: str
    previous_day: str
    previous: float | None
    current: float | None
    unit: str | None
    change: float | None  # % of the earlier value; points for a rate
    change_unit: str | None  # "%" or "points"
    noise_band: float | None  # in change_unit
    detail: str | None = None

    def line(self) -> str:
        """The alert in one line, as the check, the report and the hook state it."""
        if self.kind == "compile":
            state = ("compiled on " + self.previous_day + ", fails now"
                     if self.verdict == "regression" else
                     "failed on " + self.previous_day + ", compiles now")
            return f"{self.series}: {state}" + (f" ({self.detail})" if self.detail else "")
        unit = f" {self.unit}" if self.unit and self.unit != "%" else self.unit or ""
        change = (f"{self.change:+.1f} %" if self.change_unit == "%"
                  else f"{self.change:+.1f} points")
        band = "%" if self.change_unit == "%" else " points"
        return (f"{self.series}: {self.metric} {format_number(self.previous, self.unit)}{unit}"
                f" on {self.previous_day} -> {format_number(self.current, self.unit)}{unit} "
                f"({change}; noise band ±{self.noise_band:.1f}{band})")

    def row(self, partition: str, rank: int) -> dict:
        return {"partition": partition, "rank": rank, "verdict": self.verdict,
                "kind": self.kind, "series": self.series, "metric": self.metric,
                "previous_day": self.previous_day, "previous": self.previous,
                "current": self.current, "unit": self.unit, "change": self.change,
                "change_unit": self.change_unit, "noise_band": self.noise_band,
                "detail": self.detail, "text": self.line()}


def _kind(higher_is_better: bool) -> str:
    return "throughput" if higher_is_better else "latency"


def _measured(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> Iterator[tuple[str, Alert]]:
    for (_column, label, unit, higher, day, model, suite, config, prev_day, pm, psd, pn, m, sd,
         n) in change_rows(con, days):
        if config == "default":  # a suite without configs: its one config is the suite
            continue
        relative, verdict = classify(pm, psd, pn, m, sd, n)
        if verdict != "changed":
            continue
        series = f"{model} {suite}" + ("" if config == "all" else f" {config}")
        yield day, Alert("improvement" if (relative > 0) == higher else "regression",
                         _kind(higher), series, label, prev_day, pm, m, unit, relative, "%",
                         noise_band(pm, psd, pn, sd, n))
    for day, row, metric, prev_day, pm, psd, pn, m, sd, n in tool_change_rows(con, days):
        relative, verdict = classify(pm, psd, pn, m, sd, n)
        if verdict != "changed":
            continue
        label, higher = HEADLINE[metric]
        unit = "tok/s" if metric.endswith("_tps") else "req/s" if metric.endswith("_s") else "s"
        yield day, Alert("improvement" if (relative > 0) == higher else "regression",
                         _kind(higher), series_label(row), label, prev_day, pm, m, unit,
                         relative, "%", noise_band(pm, psd, pn, sd, n))


_ERROR_RATES = f"""
WITH runs AS (
    SELECT * FROM llm_runs WHERE partition <= $last
    QUALIFY row_number() OVER (PARTITION BY partition, measurement_key
                               ORDER BY source_file, source_row) = 1),
agg AS (SELECT partition, coalesce(model, 'unknown model') AS model, suite, count(*) AS n,
               count(*) FILTER (WHERE NOT ok) AS failed
        FROM runs GROUP BY ALL),
paired AS (SELECT *, lag(partition) OVER w AS prev_day, lag(n) OVER w AS prev_n,
                  lag(failed) OVER w AS prev_failed
           FROM agg WINDOW w AS (PARTITION BY model, suite ORDER BY partition))
SELECT partition, model, suite, prev_day, prev_failed, prev_n, failed, n
FROM paired WHERE prev_day IS NOT NULL AND {IN_DAYS} ORDER BY ALL
"""


def rate_band(prev_share: float, prev_n: int, share: float, n: int) -> float:
    """The smallest rise of a failed share, in points, that counts: twice the standard error
    of the difference of the two shares, and at least ``RATE_FLOOR``."""
    se = math.sqrt(prev_share * (1 - prev_share) / prev_n + share * (1 - share) / n)
    return max(200.0 * se, RATE_FLOOR)


def _error_rates(con: duckdb.DuckDBPyConnection, days: Sequence[str]
                 ) -> Iterator[tuple[str, Alert]]:
    params = {"days": list(days), "last": max(days)}
    for day, model, suite, prev_day, prev_failed, prev_n, failed, n in con.execute(
            _ERROR_RATES, params).fetchall():
        before, now = prev_failed / prev_n, failed / n
        points, band = 100.0 * (now - before), rate_band(before, prev_n, now, n)
        if points and abs(points) >= band:
            yield day, Alert("regression" if points > 0 else "improvement", "error rate",
                             f"{model} {suite}", "failed requests", prev_day, 100.0 * before,
                             100.0 * now, "%", points, "points", band,
                             f"{failed} of {n} requests failed")


_COMPILES = f"""
WITH c AS (SELECT partition, bench_id, backend, bool_and(ok) AS ok,
                  min(error) FILTER (WHERE NOT ok) AS error
           FROM compile_benchmarks WHERE partition <= $last GROUP BY ALL),
paired AS (SELECT *, lag(partition) OVER w AS prev_day, lag(ok) OVER w AS prev_ok
           FROM c WINDOW w AS (PARTITION BY bench_id, backend ORDER BY partition))
SELECT partition, bench_id, backend, prev_day, ok, error FROM paired
WHERE prev_day IS NOT NULL AND prev_ok <> ok AND {IN_DAYS} ORDER BY ALL
"""


def _compiles(con: duckdb.DuckDBPyConnection, days: Sequence[str]
              ) -> Iterator[tuple[str, Alert]]:
    params = {"days": list(days), "last": max(days)}
    for day, bench, backend, prev_day, ok, error in con.execute(_COMPILES, params).fetchall():
        yield day, Alert("improvement" if ok else "regression", "compile",
                         f"{bench} {backend}", "compile", prev_day, None, None, None, None,
                         None, None, None if ok else shorten(error or "no measurement", 80))


def day_alerts(con: duckdb.DuckDBPyConnection, days: Sequence[str]
               ) -> dict[str, list[Alert]]:
    """Every day's alerts, regressions first, then by the size of the change."""
    alerts: dict[str, list[Alert]] = {}
    if not days:
        return alerts
    for source in (_measured, _error_rates, _compiles):
        for day, alert in source(con, days):
            alerts.setdefault(day, []).append(alert)
    for found in alerts.values():
        found.sort(key=lambda a: (a.verdict != "regression", a.kind == "compile",
                                  -abs(a.change or 0), a.series, a.metric))
    return alerts


def alert_rows(day: str, alerts: list[Alert]) -> list[dict]:
    """``alerts`` table rows of one day, in rank order."""
    return [alert.row(day, rank) for rank, alert in enumerate(alerts, start=1)]
