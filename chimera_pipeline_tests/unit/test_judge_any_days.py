"""A night's verdict is the same whether it is judged alone the next morning, in a backfill
of the year, or in any block of days: the baseline windows' nights are tested with every
series measured on them, so false-discovery control sees the same tests (attack: many series,
steps, outliers, nights missing from some series)."""

from __future__ import annotations

import random

from chimera_pipeline.lib.facts.regression import Night, Params, Series, judge


def _history(seed: int, series: int = 24, nights: int = 45) -> dict[Series, list[Night]]:
    rng = random.Random(seed)
    days = [f"2025-{1 + d // 28:02d}-{1 + d % 28:02d}" for d in range(nights)]
    out: dict[Series, list[Night]] = {}
    for s in range(series):
        base, step_at = rng.uniform(20, 300), rng.randrange(10, nights)
        step = rng.choice((1.0, 1.0, 0.85, 0.9, 1.12))
        found = []
        for d, day in enumerate(days):
            if rng.random() < 0.1:  # a night this series did not run
                continue
            mean = base * (step if d >= step_at else 1.0) * (1 + rng.gauss(0, 0.02))
            if rng.random() < 0.03:
                mean *= 1.15  # a one-night outlier
            n = rng.choice((1, 5, 5, 10))
            found.append(Night(day, n, mean, (mean * 0.03) ** 2 if n > 1 else None))
        out[Series(("s", s), higher_is_better=s % 3 != 0)] = found
    return out


def _key(verdicts: list) -> list[tuple]:
    return sorted((v.kind, v.evidence.series.key, v.evidence.p, v.evidence.centre,
                   v.evidence.baseline) for v in verdicts)


def test_every_night_gets_the_same_verdict_alone_in_a_block_and_in_the_year() -> None:
    params = Params(history=10, min_history=4)
    alerted = 0
    for seed in (1, 2):
        history = _history(seed)
        days = sorted({x.day for nights in history.values() for x in nights})
        year = judge(history, days, params)
        alerted += sum(map(len, year.values()))
        for i, day in enumerate(days):
            alone = judge(history, [day], params)
            assert _key(alone.get(day, [])) == _key(year.get(day, [])), (seed, day)
            block = days[max(0, i - 6):i + 1]  # a late week's run
            assert _key(judge(history, block, params).get(day, [])) == _key(
                year.get(day, [])), (seed, day)
    assert alerted >= 5  # the attack has steps to find, not only quiet nights


def test_a_day_alone_reads_the_alerts_a_backfill_of_the_warehouse_gives() -> None:
    """Through the warehouse: each night's alerts computed the next morning (that day alone)
    equal those of one backfill of every day; the baseline windows' nights are judged on
    their whole history, never on a history cut at a depth before the day asked."""
    from chimera_pipeline.lib.facts.alerts import day_alerts
    from chimera_pipeline_tests.support import stepped_requests

    con, days = stepped_requests()
    params = Params(history=10, min_history=4)
    year = day_alerts(con, days, params)
    assert sum(map(len, year.values())) >= 3
    for day in days:
        alone = day_alerts(con, [day], params).get(day, [])
        assert [a.row(day, 0) for a in alone] == [a.row(day, 0) for a in year.get(day, [])], day


def _full_key(verdicts: list) -> list[tuple]:
    return sorted((v.kind, v.evidence.series.key, v.evidence.test, v.evidence.p,
                   v.evidence.welch_p, v.evidence.centre, v.evidence.value, v.evidence.band,
                   v.evidence.baseline, v.evidence.nights) for v in verdicts)


def test_blocks_that_carry_their_judged_nights_give_the_years_verdicts() -> None:
    """A backfill judged block by block, each block taking the nights the ones before it
    judged (``known``), gives every night the verdict of the year judged at once, whatever
    the block's size and however much of the carried nights the caller drops."""
    params = Params(history=10, min_history=4)
    for seed in (3, 4, 5, 6):
        history = _history(seed)
        days = sorted({x.day for nights in history.values() for x in nights})
        year = judge(history, days, params)
        for size, keep in ((1, 100), (3, 5), (7, 20), (11, 0)):
            known: dict = {}
            blocks: dict = {}
            for start in range(0, len(days), size):
                blocks |= judge(history, days[start:start + size], params, known)
                for day in sorted(known)[:-keep] if keep else list(known):
                    del known[day]
            assert {d: _full_key(v) for d, v in blocks.items()} == {
                d: _full_key(v) for d, v in year.items()}, (seed, size, keep)


def test_the_window_of_history_a_block_reads_gives_the_verdicts_of_the_whole() -> None:
    """``alerts.judged_windows`` cuts each series to what judging a block reads, so that a
    backfill reads the history once. Attack: sparse series (a baseline window reaching back
    months) beside daily ones measured on the nights of that window: cut too short, those
    nights' false-discovery control would see fewer tests and a verdict would move."""
    from chimera_pipeline.lib.facts.alerts import judged_windows

    params = Params(history=6, min_history=3)
    alerted = 0
    for seed in (3, 4, 5, 6):
        history = _history(seed, series=16, nights=110)
        rng = random.Random(seed)
        for s, (series, nights) in enumerate(list(history.items())):
            if s % 4 == 0:  # sparse: every seventh night or so
                history[series] = [x for x in nights if rng.random() < 0.15]
        days = sorted({x.day for nights in history.values() for x in nights})
        whole = {series: (None, nights) for series, nights in history.items()}
        for start in range(30, len(days), 4):
            block = days[start:start + rng.choice((1, 3, 9))]
            cut = judged_windows(whole, block, params)
            assert sum(map(len, cut.values())) < sum(map(len, history.values()))
            expected = judge(history, block, params)
            got = judge(cut, block, params)
            alerted += sum(map(len, expected.values()))
            for day in block:
                assert _key(got.get(day, [])) == _key(expected.get(day, [])), (seed, day)
    assert alerted >= 5


def test_the_window_holds_every_night_judging_reads() -> None:
    """The invariant behind the cut, checked directly (verdicts move only at the margin of
    false-discovery control, too rarely for the test above to see every short cut): every
    night in a baseline window of a night asked for, of every series measured on it, is
    kept with the ``history + 1`` nights of its own before it."""
    from chimera_pipeline.lib.facts.alerts import judged_windows

    params = Params(history=6, min_history=3)
    history = _history(11, series=16, nights=110)
    rng = random.Random(11)
    for s, (series, nights) in enumerate(list(history.items())):
        if s % 4 == 0:
            history[series] = [x for x in nights if rng.random() < 0.15]
    days = sorted({x.day for nights in history.values() for x in nights})
    whole = {series: (None, nights) for series, nights in history.items()}
    for start in range(30, len(days) - 3, 2):
        block = days[start:start + 3]
        needed = set(block)
        for nights in history.values():
            for i, night in enumerate(nights):
                if night.day in block:
                    needed.update(x.day for x in nights[max(0, i - params.history):i])
        cut = judged_windows(whole, block, params)
        for series, nights in history.items():
            kept = {x.day for x in cut.get(series, [])}
            for i, night in enumerate(nights):
                if night.day in needed:
                    reads = {x.day for x in nights[max(0, i - params.history - 1):i + 1]}
                    assert reads <= kept, (series, night.day, sorted(reads - kept))
            assert all(day <= block[-1] for day in kept)
