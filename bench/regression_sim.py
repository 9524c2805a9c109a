"""How often does the regression method alarm for nothing, and how soon does it catch a step?

    python bench/regression_sim.py [--histories 200] [--nights 60] [--out F]

Generates nightly histories in the layout of the real corpus's ``ollama_quant_bench.csv``
(4 models at their measured decode throughput, 5 requests a night), with the noise real
nightly runs show: each night's mean moves by ``--between`` (2 %) and each request by
``--within`` (3 %) around it, plus one-night outliers (a night 12 % off, then back), a slow
drift, and injected sustained steps (-15 %, -10 %, +10 %) starting on a random night. Each
history is judged night by night by ``lib/facts/regression.py`` (the alerts' method) and
measured:

* false alarms: alerts on series-nights with no step (outlier nights included), per null
  series-night;
* power: the share of injected regressions alerted on their first or second night, and on the
  first alone; improvements never called regressions;
* order: the same history judged as if one night had arrived late (its verdicts recomputed
  over the whole history) gives the same alerts.

Results go to ``bench/results/<date>_regression_sim.json`` and are printed as a table.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chimera_pipeline.lib.facts.regression import Night, Params, Series, judge  # noqa: E402

QUANT_BENCH = ROOT.parent / "shared" / "corpus" / "chimeraforge" / "csv_data" / \
    "ollama_quant_bench.csv"


def corpus_levels(path: Path = QUANT_BENCH) -> dict[str, float]:
    """Each model's mean decode tok/s in the real quant bench (its layout, its levels)."""
    totals: dict[str, list[float]] = defaultdict(list)
    if path.is_file():
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                value = row.get("tokens_s") or row.get("decode_tps") or ""
                try:
                    if float(value) > 0:
                        totals[row.get("model") or "model"].append(float(value))
                except ValueError:
                    continue
    levels = {m: sum(v) / len(v) for m, v in totals.items() if v}
    return levels or {"q4_0": 76.6, "q5_K_M": 63.0, "q8_0": 46.6, "fp16": 28.0}


def history(rng: random.Random, level: float, nights: int, requests: int, between: float,
            within: float, step: tuple[int, float] | None, outliers: set[int],
            drift: float) -> list[Night]:
    """One series' nights: between-night and per-request noise, a step, outliers, drift."""
    start = dt.date(2025, 1, 1)
    out = []
    for i in range(nights):
        centre = level * (1 + drift * i / nights)
        if step and i >= step[0]:
            centre *= 1 + step[1]
        if i in outliers:
            centre *= 0.88
        night = centre * (1 + rng.gauss(0, between))
        values = [night * (1 + rng.gauss(0, within)) for _ in range(requests)]
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
        out.append(Night((start + dt.timedelta(days=i)).isoformat(), len(values), mean, var))
    return out


