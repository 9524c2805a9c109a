"""Two selections side by side: what is comparable, and whether each difference is real.

**Matching.** A series is told apart by tool, model, engine, hardware, test and config
(:data:`~chimera_pipeline.lib.compare.selection.DIMS`). The dimensions on which the two
selections differ (``model=M1`` against ``model=M2``) are what is compared; every other
dimension must be equal, and so must the metric and its unit. ``ignore`` drops more
dimensions from the match (two tools name their engines differently). A side with several
series on one match key (a ``~`` pattern matching two models, an ignored config) is not
averaged into one: like the regression method, no mean over whatever configs ran; it is
reported as not matched, with what tells them apart. Everything not matched is listed with
the reason.

**Verdicts.** The regression method's own statistics (:mod:`chimera_pipeline.lib.facts.
regression`), no second method: a side's sample is its nights (each with its requests or
the tool's repeats: count, mean, variance), pooled by :func:`~..regression.welch` (between
nights' spread included), and

* both sides on the same days (two GPUs, models or tools of one run): the rule for two
  samples of one night (:func:`~..regression.within_night`): Welch p <= ``fdr`` and a change
  of at least ``min_change`` (% of the larger mean, so of either side, or points of a share);
* on different days: the method's rule for a night against an earlier one without a
  history to judge by (its ``early`` test), because the spread within a night does not
  hold the noise between nights: Welch p <= ``early_p`` and at least ``early_change`` % of
  the earlier side (as the early test takes the night before as its baseline);
* either way the verdict does not depend on which side is A: swapping them flips its
  direction only (the change shown stays in % of A);
* then Benjamini-Hochberg at ``fdr`` over every test of the comparison (the method's
  false-discovery control over a night's tests);
* a side without spread (one value, or a tool that wrote no std) cannot be judged: the
  verdict says so (the method's early test says nothing then either).

**Percentiles.** Beside each matched mean, its percentiles of the configured set
(``CHIMERA_PERCENTILES``) that both sides have, as rows of their own (metric ``ttft_p99``,
stat ``p99``) with A, B, change and ratio; the method tests means only, so their verdict is
:data:`PERCENTILE` ("not tested: percentile"), never one of the method's. The project's
requests: DuckDB's ``quantile_cont`` over each side's ok requests; a tool: the value it
wrote (``median`` as p50), the median of the runs' values where a side holds several runs
(:func:`~chimera_pipeline.lib.compare.measure.selected_percentiles`). A percentile of one
side only, or of another unit, is listed as not matched.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from chimera_pipeline.lib.compare.measure import (
    METRICS,
    selected_nights,
    selected_percentiles,
)
from chimera_pipeline.lib.compare.selection import DIMS, Selection, SelectionError
from chimera_pipeline.lib.config.settings import defaults
from chimera_pipeline.lib.facts.regression import (
    Evidence,
    Night,
    Params,
    Series,
    benjamini_hochberg,
    welch,
)

REAL_BETTER, REAL_WORSE = "real: better", "real: worse"
_HINTED = ("engine", "config", "test")  # named differently by tools and runs of one setup
NOISE, NO_SPREAD = "within noise", "no spread: cannot tell"
PERCENTILE = "not tested: percentile"  # shown beside the mean; the method tests means only
OVERLAP = "not tested: overlapping"  # A and B hold the same nights of the series


@dataclass(frozen=True)
class Percentile:
    """One side's percentile of a series and metric, and what it is computed from:
    ``requests`` (``quantile_cont`` over ``n`` ok requests) or ``runs`` (the tool's value,
    the median over ``n`` runs)."""

    value: float
    unit: str | None
    n: int
    basis: str

    def describe(self, stat: str) -> str:
        if self.basis == "requests":
            return f"quantile_cont over {self.n} ok request{'s' * (self.n != 1)}"
        return f"the tool's {stat}" + (f", median of {self.n} runs" if self.n > 1 else "")


def _percentile_evidence(pa: Percentile, pb: Percentile, stat: str) -> str:
    if pa.basis == pb.basis == "requests":
        basis = f"quantile_cont over {pa.n} vs {pb.n} ok requests"
    elif pa.basis == pb.basis == "runs" and pa.n == pb.n == 1:
        basis = f"the {stat} each tool wrote (one run each)"
    else:
        basis = f"A {pa.describe(stat)}; B {pb.describe(stat)}"
    return f"{basis}; a percentile is not tested by the regression method"


@dataclass
class Side:
    """One series' nights in one selection."""

    dims: dict[str, str | None]
    unit: str | None
    nights: list[Night]
    percentiles: dict[str, Percentile] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return sum(x.n for x in self.nights)

    @property
    def mean(self) -> float:
        """The pooled mean of the measurements: every request (or repeat) weighs one."""
        return sum(x.n * x.mean for x in self.nights) / self.n

    @property
    def days(self) -> tuple[str, ...]:
        return tuple(x.day for x in self.nights)


