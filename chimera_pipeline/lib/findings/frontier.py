"""Sweeps and their throughput-latency (Pareto) frontier: the pure rules that the findings
engine (over facts) and the report (over ``benchmark_results``) share, so that the config a
finding names and the frontier the report draws come from one definition.

A **sweep** is several configs of one model, tool, engine, hardware and test on one day that
differ in their parameters. Parameters are read from the data, never from folder names: the
``key=value`` settings a test or config states (``concurrency=16``, ``rate=inf``,
``num_ctx=8192``, ``fa=1``, ``b=2048``) and llama-bench's context depth (``pp512 @ d8192``);
what is left of the test and config once those are taken out (``750/150 tokens``, ``pp512``,
``[GPU 1 ONLY]``) names the test the configs share. A test that differs in anything else (the
prompt of a run, ``pp512`` against ``tg128``) is another test, not a point of the same sweep.

**The frontier** is the set of configs no other config of the sweep dominates: a config is
dominated when another has at least its throughput and at most its latency, and is strictly
better in one of the two. Two configs equal in both are both on it. The measures are one
throughput and one latency for the whole sweep, the first of :data:`THROUGHPUTS` and
:data:`LATENCIES` that most of its configs measured (so every point is read the same way):
output tokens/s before decode, prefill and total tokens/s; the mean request (end-to-end)
latency before the mean TTFT, inter-token latency, time per output token, llama-bench's time
per repetition, then medians and p99s. Failed configs (no request completed) have no
throughput: they are never points, and neither is a config whose throughput is 0 or not a
number (a run that completed nothing but wrote its zeros, 0 tok/s at 0 s, which would
otherwise sit first on the frontier).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# (metric, stat) in order of preference, each a measure of the whole sweep
THROUGHPUTS = tuple((m, s) for m in ("output_tps", "decode_tps", "prefill_tps", "total_tps")
                    for s in ("mean", "value"))
LATENCIES = (("e2e_latency", "mean"), ("e2e_latency", "value"), ("ttft", "mean"),
             ("ttft", "value"), ("itl", "mean"), ("tpot", "mean"), ("run_time", "mean"),
             ("e2e_latency", "median"), ("e2e_latency", "p50"), ("ttft", "median"),
             ("ttft", "p50"), ("e2e_latency", "p99"), ("ttft", "p99"))
_SETTING = re.compile(r"(?<![\w=])([A-Za-z_][\w.-]*)=([^\s,;()\[\]]+)")
_DEPTH = re.compile(r"\s*@\s*d(\d+)\b")
# a setting a point does not state, when its absence has a value (llama-bench: no depth is 0)
IMPLIED = {"depth": "0"}


def parameters(text: str | None) -> tuple[str, dict[str, str]]:
    """``text`` without its settings, and its settings: ``"750/150 tokens concurrency=16"``
    -> (``"750/150 tokens"``, ``{"concurrency": "16"}``); ``"pp512 @ d8192"`` -> (``"pp512"``,
    ``{"depth": "8192"}``)."""
    if not text:
        return "", {}
    found: dict[str, str] = {}
    depth = _DEPTH.search(text)
    if depth:
        found["depth"] = depth.group(1)
        text = _DEPTH.sub("", text)
    for key, value in _SETTING.findall(text):
        found.setdefault(key, value)
    rest = " ".join(_SETTING.sub(" ", text).split())
    # "model (ngl=99 fa=1)" -> "model", "(ngl=99 fa=1 [GPU 1])" -> "([GPU 1])"
    rest = re.sub(r"\(\s*\)", "", re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", rest)))
    return " ".join(rest.split()), found


def _number(value: str) -> tuple[int, float, str]:
    """Sort key of a parameter's value: numbers in their order (``inf`` last), then text."""
    try:
        return 0, float(value), value
    except ValueError:
        return 1, 0.0, value


def label(settings: dict[str, str], keys: Sequence[str]) -> str:
    """A point as a reader names it: the swept settings, ``concurrency=16 rate=inf``."""
    return " ".join(f"{k}={settings[k]}" for k in keys if k in settings) or "(no setting)"


@dataclass
class Point:
    """One config of a sweep: its settings, its measures by (metric, stat), whether it failed
    (no request completed), and what the caller needs to find it again (``ref``)."""

    settings: dict[str, str]
    measures: dict[tuple[str, str], float]
    failed: bool = False
    ref: object = None
    throughput: float | None = None
    latency: float | None = None
    frontier: bool = False
    best: bool = False


