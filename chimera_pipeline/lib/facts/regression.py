"""When a series' night is a regression: the method of the alerts, from the anchors' practice.

A nightly benchmark moves between nights more than within one (thermal state, background
load, drivers), and dozens of series are tested every night, so a rule that compares a night
with the previous one by the spread of its requests pages someone for noise most nights.
The method here (docs/operations.md#the-regression-method) judges a night against the
**history of its own series**:

* **baseline**: the series' last ``history`` nights before the nights judged, nights beyond
  ``outlier`` MAD deviations left out; centre = median, spread = the standard deviation of the
  nights kept (so between-night noise counts), never below the nights' own standard error;
* **a sustained step** (Otava's and asv's "confirmed by the points after it"): the last two
  nights' mean against the baseline before them, a Student t on ``n - 1`` degrees of
  freedom (Conbench's lookback z with the baseline's own uncertainty), each of the two nights
  at least ``confirm_z`` spreads to the same side; **one night** alone only with
  overwhelming evidence (p <= ``one_night_p``); a one-night outlier is no alert;
* **a within-night Welch test** (requests of the nights judged against the baseline nights'
  requests, Welch-Satterthwaite degrees of freedom) as a second condition, where the nights
  have requests; the change at least ``min_change`` (% of the centre, or points of a share);
* **before the minimum history exists**: a conservative rule, night against the previous
  night by Welch at p <= ``early_p`` and a change of at least ``early_change``;
* **false-discovery control**: Benjamini-Hochberg at ``fdr`` over every test of a night, all
  series and metrics;
* **one alert per change**: a night is alerted when its evidence holds and no night of its
  baseline window held the same (nights after a step that still differ from the old baseline
  are the same change); a one-night alert is only ``suspect``, a warning the next night
  confirms as a regression or not.

Every decision is a function of the series' nights up to the one judged, so the same data
gives the same alerts whatever order the nights arrived in.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special

MAD_TO_SD = 1.4826


@dataclass(frozen=True, slots=True)
class Night:
    """One series' measurements of one night: how many, their mean and variance."""

    day: str
    n: int
    mean: float
    var: float | None = None  # sample variance of the night's requests; None: unknown


@dataclass(frozen=True)
class Params:
    """The method's parameters (the settings registry holds them: CHIMERA_REGRESSION_*)."""

    history: int = 20
    min_history: int = 5
    fdr: float = 0.01
    min_change: float = 2.0
    confirm_z: float = 2.5
    one_night_p: float = 1e-6
    early_p: float = 0.001
    early_change: float = 10.0
    outlier: float = 4.0

    @classmethod
    def from_settings(cls, settings) -> Params:
        """The registry's CHIMERA_REGRESSION_* values (docs/configuration.md)."""
        return cls(history=settings.regression_history,
                   min_history=settings.regression_min_history, fdr=settings.regression_fdr,
                   min_change=settings.regression_min_change,
                   confirm_z=settings.regression_confirm_z)


@dataclass(frozen=True)
class Series:
    """A series' metric: what a night of it is judged by."""

    key: Hashable
    higher_is_better: bool
    relative: bool = True  # change in % of the centre; False: in points (a failed share)


@dataclass(slots=True)
class Evidence:
    """One test of one series' night."""

    series: Series
    day: str
    test: str  # pair | night | early
    p: float
    direction: int  # +1 up, -1 down
    conditions: bool  # every condition beside the p-value holds
    centre: float
    value: float  # the mean judged (the two nights' mean for a pair)
    change: float | None  # in % of the centre (or points)
    band: float  # the smallest change this test could call real, same unit
    baseline: tuple[str, ...]  # the baseline nights
    nights: tuple[str, ...]  # the nights judged
    welch_p: float | None = None
    rejected: bool = False  # by Benjamini-Hochberg over the night's tests

    @property
    def regression(self) -> bool:
        return (self.direction > 0) != self.series.higher_is_better

    def describe(self) -> str:
        what = {"pair": "the last two nights", "night": "one night",
                "early": "against the previous night"}[self.test]
        welch = "" if self.welch_p is None else f", Welch p={self.welch_p:.2g}"
        return (f"{what} against the median of {len(self.baseline)} earlier night(s) "
                f"(p={self.p:.2g}{welch})" if self.test != "early" else
                f"{what} (Welch p={self.welch_p:.2g}; fewer than the minimum history)")


@dataclass
class Verdict:
    """An alert: the evidence that rose on this night. A sustained step (two nights, or the
    conservative rule before the history exists) is a regression or an improvement; one
    night alone is only ``suspect``: a warning, confirmed or not by the nights after it."""

    evidence: Evidence
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        self.kind = ("suspect" if self.evidence.test == "night" else
                     "regression" if self.evidence.regression else "improvement")