@dataclass
class Row:
    """One matched series and metric: A, B, the change and the verdict with its evidence."""

    series: str
    key: dict[str, str | None]
    metric: str
    label: str
    unit: str | None
    a: Side
    b: Side
    change: float | None = None
    change_unit: str = "%"
    ratio: float | None = None
    p_value: float | None = None
    verdict: str = NO_SPREAD
    evidence: str = ""
    stat: str = "mean"  # or a percentile (``p99``): then ``pct`` holds A's and B's
    pct: tuple[Percentile, Percentile] | None = None

    @property
    def base(self) -> str:
        """The measured metric (``ttft`` of ``ttft_p99``)."""
        return self.metric if self.stat == "mean" else self.metric.removesuffix(f"_{self.stat}")

    @property
    def a_value(self) -> float:
        return self.a.mean if self.pct is None else self.pct[0].value

    @property
    def b_value(self) -> float:
        return self.b.mean if self.pct is None else self.pct[1].value

    def as_dict(self) -> dict:
        counts = ((self.a.n, self.b.n) if self.pct is None
                  else (self.pct[0].n, self.pct[1].n))
        return {"series": self.series, **{d: self.key.get(d) for d in DIMS},
                "metric": self.metric, "stat": self.stat, "label": self.label,
                "unit": self.unit, "a": self.a_value, "b": self.b_value,
                "change": self.change, "change_unit": self.change_unit, "ratio": self.ratio,
                "verdict": self.verdict, "p_value": self.p_value, "evidence": self.evidence,
                "a_n": counts[0], "b_n": counts[1], "a_days": list(self.a.days),
                "b_days": list(self.b.days)}


@dataclass
class Unmatched:
    """A series and metric of one side with no counterpart, and why."""

    side: str  # "A" or "B"
    series: str
    metric: str
    label: str
    reason: str
    stat: str = "mean"

    @property
    def base(self) -> str:
        return self.metric if self.stat == "mean" else self.metric.removesuffix(f"_{self.stat}")

    def as_dict(self) -> dict:
        return {"side": self.side, "series": self.series, "metric": self.metric,
                "stat": self.stat, "label": self.label, "reason": self.reason}


@dataclass
class Comparison:
    """A against B: the matched rows (by metric, then series) and what was not matched."""

    a: Selection
    b: Selection
    compared: tuple[str, ...]  # the dimensions that differ (day included)
    rows: list[Row] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"a": self.a.label, "b": self.b.label, "compared": list(self.compared),
                "rows": [r.as_dict() for r in self.rows],
                "unmatched": [u.as_dict() for u in self.unmatched]}


def series_label(dims: dict[str, str | None]) -> str:
    """A series as a reader names it, from the dimensions it is matched by."""
    parts = [dims.get("model") or ("unknown model" if "model" in dims else "")]
    parts += [dims.get("test") or ""]
    parts += [f"({dims['config']})"] if dims.get("config") else []
    parts += [f"on {dims['hardware']}"] if dims.get("hardware") else []
    tool = "/".join(x for x in (dims.get("tool"), dims.get("engine")) if x)
    parts += [f"[{tool}]"] if tool else []
    return " ".join(p for p in parts if p) or "(every series)"


def _sides(rows: list[dict], percentiles: Sequence[dict] = ()) -> dict[tuple, Side]:
    """Per series (every dimension) and metric, its nights in one selection, and its
    percentiles (those of a series and metric without a night are not compared)."""
    sides: dict[tuple, Side] = {}
    for row in rows:
        dims = {d: row[d] for d in DIMS}
        key = (*dims.values(), row["metric"])
        side = sides.setdefault(key, Side(dims, row["unit"], []))
        side.nights.append(Night(row["partition"], int(row["n"]), float(row["mean"]),
                                 None if row["var"] is None else float(row["var"])))
    for row in percentiles:
        side = sides.get((*(row[d] for d in DIMS), row["metric"]))
        if side is not None and row["value"] is not None:
            side.percentiles[row["stat"]] = Percentile(float(row["value"]), row["unit"],
                                                       int(row["n"]), row["basis"])
    return sides


