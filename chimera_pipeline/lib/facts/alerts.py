"""Regressions and improvements: each series' night judged against its own history.

What a nightly run must tell someone the next morning, and almost never wrongly: throughput
down, time to first token or latency up, the share of failed requests up, for a model, suite
and config (the project's own requests) or a benchmark tool's series, by the method of
:mod:`.regression` (a sustained step against the series' history, a within-night Welch test,
Benjamini-Hochberg over the night's tests; docs/operations.md#the-regression-method); and a
backend that compiled on its last day and fails now (and the reverse, an improvement).

Every number comes from the warehouse; the alert's one-line text is built from them.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import duckdb

from chimera_pipeline.lib.facts.history import SeriesInfo, request_history, tool_history
from chimera_pipeline.lib.facts.model import IN_DAYS, format_number, shorten
from chimera_pipeline.lib.facts.regression import Night, Params, Series, judge


@dataclass(slots=True)
class Alert:
    """One series whose night changed beyond what its history explains."""

    verdict: str  # regression | improvement | suspect (one night, unconfirmed)
    kind: str  # throughput | latency | error rate | compile
    series: str  # the model, suite or test, config, tool
    metric: str
    previous_day: str  # the last night of the baseline
    previous: float | None  # the baseline (the median of its nights)
    current: float | None  # the night, or the two nights' mean, judged
    unit: str | None
    change: float | None  # % of the baseline; points for a share
    change_unit: str | None  # "%" or "points"
    noise_band: float | None  # the smallest change the test could call real, same unit
    detail: str | None = None
    evidence: str | None = None
    p_value: float | None = None
    baseline_nights: int | None = None
    first_night: str | None = None  # the first night of the change

    def line(self) -> str:
        """The alert in one line, as the check, the report and the hook state it."""
        if self.kind == "compile":
            state = ("compiled on " + self.previous_day + ", fails now"
                     if self.verdict == "regression" else
                     "failed on " + self.previous_day + ", compiles now")
            return f"{self.series}: {state}" + (f" ({self.detail})" if self.detail else "")
        unit = f" {self.unit}" if self.unit and self.unit != "%" else self.unit or ""
        change = ("n/a" if self.change is None else f"{self.change:+.1f} %"
                  if self.change_unit == "%" else f"{self.change:+.1f} points")
        band = "%" if self.change_unit == "%" else " points"
        since = (f"since {self.first_night}" if self.first_night
                 and self.first_night != self.previous_day else "")
        against = (f"the median of {self.baseline_nights} nights to {self.previous_day}"
                   if (self.baseline_nights or 0) > 1 else self.previous_day)
        return (f"{self.series}: {self.metric} {format_number(self.current, self.unit)}{unit}"
                f"{' ' + since if since else ''} against "
                f"{format_number(self.previous, self.unit)}{unit} ({against}; {change}; "
                f"noise band ±{self.noise_band:.1f}{band})")

    def row(self, partition: str, rank: int) -> dict:
        return {"partition": partition, "rank": rank, "verdict": self.verdict,
                "kind": self.kind, "series": self.series, "metric": self.metric,
                "previous_day": self.previous_day, "previous": self.previous,
                "current": self.current, "unit": self.unit, "change": self.change,
                "change_unit": self.change_unit, "noise_band": self.noise_band,
                "detail": self.detail, "text": self.line(), "evidence": self.evidence,
                "p_value": self.p_value, "baseline_nights": self.baseline_nights,
                "first_night": self.first_night}


History = dict[Series, tuple[SeriesInfo, list[Night]]]


def measured_history(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> History:
    """Every measured series (project requests and benchmark tools) with its nights up to
    the last of ``days``, each series' nights in day order."""
    found = {**request_history(con, days), **tool_history(con, days)}
    return {series: (info, sorted(nights, key=lambda x: x.day))
            for series, (info, nights) in found.items()}


def judged_windows(history: History, days: Sequence[str], params: Params
                   ) -> dict[Series, list[Night]]:
    """Each series' nights that judging ``days`` reads, so that a backfill's blocks share
    one read of the history (read and walked again per block of days, it cost more than
    judging the block). ``judge`` tests the nights on ``days`` and every night of their
    baseline windows (``history`` nights back), every series measured on such a night (the
    night's false-discovery control runs over all of them), each test reading ``history``
    nights before its own (a pair test one more). So from the earliest night any window
    reaches, each series keeps ``history + 1`` nights more: nothing before changes a
    verdict, and nothing after the last day asked is read."""
    first, last = min(days), max(days)
    dated = {series: [x.day for x in nights] for series, (_, nights) in history.items()}
    # a series with no night on the block's days judges nothing here: its window reaches
    # nowhere (counted, a sparse series would pull every other series' cut back with it)
    reach = [dates[max(0, at - params.history)] for dates in dated.values()
             if (at := bisect.bisect_left(dates, first)) < len(dates) and dates[at] <= last]
    since = min(reach, default=first)
    windows = {}
    for series, (_, nights) in history.items():
        dates = dated[series]
        start = bisect.bisect_left(dates, since) - params.history - 1
        window = nights[max(0, start):bisect.bisect_right(dates, last)]
        if window:
            windows[series] = window
    return windows


def measured_alerts(series: History, days: Sequence[str], params: Params,
                    known: dict | None = None) -> Iterator[tuple[str, Alert]]:
    """The alerts of the measured series on ``days``, judged on ``series``
    (:func:`measured_history` up to at least the last of them); ``known`` as for
    ``regression.judge``."""
    verdicts = judge(judged_windows(series, days, params), days, params, known)
    for day, found in verdicts.items():
        for verdict in found:
            e = verdict.evidence
            info = series[e.series][0]
            yield day, Alert(
                verdict.kind, info.kind, info.label, info.metric, e.baseline[-1], e.centre,
                e.value, info.unit, e.change, "%" if e.series.relative else "points", e.band,
                None, e.describe(), e.p, len(e.baseline),
                e.nights[0] if len(e.nights) > 1 else None)


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


def day_alerts(con: duckdb.DuckDBPyConnection, days: Sequence[str],
               params: Params | None = None,
               measured: Iterable[tuple[str, Alert]] | None = None) -> dict[str, list[Alert]]:
    """Every day's alerts, regressions first, then by the size of the change. ``measured``:
    the measured series' alerts of ``days`` when already judged (a backfill judges its
    blocks in turn: ``facts.ahead``), else judged here on :func:`measured_history`."""
    alerts: dict[str, list[Alert]] = {}
    if not days:
        return alerts
    if measured is None:
        measured = measured_alerts(measured_history(con, days), days, params or Params())
    for day, alert in measured:
        alerts.setdefault(day, []).append(alert)
    for day, alert in _compiles(con, days):
        alerts.setdefault(day, []).append(alert)
    for found in alerts.values():
        found.sort(key=lambda a: (a.verdict != "regression", a.verdict == "suspect",
                                  a.kind == "compile",
                                  -abs(a.change or 0), a.series, a.metric))
    return alerts


def alert_rows(day: str, alerts: list[Alert]) -> list[dict]:
    """``alerts`` table rows of one day, in rank order."""
    return [alert.row(day, rank) for rank, alert in enumerate(alerts, start=1)]
