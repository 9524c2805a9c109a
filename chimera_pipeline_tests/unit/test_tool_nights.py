"""A tool series' night of several runs: the runs are the sample, not their requests pooled.

Two machines that the files do not name (hardware NULL) running one test on one day are one
series; pooling their requests took the tools' within-run spread for the night's and made a
0.76 and a 48.4 tok/s run one tight sample at 24.6, which the method and ``chimera
compare`` then judged as a real change."""

from __future__ import annotations

import pytest

from chimera_pipeline.lib.facts.history import tool_history
from chimera_pipeline.lib.facts.regression import Params, judge


def _run(con, day: str, run_key: str, mean: float, std: float | None = None,
         count: int | None = None) -> None:
    stats = [("mean", mean)] + ([("std", std)] if std is not None else []) + (
        [("count", count)] if count is not None else [])
    for stat, value in stats:
        con.execute("""INSERT INTO benchmark_results BY NAME SELECT
            ? AS partition, ? AS source_file, ? AS run_key, 'ollama' AS tool,
            'deepseek-r1:7b' AS model, 'ollama' AS engine, 'run --verbose' AS test,
            'decode_tps' AS metric, ? AS stat, ? AS value, 'tok/s' AS unit, 'ok' AS status,
            FALSE AS derived""", [day, f"{run_key}.md", run_key, stat, value])


def _nights(con) -> dict[str, tuple]:
    [(series, (_, nights))] = [(s, v) for s, v in tool_history(con, ["2025-02-01"]).items()
                               if s.key[-1] == "decode_tps"]
    return {x.day: (x.n, x.mean, x.var) for x in nights}


def test_one_run_keeps_the_tools_own_spread_and_count(con) -> None:
    _run(con, "2025-01-01", "a", 48.0, std=1.5, count=40)
    assert _nights(con)["2025-01-01"] == (40, 48.0, 2.25)


def test_two_machines_on_one_night_are_two_runs_not_one_tight_sample(con) -> None:
    _run(con, "2025-01-01", "gpu", 48.38, std=1.0, count=40)
    _run(con, "2025-01-01", "pi", 0.76, std=0.01, count=40)
    n, mean, var = _nights(con)["2025-01-01"]
    assert n == 2 and mean == pytest.approx((48.38 + 0.76) / 2)
    assert var == pytest.approx(((48.38 - 0.76) ** 2) / 2)  # the runs' own spread


def test_a_night_pooled_from_two_machines_raises_no_alert(con) -> None:
    """Twenty nights of one machine, then a night where another machine's run joins it: the
    mean halves, but two runs that far apart are no evidence of a change of either."""
    for day in range(1, 21):
        _run(con, f"2025-01-{day:02d}", f"gpu{day}", 48.0 + 0.1 * (day % 3), std=0.5, count=40)
    _run(con, "2025-01-21", "gpu21", 48.1, std=0.5, count=40)
    _run(con, "2025-01-21", "pi21", 0.76, std=0.01, count=40)
    history = {s: nights for s, (_, nights) in tool_history(con, ["2025-01-21"]).items()}
    assert judge(history, ["2025-01-21"], Params()) == {}


def test_runs_printed_alike_are_not_a_sample_without_noise(con) -> None:
    """Two runs of a night whose means print alike (two decimals) have no spread between
    them, but each varies by its own standard error: the night keeps that, and two such
    nights 10 % apart are judged as before (Welch p 0.02: no alert), not as p = 0."""
    for day, mean in (("2025-01-01", 45.20), ("2025-01-02", 40.60)):
        for run in ("1", "2"):
            _run(con, day, f"{day}#{run}", mean, std=4.0, count=5)
    nights = _nights(con)
    assert nights["2025-01-01"] == (2, 45.2, pytest.approx(16.0 / 5))
    history = {s: n for s, (_, n) in tool_history(con, ["2025-01-02"]).items()}
    assert judge(history, ["2025-01-02"], Params()) == {}


def test_runs_alike_without_any_spread_have_none(con) -> None:
    for run in ("1", "2"):
        _run(con, "2025-01-01", run, 45.2)
    assert _nights(con)["2025-01-01"] == (2, 45.2, None)