def percentile_pair(a: Side, b: Side, metric: str, stat: str) -> Row:
    """A's and B's percentile ``stat`` of one series and metric: the change (in % of A) and
    the ratio, shown; not tested (the method tests means), and the verdict says so."""
    pa, pb = a.percentiles[stat], b.percentiles[stat]
    row = Row("", {}, f"{metric}_{stat}", f"{METRICS[metric][0]} {stat}", pa.unit, a, b,
              stat=stat, pct=(pa, pb), verdict=PERCENTILE)
    row.change = None if pa.value == 0 else 100.0 * (pb.value - pa.value) / abs(pa.value)
    row.ratio = None if pa.value == 0 else pb.value / pa.value
    row.evidence = _percentile_evidence(pa, pb, stat)
    return row


def _stat_order(stat: str) -> float:
    """The mean first, then the percentiles from the lowest."""
    return -1.0 if stat == "mean" else float(stat.removeprefix("p"))


def _percentiles(a: Side, b: Side, metric: str, own: tuple[str, str]
                 ) -> tuple[list[Row], list[Unmatched]]:
    """The percentile rows beside a matched mean, and the percentiles of one side only or
    of another unit, not matched (``own``: how A and B name their series)."""
    rows, unmatched = [], []
    label = METRICS[metric][0]
    for stat in sorted(a.percentiles.keys() | b.percentiles.keys(), key=_stat_order):
        pa, pb = a.percentiles.get(stat), b.percentiles.get(stat)
        if pa is not None and pb is not None and pa.unit == pb.unit:
            rows.append(percentile_pair(a, b, metric, stat))
            continue
        if pa is None or pb is None:
            side, other, has = ("A", "B", b) if pb is None else ("B", "A", a)
            written = sorted(has.percentiles, key=_stat_order)
            reason = (f"{other} has no {stat} of this {label}"
                      + (f" (only {', '.join(written)})" if written else " (no percentile)"))
        else:
            side, reason = "A", f"unit of the {stat} differs: A {pa.unit}, B {pb.unit}"
        unmatched.append(Unmatched(side, own[0 if side == "A" else 1], f"{metric}_{stat}",
                                   f"{label} {stat}", reason, stat))
    return rows, unmatched


def judge_pair(a: Side, b: Side, metric: str, params: Params) -> tuple[Row, Evidence | None]:
    """A's and B's sample of one series and metric: the change, the ratio and the test
    (before the false-discovery control over the comparison's tests)."""
    label, unit, higher, relative = METRICS[metric]
    row = Row("", {}, metric, label, a.unit or unit, a, b)
    row.change_unit = "%" if relative else "points"
    ma, mb = a.mean, b.mean
    if relative:
        row.change = None if ma == 0 else 100.0 * (mb - ma) / abs(ma)
    else:
        row.change = mb - ma
    row.ratio = None if ma == 0 else mb / ma
    shared = sorted(set(a.days) & set(b.days)) if a.dims == b.dims else []
    if shared:  # a range holding the other side's day: a sample against a part of itself
        row.verdict = OVERLAP
        row.evidence = (f"A and B both hold {len(shared)} night(s) of this series "
                        f"({', '.join(shared[:3])}{', ...' if len(shared) > 3 else ''}): "
                        "a sample is not tested against a part of itself; select days apart")
        return row, None
    p = welch(a.nights, b.nights)
    row.p_value = p
    if p is None:
        which = [name for name, side in (("A", a), ("B", b))
                 if side.n < 2 or any(x.var is None and x.n > 1 for x in side.nights)]
        row.evidence = (f"{' and '.join(which) or 'a side'} "
                        f"{'have' if len(which) > 1 else 'has'} no spread "
                        f"(n={a.n} vs n={b.n}): one value, or no std written; nothing "
                        "can be said")
        return row, None
    same_days = set(a.days) == set(b.days)
    level, floor = ((params.fdr, params.min_change) if same_days
                    else (params.early_p, params.early_change))
    change = _tested_change(ma, mb, relative, same_days, a.days, b.days)
    conditions = change is not None and abs(change) >= floor - 1e-9 and p <= level
    direction = 1 if mb > ma else -1
    evidence = Evidence(Series((metric, tuple(a.dims.items())), higher, relative),
                        b.days[-1], "early", p, direction, conditions, ma, mb, change, floor,
                        a.days, b.days, p)
    row.evidence = (f"Welch p={p:.2g} on {a.n} vs {b.n} measurements; "
                    + ("same day(s)" if same_days else "different days")
                    + f": real needs p ≤ {level:g} and ≥ {floor:g}"
                    + (" %" if relative else " points"))
    return row, evidence