@dataclass
class Sweep:
    """A sweep's points, what it varies, the measures chosen, and its frontier."""

    key: tuple
    points: list[Point]
    swept: list[str] = field(default_factory=list)
    throughput: tuple[str, str] | None = None
    latency: tuple[str, str] | None = None

    @property
    def measured(self) -> list[Point]:
        """The points with both measures (the chart's and the frontier's points)."""
        return [p for p in self.points if p.throughput is not None and p.latency is not None]

    @property
    def frontier(self) -> list[Point]:
        """The frontier's points, lowest latency first."""
        return sorted((p for p in self.points if p.frontier),
                      key=lambda p: (p.latency, -p.throughput, self.name(p)))

    @property
    def best(self) -> Point | None:
        return next((p for p in self.points if p.best), None)

    def name(self, point: Point) -> str:
        return label(point.settings, self.swept)


def _choose(points: list[Point], preference: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    """The measure of ``preference`` the most points have (the earlier one on a tie)."""
    counts = [(sum(m in p.measures for p in points), -i, m) for i, m in enumerate(preference)]
    top = max(counts, default=(0, 0, None))
    return top[2] if top[0] else None


def dominated(point: Point, other: Point) -> bool:
    """``other`` has at least ``point``'s throughput and at most its latency, and is strictly
    better in one."""
    return (other.throughput >= point.throughput and other.latency <= point.latency
            and (other.throughput > point.throughput or other.latency < point.latency))


def mark_frontier(points: Sequence[Point]) -> list[Point]:
    """Set ``frontier`` on every point (with both measures) that no other dominates, and
    return those points. Quadratic: a sweep has tens of configs, not thousands."""
    measured = [p for p in points if p.throughput is not None and p.latency is not None]
    for point in measured:
        point.frontier = not any(dominated(point, other) for other in measured)
    return [p for p in measured if p.frontier]


def build(key: tuple, points: list[Point]) -> Sweep | None:
    """The sweep of ``points`` (the configs of one test on one day), or None when it is no
    sweep: fewer than two configs that completed a request, or no setting differing.

    The best config is the highest throughput; on a tie, the lower latency (so that it is a
    frontier point), then the name."""
    for point in points:  # no throughput (0: nothing completed) or a NaN: a failed config
        if not _usable(point.measures, THROUGHPUTS):
            point.failed = True
    ok = [p for p in points if not p.failed]
    stated = {k for p in points for k in p.settings}
    for point in points:
        point.settings |= {k: v for k, v in IMPLIED.items()
                           if k in stated and k not in point.settings}
    keys = sorted({k for p in points for k in p.settings})
    swept = [k for k in keys if len({p.settings.get(k) for p in points}) > 1]
    if len(ok) < 2 or not swept or len({tuple(p.settings.get(k) for k in swept)
                                        for p in ok}) < 2:
        return None
    sweep = Sweep(key, sorted(points, key=lambda p: [_number(p.settings.get(k, ""))
                                                     for k in swept]), swept)
    sweep.throughput = _choose(ok, THROUGHPUTS)
    if sweep.throughput is None:
        return None
    sweep.latency = _choose(ok, LATENCIES)
    for point in ok:
        point.throughput = _finite(point.measures.get(sweep.throughput), positive=True)
        point.latency = (_finite(point.measures.get(sweep.latency), positive=False)
                         if sweep.latency else None)
    if sweep.latency:
        mark_frontier(ok)
    candidates = [p for p in ok if p.throughput is not None]
    if len(candidates) < 2:
        return None
    best = min(candidates, key=lambda p: (-p.throughput, _or_inf(p.latency), sweep.name(p)))
    best.best = True
    return sweep


def _finite(value: float | None, positive: bool) -> float | None:
    """A measure a point can be placed by: finite, and above zero for a throughput (a
    config that completed nothing writes 0 tok/s, often with 0 s latencies that would put
    it first on the frontier), at least zero for a latency; None otherwise."""
    if value is None or not math.isfinite(value) or value < 0 or (positive and value == 0):
        return None
    return value


def _usable(measures: dict[tuple[str, str], float], preference: Sequence[tuple[str, str]]
            ) -> bool:
    """Whether a point has a throughput it can be placed by (or none was measured at all,
    which is a point without measures, not a failure)."""
    found = [measures[m] for m in preference if m in measures]
    return not found or any(_finite(v, positive=True) is not None for v in found)


def _or_inf(value: float | None) -> float:
    return float("inf") if value is None else value


def group(items: Iterable[tuple[tuple, Point]]) -> list[Sweep]:
    """The sweeps among (test key, point) pairs: one per key with a sweep, in key order."""
    by_key: dict[tuple, list[Point]] = {}
    for key, point in items:
        by_key.setdefault(key, []).append(point)
    found = (build(key, by_key[key]) for key in sorted(by_key, key=lambda k: [
        "" if v is None else str(v) for v in k]))
    return [s for s in found if s is not None]
