"""The regression method on constructed series: a step is caught, noise and a one-night
outlier are not, one alert per change, improvements are not regressions, n=1 and n=2 nights,
zero means, and the same answer whatever the nights' order or the days asked about."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from chimera_pipeline.lib.facts.regression import (
    Night,
    Params,
    Series,
    bh_adjusted,
    judge,
    welch,
    within_night,
)

START = dt.date(2025, 1, 1)
SERIES = Series("decode", higher_is_better=True)


def _day(i: int) -> str:
    return (START + dt.timedelta(days=i)).isoformat()


def _nights(levels: list[float], seed: int = 1, n: int = 5, within: float = 0.03,
            between: float = 0.02) -> list[Night]:
    rng = random.Random(seed)
    out = []
    for i, level in enumerate(levels):
        night = level * (1 + rng.gauss(0, between))
        values = [night * (1 + rng.gauss(0, within)) for _ in range(n)]
        mean = sum(values) / n
        var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else None
        out.append(Night(_day(i), n, mean, var))
    return out


def _alerts(nights: list[Night], series: Series = SERIES) -> list[tuple[str, str, str]]:
    verdicts = judge({series: nights}, [x.day for x in nights])
    return sorted((day, v.kind, v.evidence.test) for day, found in verdicts.items()
                  for v in found)


def test_a_sustained_ten_percent_step_is_caught_on_its_first_or_second_night() -> None:
    caught = 0
    for seed in range(20):
        nights = _nights([100.0] * 30 + [90.0] * 10, seed=seed)
        alerts = _alerts(nights)
        regressions = [a for a in alerts if a[1] == "regression" and a[0] >= _day(30)]
        caught += any(day in (_day(30), _day(31)) for day, _, _ in regressions)
        assert len(regressions) <= 1, alerts  # one alert per change
        assert all(kind != "improvement" for _, kind, _ in alerts if _ >= _day(30))
    assert caught >= 16  # the benchmark measures the rate over thousands of steps


def test_noise_alone_is_no_alert() -> None:
    alarms = sum(len(_alerts(_nights([100.0] * 60, seed=seed))) for seed in range(20))
    assert alarms <= 1  # 1,180 null series-nights


def test_a_one_night_outlier_is_a_warning_at_most() -> None:
    for seed in range(10):
        levels = [100.0] * 40
        levels[25] = 85.0  # one bad night, then back
        alerts = [a for a in _alerts(_nights(levels, seed=seed, between=0.01))
                  if a[0] >= _day(25)]
        assert {kind for _, kind, _ in alerts} <= {"suspect"}, alerts


def test_an_improvement_is_an_improvement() -> None:
    alerts = _alerts(_nights([100.0] * 30 + [115.0] * 5, seed=3))
    assert [kind for _, kind, _ in alerts if kind != "suspect"] == ["improvement"]


def test_a_latency_that_rises_is_a_regression() -> None:
    latency = Series("ttft", higher_is_better=False)
    alerts = _alerts(_nights([1.0] * 30 + [1.2] * 5, seed=4), latency)
    assert [kind for _, kind, _ in alerts if kind != "suspect"] == ["regression"]


def test_one_and_two_nights_and_a_single_measurement() -> None:
    """One night: nothing to compare. Two nights: only the conservative rule, which needs
    a within-night spread (one measurement a night has none) and a large clear change."""
    assert _alerts(_nights([100.0], n=5)) == []
    two = _nights([100.0, 80.0], n=5, within=0.005, between=0.0)
    assert _alerts(two) == [(_day(1), "regression", "early")]
    assert _alerts(_nights([100.0, 95.0], n=5, within=0.005, between=0.0)) == []  # 5 %
    assert _alerts(_nights([100.0, 50.0], n=1)) == []  # no spread: nothing can be said
    assert _alerts(_nights([100.0, 80.0], n=2, within=0.3, between=0.0)) == []


def test_zero_means_give_no_infinite_change() -> None:
    nights = [Night(_day(i), 5, 0.0, 0.0) for i in range(10)] + [Night(_day(10), 5, 1.0, 0.0)]
    verdicts = judge({SERIES: nights}, [_day(10)])
    for found in verdicts.values():
        for v in found:
            assert v.evidence.change is None


def test_the_same_alerts_whatever_the_order_or_the_days_asked() -> None:
    nights = _nights([100.0] * 30 + [88.0] * 6, seed=9)
    other = Series("other", higher_is_better=True)
    history = {SERIES: nights, other: _nights([50.0] * 36, seed=10)}
    everything = judge(history, [x.day for x in nights])
    shuffled = list(reversed(nights))
    again = judge({other: history[other], SERIES: shuffled}, [x.day for x in nights])
    one_by_one: dict = {}
    for x in nights:
        one_by_one.update(judge(history, [x.day]))

    def flat(verdicts):
        return sorted((d, v.evidence.series.key, v.kind) for d, f in verdicts.items() for v in f)

    assert flat(everything) == flat(again) == flat(one_by_one) != []


def test_welch_and_the_within_night_rule() -> None:
    a, b = Night("a", 5, 100.0, 1.0), Night("b", 5, 103.0, 1.0)
    assert welch([a], [b]) == pytest.approx(0.0017, abs=3e-4)
    assert welch([Night("a", 1, 100.0)], [b]) is None
    assert within_night(100.0, 1.0, 5, 103.0, 1.0, 5) == (pytest.approx(3.0), "changed")


def test_parameters_come_from_the_settings_registry() -> None:
    from chimera_pipeline.lib.config import load_settings

    params = Params.from_settings(load_settings({"CHIMERA_REGRESSION_HISTORY": "30",
                                                 "CHIMERA_REGRESSION_FDR": "0.05"}))
    assert (params.history, params.fdr, params.min_history) == (30, 0.05, 5)


def test_bh_adjustment_is_scipys_to_the_last_bit() -> None:
    """The written-out Benjamini-Hochberg gives scipy's adjusted p-values exactly, on ties,
    zeros, ones, a single test and thousands: a night's rejections cannot move."""
    import numpy as np
    from scipy import stats

    rng = np.random.default_rng(7)
    for m in (1, 2, 3, 7, 64, 2000):
        for case in range(60):
            p = rng.random(m) ** rng.uniform(0.1, 6)
            if case % 3 == 0:  # ties
                p[rng.integers(0, m, size=m // 2)] = p[0]
            if case % 4 == 0:
                p[: m // 3] = 0.0
            if case % 5 == 0:
                p[-(m // 4 or 1):] = 1.0
            assert np.array_equal(bh_adjusted(p.tolist()), stats.false_discovery_control(p))


def test_a_spread_beyond_a_double_blanks_no_other_series() -> None:
    """A night whose variance overflowed (DuckDB's var_samp of 1e200 and -1e200 is inf)
    gives no p-value; as NaN it ran through Benjamini-Hochberg's running minimum and made
    every test of the night fail, so a real 50 % drop of another series went unreported."""
    import math

    dropped, overflowed = Series("A", True), Series("B", True)
    history = {dropped: [Night("2025-01-01", 100, 100.0, 1.0), Night("2025-01-02", 100, 50.0, 1.0)],
               overflowed: [Night("2025-01-01", 2, 1e200, math.inf),
                            Night("2025-01-02", 2, 1e200, math.inf)]}
    alone = judge({dropped: history[dropped]}, ["2025-01-02"])
    together = judge(history, ["2025-01-02"])
    assert [v.kind for v in alone["2025-01-02"]] == ["regression"]
    assert [(v.evidence.series, v.kind) for v in together["2025-01-02"]] == [
        (dropped, "regression")]
    assert welch([history[overflowed][0]], [history[overflowed][1]]) is None


def test_a_baselines_spread_is_numpys_sample_standard_deviation_to_the_last_bit() -> None:
    """The judge's own standard deviation (``_sample_sd``, numpy's ufuncs without
    ``np.std``'s argument handling) is the same double as ``np.std(ddof=1)`` on samples of
    every window size (pairwise summation starts at eight values), scale and rounding."""
    import numpy as np

    from chimera_pipeline.lib.facts.regression import _sample_sd

    rng = random.Random(7)
    for _ in range(20_000):
        scale = 10 ** rng.uniform(-6, 9)
        values = [rng.gauss(1.0, 0.3) * scale for _ in range(rng.randint(2, 70))]
        if rng.random() < 0.3:  # a tool's printed decimals: ties and exact repeats
            values = [round(v, 1) for v in values]
        assert _sample_sd(values) == float(np.std(values, ddof=1))
    assert _sample_sd([5.0, 5.0, 5.0]) == 0.0