def _tested_change(ma: float, mb: float, relative: bool, same_days: bool,
                   a_days: Sequence[str], b_days: Sequence[str]) -> float | None:
    """The change the floor is tested on, the same whichever side is A (so swapping the sides
    only flips the verdict's direction): points of a share as they are; across days, % of the
    earlier side (the method's early test: a night in % of the night before it); on the same
    days, where neither side is the baseline, % of the larger mean (the change reaches the
    floor taken from either side)."""
    if not relative:
        return mb - ma
    if same_days:
        scale = max(abs(ma), abs(mb))
    else:
        scale = abs(ma) if sorted(a_days) < sorted(b_days) else abs(mb)
    return None if scale == 0 else 100.0 * (mb - ma) / scale


def _decide(pairs: list[tuple[Row, Evidence | None]], params: Params) -> None:
    """Benjamini-Hochberg over the comparison's tests, then each row's verdict."""
    tests = [e for _, e in pairs if e is not None]
    benjamini_hochberg(tests, params.fdr)
    for row, evidence in pairs:
        if evidence is None:
            if row.verdict != OVERLAP:
                row.verdict = NO_SPREAD
            continue
        if evidence.conditions and evidence.rejected:
            row.verdict = REAL_WORSE if evidence.regression else REAL_BETTER
        else:
            row.verdict = NOISE
            if evidence.conditions:
                row.evidence += f"; not kept by Benjamini-Hochberg over {len(tests)} tests"


def _differing(a: Selection, b: Selection) -> tuple[str, ...]:
    return tuple(d for d in ("day", *DIMS) if a.constraint(d) != b.constraint(d))


def _reason(side: Side, metric: str, other: dict[tuple, Side], key_dims: Sequence[str],
            other_name: str) -> str:
    """Why a series of one side has no counterpart in the other."""
    label = METRICS[metric][0]
    if not other:
        return f"{other_name} has no measurement"
    same = [s for k, s in other.items() if all(s.dims[d] == side.dims[d] for d in key_dims)]
    if same:
        have = sorted({METRICS[k[-1]][0] for k, s in other.items() if s in same})
        return (f"{other_name} has this series but no {label} of it (only "
                f"{', '.join(have)})")
    with_metric = [s for k, s in other.items() if k[-1] == metric]
    if not with_metric:
        return f"{other_name} has no {label} at all"
    for dim in key_dims:
        close = [s for s in with_metric
                 if all(s.dims[d] == side.dims[d] for d in key_dims if d != dim)]
        if close:
            values = sorted({"none" if s.dims[dim] is None else str(s.dims[dim])
                             for s in close})
            shown = ", ".join(values[:3]) + (f" and {len(values) - 3} more"
                                            if len(values) > 3 else "")
            hint = f" (--ignore {dim} compares across it)" if dim in _HINTED else ""
            return (f"not measured in {other_name} with this {dim}; {other_name} has {dim} "
                    f"{shown}{hint}")
    return f"no series of {other_name} with the same " + ", ".join(key_dims)