def _median(values: Sequence[float]) -> float:
    """``np.median`` of a short list, bit for bit (the middle value, or the two middle values'
    sum halved), without numpy's per-call cost: a year's build judges a million baselines."""
    if any(v != v for v in values):  # NaN: np.median's answer, not a sort's accident
        return math.nan
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return float((ordered[middle - 1] + ordered[middle]) / 2)


def _t_sf(t: float, df: float) -> float:
    """``scipy.stats.t.sf`` for one value, through the special function it calls."""
    return float(special.stdtr(df, -t))


@functools.cache
def _t_isf(q: float, df: float) -> float:
    """``scipy.stats.t.isf``, through the special function it calls; one per (q, df)."""
    return float(-special.stdtrit(df, q))


def _sample_sd(values: Sequence[float]) -> float:
    """``np.std(values, ddof=1)`` to the last bit, with the ufuncs it calls in its order
    (``np.add.reduce`` keeps numpy's pairwise summation): called for every baseline of a
    backfill, where ``np.std``'s argument handling costs more than the arithmetic."""
    array = np.array(values, dtype=np.float64)
    deviations = array - np.add.reduce(array) / array.shape[0]
    return math.sqrt(np.add.reduce(deviations * deviations) / (array.shape[0] - 1))


def _robust(values: Sequence[float], outlier: float) -> tuple[float, float, list[bool]]:
    """Median and spread of a baseline, after leaving out nights beyond ``outlier`` MAD
    spreads, and which nights were kept. The spread is the standard deviation of the nights
    kept: after the outliers are out it is as robust as MAD and far more efficient, so a
    Student t on ``n - 1`` degrees of freedom holds for it (MAD-based z-scores have heavier
    tails than any t)."""
    centre = _median(values)
    kept = [True] * len(values)
    mad = MAD_TO_SD * _median([abs(v - centre) for v in values])
    if mad > 0:
        kept = [abs(v - centre) <= outlier * mad for v in values]
        if 0 < sum(kept) < len(values):
            values = [v for v, k in zip(values, kept, strict=True) if k]
            centre = _median(values)
        else:
            kept = [True] * len(kept)
    spread = _sample_sd(values) if len(values) > 1 else 0.0
    return centre, spread, kept


def _pool(nights: Sequence[Night]) -> tuple[int, float, float | None]:
    """The requests of several nights as one sample: n, mean, variance (None if unknown)."""
    # each sum over a list, not a generator: the same additions in the same order, without
    # a generator's cost per night (every baseline and every test of a backfill pools)
    n = sum([x.n for x in nights])
    if n == 0:
        return 0, math.nan, None
    mean = sum([x.n * x.mean for x in nights]) / n
    if any(x.var is None and x.n > 1 for x in nights) or n < 2:
        return n, mean, None
    within = sum([(x.n - 1) * (x.var or 0.0) for x in nights])
    between = sum([x.n * (x.mean - mean) ** 2 for x in nights])
    return n, mean, (within + between) / (n - 1)


def welch(a: Sequence[Night], b: Sequence[Night]) -> float | None:
    """Two-sided Welch p-value of the requests of ``b`` against those of ``a``; None when
    either side has no within-night spread to judge by."""
    return _welch_pooled(_pool(a), b)


def _change(value: float, centre: float, relative: bool) -> float | None:
    if not relative:
        return value - centre
    return None if centre == 0 else 100.0 * (value - centre) / abs(centre)


def _floor(baseline: Sequence[Night], centre: float) -> float:
    """The least spread a baseline is given: its nights' own standard error (a series
    without between-night noise), else a thousandth of its centre."""
    errors = [math.sqrt(x.var / x.n) for x in baseline if x.var is not None and x.n > 0]
    return max(_median(errors) if errors else 0.0, 1e-3 * abs(centre), 1e-12)


@dataclass(slots=True)
class _Baseline:
    """The robust baseline of the nights before one index: its centre, spread (never below
    the floor), the nights kept and their pooled requests (Welch's side ``a``)."""

    centre: float
    spread: float
    used: list[Night]
    pooled: tuple[int, float, float | None]


def _baseline(nights: Sequence[Night], first: int, p: Params,
              cache: dict[int, _Baseline | None]) -> _Baseline | None:
    """The baseline of the nights before ``first``, computed once per series and index:
    a night's ``night`` test and the next night's ``pair`` test share it."""
    if first in cache:
        return cache[first]
    baseline = nights[max(0, first - p.history):first]
    found = None
    if len(baseline) >= p.min_history:
        centre, spread, kept = _robust([x.mean for x in baseline], p.outlier)
        used = [x for x, k in zip(baseline, kept, strict=True) if k]
        found = _Baseline(centre, max(spread, _floor(used, centre)), used, _pool(used))
    cache[first] = found
    return found


