"""The measurement model every benchmark tool's output is read into.

One :class:`Entry` is one result of a tool run: a llama-bench row, an llmperf summary, one
vLLM ``bench serve`` result, one GuideLLM benchmark (a strategy/rate), one GenAI-Perf
profile. Its measurements become ``benchmark_results`` rows (metric x statistic, canonical
unit); per-request rows a tool writes become ``benchmark_requests`` rows. Units come from the
tool's declared unit or from its documented key, never from a guess at a key's spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from chimera_pipeline.lib.common.numbers import parse_number

# canonical unit of every metric; a reader names the metric and the unit it was written in
METRIC_UNITS: dict[str, str] = {
    "ttft": "s", "itl": "s", "tpot": "s", "e2e_latency": "s", "run_time": "s",
    "load_time": "s", "prompt_eval_time": "s", "eval_time": "s", "duration": "s",
    "decode_tps": "tok/s", "prefill_tps": "tok/s", "output_tps": "tok/s",
    "total_tps": "tok/s", "request_output_tps": "tok/s", "peak_output_tps": "tok/s",
    "requests_per_s": "req/s", "goodput": "req/s",
    "error_rate": "ratio", "completed": "count", "failed": "count", "requests": "count",
    "incomplete": "count", "input_tokens": "tokens", "output_tokens": "tokens",
    "total_input_tokens": "tokens", "total_output_tokens": "tokens", "concurrency": "count",
}

# written unit -> (canonical unit, factor)
_CONVERSIONS: dict[str, tuple[str, float]] = {
    "s": ("s", 1.0), "ms": ("s", 1e-3), "us": ("s", 1e-6), "ns": ("s", 1e-9),
    "min": ("s", 60.0), "tok/s": ("tok/s", 1.0), "req/s": ("req/s", 1.0),
    "req/min": ("req/s", 1 / 60), "tokens": ("tokens", 1.0), "count": ("count", 1.0),
    "ratio": ("ratio", 1.0), "%": ("ratio", 0.01),
}

# units as tools write them -> the short form above
UNIT_ALIASES: dict[str, str] = {
    "ms": "ms", "s": "s", "sec": "s", "seconds": "s", "ns": "ns", "us": "us", "µs": "us",
    "tokens/sec": "tok/s", "tokens/s": "tok/s", "tok/s": "tok/s", "t/s": "tok/s",
    "tokens/sec/user": "tok/s", "requests/sec": "req/s", "req/s": "req/s",
    "per sec": "req/s", "requests/s": "req/s", "tokens": "tokens", "token(s)": "tokens",
    "%": "%", "count": "count", "ratio": "ratio", "req/min": "req/min",
}


def canonical(value: float, written_unit: str) -> tuple[float, str]:
    """``value`` in ``written_unit`` -> (value, canonical unit)."""
    unit, factor = _CONVERSIONS[written_unit]
    return value * factor, unit


def stat_name(text: str) -> str | None:
    """A tool's statistic label (``avg``, ``quantiles_p95``, ``std_dev``, ``99``) -> ours."""
    label = text.strip().lower().removeprefix("quantiles_")
    named = {"avg": "mean", "mean": "mean", "average": "mean", "median": "median",
             "std": "std", "stddev": "std", "std_dev": "std", "stdev": "std", "min": "min",
             "max": "max", "count": "count"}
    if label in named:
        return named[label]
    match = re.fullmatch(r"p?(\d{1,3})", label)
    if not match:
        return None
    digits = match.group(1)
    # GuideLLM writes p001/p01/p05/p999 for the 0.1st, 1st, 5th and 99.9th percentiles
    special = {"001": "p0.1", "01": "p1", "05": "p5", "999": "p99.9"}
    return special.get(digits, f"p{int(digits)}")


def number(raw: object) -> float | None:
    """A tool's value as a float, read as every reader reads one (:mod:`lib.common.numbers`:
    ``"472"``, ``"2,156.03"``; no decimal comma, no ``1_000``, nothing non-finite)."""
    return parse_number(raw)


@dataclass
class Entry:
    """One result of a tool run and its measurements."""

    tool: str
    locator: str
    run_key: str
    tool_version: str | None = None
    model: str | None = None
    engine: str | None = None
    hardware: str | None = None
    test: str | None = None
    config: str | None = None
    concurrency: float | None = None
    request_rate: float | None = None
    input_tokens: float | None = None
    output_tokens: float | None = None
    run_at: str | None = None
    status: str = "ok"
    results: list[dict] = field(default_factory=list)

    def add(self, metric: str, stat: str, raw: object, written_unit: str,
            where: str | None = None, as_written: tuple[str, str] | None = None) -> None:
        """One measurement; values that are not numbers are skipped (a tool's null).
        ``as_written`` is the (text, unit) the file had when ``raw`` was converted to
        ``written_unit`` on the way (a Go duration, for one)."""
        value = number(raw)
        if value is None:
            return
        converted, unit = canonical(value, written_unit)
        expected = "count" if stat == "count" else METRIC_UNITS.get(metric)
        if expected is not None and expected != unit:
            raise ValueError(f"{metric} is measured in {expected}, not {written_unit}")
        self.results.append({"metric": metric, "stat": stat, "value": converted, "unit": unit,
                             "raw_value": as_written[0] if as_written else str(raw),
                             "raw_unit": as_written[1] if as_written else written_unit,
                             "locator": f"{self.locator}{where or ''}"})

    def measured(self) -> set[str]:
        return {r["metric"] for r in self.results}

    def fail_if_nothing_completed(self, completed: float | None) -> None:
        """A run none of whose requests completed measured nothing: its zero latencies and
        throughputs are not measurements. Only its counts are kept, and it is a failure."""
        if completed is not None and completed == 0:
            self.status = "failed"
            self.results = [r for r in self.results
                            if r["metric"] in ("completed", "failed", "error_rate", "requests",
                                               "incomplete")]

    def rows(self) -> list[dict]:
        """``benchmark_results`` rows (without partition and source_file)."""
        shared = {"run_key": self.run_key, "tool": self.tool, "tool_version": self.tool_version,
                  "model": self.model, "engine": self.engine, "hardware": self.hardware,
                  "test": self.test, "config": self.config, "concurrency": self.concurrency,
                  "request_rate": self.request_rate, "input_tokens": self.input_tokens,
                  "output_tokens": self.output_tokens, "run_at": self.run_at,
                  "status": self.status}
        return [{**shared, **result} for result in self.results]


REQUEST_COLUMNS = ("request_index", "ok", "error", "ttft_s", "itl_s", "tpot_s",
                   "e2e_latency_s", "output_tps", "decode_tps", "prefill_tps", "load_s",
                   "input_tokens", "output_tokens", "started_at", "model", "test",
                   "has_summary")


@dataclass
class Extracted:
    """What a reader got out of one file."""

    entries: list[Entry] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def request(self, tool: str, run_key: str, **values: object) -> None:
        unknown = set(values) - set(REQUEST_COLUMNS)
        if unknown:
            raise KeyError(f"benchmark_requests has no columns {sorted(unknown)}")
        self.requests.append({"tool": tool, "run_key": run_key, "has_summary": True, **values})