def compare_pair(a_rows: list[dict], b_rows: list[dict], a: Selection, b: Selection,
                 ignore: Sequence[str] = (), params: Params | None = None,
                 a_percentiles: Sequence[dict] = (), b_percentiles: Sequence[dict] = ()
                 ) -> Comparison:
    """Match A's and B's nights and judge every matched series and metric; beside each
    matched mean, the percentiles both sides have (not judged)."""
    params = params or Params()
    compared = _differing(a, b)
    dropped = set(compared) | set(ignore)
    key_dims = [d for d in DIMS if d not in dropped]
    result = Comparison(a, b, tuple(d for d in ("day", *DIMS) if d in dropped))
    sides = {"A": _sides(a_rows, a_percentiles), "B": _sides(b_rows, b_percentiles)}
    keyed: dict[str, dict[tuple, list[Side]]] = {}
    for name, found in sides.items():
        keyed[name] = defaultdict(list)
        for full, side in found.items():
            keyed[name][(*(side.dims[d] for d in key_dims), full[-1])].append(side)
    pairs: list[tuple[Row, Evidence | None]] = []
    shown: list[Row] = []  # the percentiles: shown, not tested
    for name, other_name in (("A", "B"), ("B", "A")):
        for key, found in keyed[name].items():
            dims = dict(zip(key_dims, key[:-1], strict=True))
            # a matched row is named by what both sides share; one side's series by its own
            series, metric = series_label(dims), key[-1]
            own = series_label(found[0].dims) if len(found) == 1 else series
            label = METRICS[metric][0]
            if len(found) > 1:
                differ = [d for d in DIMS if len({s.dims[d] for s in found}) > 1]
                values = sorted({" / ".join(str(s.dims[d]) for d in differ) for s in found})
                result.unmatched.append(Unmatched(
                    name, series, metric, label,
                    f"{len(found)} series in {name} differ in {', '.join(differ)} "
                    f"({'; '.join(values[:3])}{'; ...' if len(values) > 3 else ''}): "
                    f"narrow the selection ({', '.join(f'{d}=...' for d in differ)})"))
                continue
            counterpart = keyed[other_name].get(key)
            if counterpart is None:
                result.unmatched.append(Unmatched(
                    name, own, metric, label,
                    _reason(found[0], metric, sides[other_name], key_dims, other_name)))
                continue
            if name == "B" or len(counterpart) > 1:
                continue  # judged from A's side, or reported there as ambiguous
            if found[0].unit != counterpart[0].unit:
                result.unmatched.append(Unmatched(
                    name, own, metric, label,
                    f"unit differs: A {found[0].unit}, B {counterpart[0].unit}"))
                continue
            row, evidence = judge_pair(found[0], counterpart[0], metric, params)
            row.series, row.key = series, dims
            if not {"model", "test"} & set(key_dims):  # both differ: name each side's
                row.series = (f"{series_label(found[0].dims)} vs "
                              f"{series_label(counterpart[0].dims)}")
            pairs.append((row, evidence))
            extra, missing = _percentiles(found[0], counterpart[0], metric,
                                          (own, series_label(counterpart[0].dims)))
            for x in extra:
                x.series, x.key = row.series, dims
            shown += extra
            result.unmatched += missing
    _decide(pairs, params)
    order = list(METRICS)
    result.rows = sorted([r for r, _ in pairs] + shown, key=lambda r: (
        order.index(r.base), r.series, _stat_order(r.stat)))
    result.unmatched.sort(key=lambda u: (u.side, order.index(u.base), u.series,
                                         _stat_order(u.stat)))
    return result


def compare(con: duckdb.DuckDBPyConnection, selections: Sequence[Selection],
            ignore: Sequence[str] = (), params: Params | None = None,
            percentiles: Sequence[str] | None = None) -> list[Comparison]:
    """Each selection after the first against the first (A): a :class:`Comparison` each,
    with the ``percentiles`` (the registry's ``CHIMERA_PERCENTILES`` by default; none:
    ``()``) beside the means. A selection that matches no measurement is a
    :class:`SelectionError`."""
    if len(selections) < 2:
        raise SelectionError("a comparison needs two selections (--a and --b, --days D1 D2, "
                             "--models M1 M2...)")
    unknown = sorted(set(ignore) - set(DIMS))
    if unknown:
        raise SelectionError(f"--ignore {','.join(unknown)}: not a dimension; use "
                             + ", ".join(DIMS))
    found = selected_nights(con, list(selections))
    for i, (selection, rows) in enumerate(zip(selections, found, strict=True)):
        if not rows:
            raise SelectionError(f"selection {chr(ord('A') + i)} ({selection.label}) matches "
                                 "no measurement in the warehouse")
    if percentiles is None:
        percentiles = defaults()["percentiles"]
    spread = selected_percentiles(con, list(selections), percentiles)
    return [compare_pair(found[0], rows, selections[0], selection, ignore, params,
                         spread[0], pct)
            for selection, rows, pct in zip(selections[1:], found[1:], spread[1:],
                                            strict=True)]


def finite(value: float | None) -> float | None:
    """A value for JSON and CSV: NaN and infinities become None."""
    return None if value is None or not math.isfinite(value) else value