def _welch_pooled(a: tuple[int, float, float | None], b: Sequence[Night]) -> float | None:
    """:func:`welch` with side ``a`` already pooled (a baseline's, shared by its tests)."""
    na, ma, va = a
    nb, mb, vb = _pool(b)
    if va is None or vb is None or na < 2 or nb < 2:
        return None
    se2 = va / na + vb / nb
    if not math.isfinite(se2):  # a spread beyond a double: nothing to judge by
        return None
    if se2 <= 0:
        return 0.0 if ma != mb else 1.0
    t = (mb - ma) / math.sqrt(se2)
    df = se2 ** 2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    return 2 * _t_sf(abs(t), df) if math.isfinite(df) else None


def _history_test(series: Series, nights: Sequence[Night], first: int, last: int,
                  test: str, p: Params, cache: dict[int, _Baseline | None]
                  ) -> Evidence | None:
    """The mean of nights ``first..last`` against the robust baseline of the nights before."""
    judged = nights[first:last + 1]
    base = _baseline(nights, first, p, cache)
    if base is None:
        return None
    centre, spread, used = base.centre, base.spread, base.used
    value = float(sum(x.mean for x in judged) / len(judged))  # np.mean's sum from 0.0
    k, n = len(judged), len(used)
    scale = spread * math.sqrt(1 / k + math.pi / (2 * n))
    t = (value - centre) / scale
    pvalue = 2 * _t_sf(abs(t), n - 1)
    direction = 1 if value > centre else -1
    change = _change(value, centre, series.relative)
    critical = _t_isf(p.fdr / 2, n - 1) * scale
    band = (100.0 * critical / abs(centre) if series.relative and centre else critical)
    beyond = all(direction * (x.mean - centre) >= p.confirm_z * spread for x in judged)
    big = change is None or abs(change) >= p.min_change
    welch_p = _welch_pooled(base.pooled, judged)
    conditions = big and (welch_p is None or welch_p <= p.fdr) and (test != "pair" or beyond)
    if test == "night":
        conditions = conditions and pvalue <= p.one_night_p
    return Evidence(series, judged[-1].day, test, pvalue, direction, conditions, centre, value,
                    change, band, tuple(x.day for x in used), tuple(x.day for x in judged),
                    welch_p)


def _early_test(series: Series, nights: Sequence[Night], i: int, p: Params
                ) -> Evidence | None:
    """Before the minimum history: the night against the previous one, conservatively."""
    if i < 1:
        return None
    before, now = nights[i - 1], nights[i]
    welch_p = welch([before], [now])
    if welch_p is None:
        return None  # no spread to judge by, no history: nothing can be said yet
    change = _change(now.mean, before.mean, series.relative)
    conditions = (change is not None and abs(change) >= p.early_change - 1e-9
                  and welch_p <= p.early_p)
    return Evidence(series, now.day, "early", welch_p, 1 if now.mean > before.mean else -1,
                    conditions, before.mean, now.mean, change, p.early_change,
                    (before.day,), (now.day,), welch_p)


def _tests(series: Series, nights: Sequence[Night], i: int, p: Params,
           cache: dict[int, _Baseline | None]) -> list[Evidence]:
    found = []
    night = _history_test(series, nights, i, i, "night", p, cache)
    if night is not None:
        found.append(night)
        if i >= 1:
            pair = _history_test(series, nights, i - 1, i, "pair", p, cache)
            if pair is not None:
                found.append(pair)
    else:
        early = _early_test(series, nights, i, p)
        if early is not None:
            found.append(early)
    return found


