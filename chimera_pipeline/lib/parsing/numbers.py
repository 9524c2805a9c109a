"""Reading numbers and units out of artifact text.

Benchmark tools write numbers in many shapes: ``1,024``, Indian-style ``22,80,000``,
``0.000000`` for "no measurement", ``1e309`` (overflows to infinity). Units hide in column
names (``ttft_s``, ``mean_time_ms``, ``Generation Time (ms)``) or in a separate units row
(Nsight Compute). This module turns both into a float plus a canonical unit, so that the
warehouse stores seconds as seconds whichever way the file wrote them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from chimera_pipeline.lib.common.numbers import is_non_finite, parse_number

__all__ = ["UNIT_FACTORS", "is_non_finite", "normalise", "parse_number", "unit_from_name"]


# unit spelled in a name or a units row -> (canonical unit, factor to multiply by)
UNIT_FACTORS: dict[str, tuple[str, float]] = {
    "ns": ("s", 1e-9), "nsecond": ("s", 1e-9),
    "us": ("s", 1e-6), "usecond": ("s", 1e-6), "µs": ("s", 1e-6),
    "ms": ("s", 1e-3), "msecond": ("s", 1e-3),
    "s": ("s", 1.0), "sec": ("s", 1.0), "second": ("s", 1.0), "seconds": ("s", 1.0),
    "%": ("%", 1.0), "percent": ("%", 1.0), "pct": ("%", 1.0),
    "tok/s": ("tok/s", 1.0), "tokens/s": ("tok/s", 1.0),
    "byte": ("B", 1.0), "bytes": ("B", 1.0), "b": ("B", 1.0),
    "kbyte": ("B", 1e3), "kb": ("B", 1e3), "mbyte": ("B", 1e6), "mb": ("B", 1e6),
    "gbyte": ("B", 1e9), "gb": ("B", 1e9),
    "khz": ("Hz", 1e3), "mhz": ("Hz", 1e6), "ghz": ("Hz", 1e9), "hz": ("Hz", 1.0),
    "w": ("W", 1.0), "watt": ("W", 1.0),
}

_NAME_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(tokens?[ _/]?(per[ _]?)?s(ec(ond)?)?$|tok/s|tokens_s\b|throughput)"),
     "tok/s"),
    (re.compile(r"(_|\b)(percent|pct)$|%|_percent\b|efficiency$"), "%"),
    (re.compile(r"(_|\()ns\)?$"), "ns"),
    (re.compile(r"(_|\()us\)?$"), "us"),
    (re.compile(r"(_|\()ms\)?$|_ms_|\bms\b|\(ms\)"), "ms"),
    (re.compile(r"(_|\()s\)?$|_seconds?$|\(s\)|_s_(mean|avg|median)$"), "s"),
    (re.compile(r"_gb$"), "gb"),
    (re.compile(r"_mb$"), "mb"),
    (re.compile(r"_bytes$|bytes$"), "bytes"),
)


@lru_cache(maxsize=4096)  # column and key names repeat across every row and file
def unit_from_name(name: str) -> str | None:
    """Guess the unit a column or key name announces (``ttft_s`` -> ``s``)."""
    lowered = name.strip().lower()
    for pattern, unit in _NAME_RULES:
        if pattern.search(lowered):
            return unit
    return None


def normalise(value: float, unit: str | None) -> tuple[float, str | None]:
    """Convert to the canonical unit (seconds, bytes, tok/s, %...); unknown units pass."""
    if unit is None:
        return value, None
    canonical = UNIT_FACTORS.get(unit.strip().lower())
    if canonical is None:
        return value, unit
    return value * canonical[1], canonical[0]