def simulate(args: argparse.Namespace) -> dict:
    rng = random.Random(args.seed)
    levels = corpus_levels()
    p = Params(**getattr(args, "params", {}))
    null_nights = false_alarms = warnings = 0
    steps = {"regression": [0, 0, 0], "improvement": [0, 0, 0]}  # injected, 1st, 1st or 2nd
    warned_first = 0
    wrong_way = 0
    reordered_equal = order_checked = 0
    for h in range(args.histories):
        series_nights: dict[Series, list[Night]] = {}
        truth: dict[Series, tuple[int, float] | None] = {}
        outlier_nights: dict[Series, set[int]] = {}
        for m, (model, level) in enumerate(sorted(levels.items())):
            kind = (h * len(levels) + m) % 4  # steps -15 %, -10 %, +10 %, none
            step = None if kind == 3 else (rng.randrange(20, args.nights - 3),
                                           (-0.15, -0.10, 0.10)[kind])
            outliers = {rng.randrange(15, args.nights)} if rng.random() < 0.3 else set()
            series = Series((h, model), higher_is_better=True)
            series_nights[series] = history(rng, level, args.nights, args.requests,
                                            args.between, args.within, step, outliers,
                                            rng.uniform(-0.02, 0.02))
            truth[series], outlier_nights[series] = step, outliers
        days = [n.day for n in next(iter(series_nights.values()))]
        verdicts = judge(series_nights, days, p)
        alerts = {(v.evidence.series, day, v.kind) for day, found in verdicts.items()
                  for v in found}
        for series, nights in series_nights.items():
            step = truth[series]
            for i, night in enumerate(nights):
                if i < 1:
                    continue
                alerted = {k for s, d, k in alerts if s == series and d == night.day}
                in_step = step is not None and step[0] <= i <= step[0] + 1 + p.history
                if not in_step:
                    null_nights += 1
                    false_alarms += bool(alerted - {"suspect"})
                    warnings += "suspect" in alerted
            if step is not None:
                kind = "regression" if step[1] < 0 else "improvement"
                steps[kind][0] += 1
                first = {k for s, d, k in alerts if s == series and d == nights[step[0]].day}
                warned_first += "suspect" in first
                second = {k for s, d, k in alerts
                          if s == series and d == nights[min(step[0] + 1, len(nights) - 1)].day}
                steps[kind][1] += kind in first
                steps[kind][2] += kind in (first | second)
                if kind == "improvement":  # the step called a regression on its nights
                    wrong_way += "regression" in (first | second)
        # order: judged night by night as nightly runs would (each night with the nights
        # before it), and with one night arriving late and the nights after it recomputed,
        # the alerts are those of judging the whole history at once
        if h < args.order_checks:
            nightly: dict = {}
            late = rng.randrange(20, args.nights)
            arrival = [i for i in range(args.nights) if i != late] + [late]
            for step_i, i in enumerate(arrival):
                known = sorted(arrival[:step_i + 1])
                recompute = [days[j] for j in known if j >= i]  # the night and those after
                seen = {s: [n[j] for j in known] for s, n in series_nights.items()}
                for day in recompute:
                    nightly.pop(day, None)
                nightly.update(judge(seen, recompute, p))
            reordered_equal += _same(nightly, verdicts)
            order_checked += 1
    regression, improvement = steps["regression"], steps["improvement"]
    return {
        "date": dt.date.today().isoformat(), "histories": args.histories,
        "nights": args.nights, "requests": args.requests, "between": args.between,
        "within": args.within, "params": vars(p),
        "null_series_nights": null_nights, "false_alarms": false_alarms,
        "false_alarm_rate": false_alarms / null_nights if null_nights else None,
        "warnings": warnings,
        "warning_rate": warnings / null_nights if null_nights else None,
        "steps_warned_first_night": warned_first,
        "regressions_injected": regression[0],
        "caught_first_night": regression[1] / regression[0] if regression[0] else None,
        "caught_first_or_second": regression[2] / regression[0] if regression[0] else None,
        "improvements_injected": improvement[0],
        "improvements_caught_first_or_second": improvement[2] / improvement[0]
        if improvement[0] else None,
        "improvements_called_regressions": wrong_way,
        "order_checks": order_checked,
        "nightly_with_a_late_night_equal_share": reordered_equal / order_checked
        if order_checked else None,
    }


def _same(a: dict, b: dict) -> bool:
    def flat(verdicts: dict) -> set:
        return {(d, v.evidence.series.key, v.kind, v.evidence.test) for d, found in
                verdicts.items() for v in found}
    return flat(a) == flat(b)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", type=int, default=200)
    parser.add_argument("--nights", type=int, default=60)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--between", type=float, default=0.02)
    parser.add_argument("--within", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--order-checks", type=int, default=10,
                        help="histories also judged night by night with a late night")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    result = simulate(args)
    out = args.out or ROOT / "bench" / "results" / f"{result['date']}_regression_sim.json"
    out.write_text(json.dumps(result, indent=2))
    print("| null series-nights | false alarms (rate) | one-night warnings (rate) | "
          "regressions injected | caught night 1 or 2 | warned night 1 | improvements called "
          "regressions | nightly + late night = all at once |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {result['null_series_nights']} | {result['false_alarms']} "
          f"({result['false_alarm_rate']:.3%}) | {result['warnings']} "
          f"({result['warning_rate']:.3%}) | {result['regressions_injected']} | "
          f"{result['caught_first_or_second']:.0%} | "
          f"{result['steps_warned_first_night']} | "
          f"{result['improvements_called_regressions']} | "
          f"{result['nightly_with_a_late_night_equal_share']:.0%} |")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