def bh_adjusted(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, the same to the last bit as
    ``scipy.stats.false_discovery_control(p_values)``: its arithmetic, in its order
    (``p_(i) * (m / i)``, then the running minimum from the largest ``p`` down). Written
    out because importing ``scipy.stats`` for this one formula costs every process that
    judges a night about half a second and tens of MB; ``scipy.special`` (the t
    distribution) is a small fraction of that."""
    ps = np.asarray(p_values, dtype=np.float64)
    m = ps.shape[-1]
    order = np.argsort(ps, axis=-1)
    ranked = np.take_along_axis(ps, order, axis=-1)
    ranked *= m / np.arange(1, m + 1, dtype=np.float64)
    np.minimum.accumulate(ranked[::-1], out=ranked[::-1])
    adjusted = np.empty_like(ranked)
    adjusted[order] = ranked
    return np.clip(adjusted, 0.0, 1.0)


def benjamini_hochberg(tests: Sequence[Evidence], q: float) -> None:
    """Mark the tests of one night that Benjamini-Hochberg rejects at false-discovery rate
    ``q`` (over all of them: every series and metric measured that night)."""
    if not tests:
        return
    # a p-value that is not a number (a spread that overflowed to inf) is no evidence: as
    # NaN it would run through the running minimum and blank every test of the night
    adjusted = bh_adjusted([min(max(t.p, 0.0), 1.0) if math.isfinite(t.p) else 1.0
                            for t in tests])
    for test, value in zip(tests, adjusted, strict=True):
        test.rejected = bool(value <= q)


def judge(history: Mapping[Series, Sequence[Night]], days: Sequence[str],
          p: Params = Params(), known: dict[str, list[Evidence]] | None = None
          ) -> dict[str, list[Verdict]]:
    """The alerts of ``days``: for every series, each of its nights on those days whose
    evidence holds (after Benjamini-Hochberg over that night's tests) when its previous
    night's did not. ``history`` holds every series' nights up to the last day asked (its
    whole history: a baseline window's nights need their own baselines).

    ``known`` carries nights already judged from one call to the next (a backfill judged a
    block of days at a time): a night's tests, every series measured on it, read only the
    nights before it, so a later block that needs them for its baselines' windows takes them
    instead of testing them again; the nights this call tests are added to it (the caller
    bounds it)."""
    known = {} if known is None else known
    wanted = set(days)
    # the nights judged: those on the days asked for, and each one's ``history`` nights
    # before (one alert per change: a night alerts only when no night of its baseline
    # window already held the same evidence). Every series measured on such a day is tested
    # on it, asked for or not: false-discovery control runs over all of a night's tests, so
    # a night's verdict must not depend on which other days were asked for with it
    # (``history`` holds every series up to the last day asked).
    ordered = {series: sorted(nights, key=lambda x: x.day)
               for series, nights in history.items()}
    needed_days = set(wanted)
    for nights in ordered.values():
        for i, night in enumerate(nights):
            if night.day in wanted:
                needed_days.update(x.day for x in nights[max(0, i - p.history):i])
    judged: dict[str, list[Evidence]] = defaultdict(list)
    index: dict[tuple[Series, str], list[Evidence]] = {}
    for series, nights in ordered.items():
        baselines: dict[int, _Baseline | None] = {}
        for i, night in enumerate(nights):
            if night.day in needed_days and night.day not in known:
                found = _tests(series, nights, i, p, baselines)
                index[(series, night.day)] = found
                judged[night.day] += found
    for tests in judged.values():
        benjamini_hochberg(tests, p.fdr)
    for day in needed_days & known.keys():
        for evidence in known[day]:
            index.setdefault((evidence.series, day), []).append(evidence)
    known.update(judged)

    def held(series: Series, day: str, direction: int, confirmed: bool) -> list[Evidence]:
        return [e for e in index.get((series, day), []) if e.rejected and e.conditions
                and e.direction == direction and (e.test != "night") == confirmed]

    verdicts: dict[str, list[Verdict]] = defaultdict(list)
    for series, nights in ordered.items():
        for i, night in enumerate(nights):
            if night.day not in wanted:
                continue
            window = [x.day for x in nights[max(0, i - p.history):i]]
            for direction in (-1, 1):
                confirmed = held(series, night.day, direction, True)
                # an early test compares with the previous night only: each one is its own
                # change; a history test's baseline may still hold an earlier step's nights
                if confirmed and (all(e.test == "early" for e in confirmed) or not any(
                        e.test != "early" for d in window
                        for e in held(series, d, direction, True))):
                    verdicts[night.day].append(Verdict(min(confirmed, key=lambda e: e.p)))
                    continue
                suspect = held(series, night.day, direction, False)
                if suspect and not any(held(series, d, direction, c) for d in window
                                       for c in (True, False)):
                    verdicts[night.day].append(Verdict(min(suspect, key=lambda e: e.p)))
    return dict(verdicts)


def within_night(a_mean: float, a_sd: float | None, a_n: int, b_mean: float,
                 b_sd: float | None, b_n: int, level: float = 0.01,
                 min_change: float = 2.0) -> tuple[float | None, str]:
    """Two samples of one night (a sweep's best config against its baseline config): the
    change in % of ``a`` and "changed" when a Welch test rejects equal means at ``level``
    and the change is at least ``min_change`` %; "within noise" otherwise, and always when
    either side has fewer than two measurements (no spread to judge by)."""
    change = None if a_mean == 0 else 100.0 * (b_mean - a_mean) / abs(a_mean)
    if a_sd is None or b_sd is None or a_n < 2 or b_n < 2 or change is None:
        return change, "within noise"
    p = welch([Night("a", a_n, a_mean, a_sd ** 2)], [Night("b", b_n, b_mean, b_sd ** 2)])
    real = p is not None and p <= level and abs(change) >= min_change
    return change, "changed" if real else "within noise"
