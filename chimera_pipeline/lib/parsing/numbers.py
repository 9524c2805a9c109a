"""Reading numbers and units out of artifact text.

Benchmark tools write numbers in many shapes: ``1,024``, Indian-style ``22,80,000``,
``0.000000`` for "no measurement", ``1e309`` (overflows to infinity). Units hide in column
names (``ttft_s``, ``mean_time_ms``, ``Generation Time (ms)``) or in a separate units row
(Nsight Compute). This module turns both into a float plus a canonical unit, so that the
warehouse stores seconds as seconds whichever way the file wrote them.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{2,3})+(?:\.\d+)?$")
_LEADING = frozenset("0123456789+-.")
_PLAIN = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")

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


def parse_number(raw: object) -> float | None:
    """Return the finite float a cell or JSON leaf holds, else None.

    Booleans are not numbers here. Digit grouping with commas is accepted (``1,024``,
    ``22,80,000``); other separators are not guessed at. Non-finite values (``NaN``,
    ``1e309``) return None: they are not measurements.
    """
    if type(raw) is str:  # a CSV cell: most calls, so tested first
        text = raw.strip()
    elif isinstance(raw, bool) or raw is None:
        return None
    elif isinstance(raw, int | float):
        try:
            value = float(raw)
        except OverflowError:  # an integer literal beyond float range (10**400)
            return None
        return value if math.isfinite(value) else None
    else:
        text = str(raw).strip()
    if not text or not (text[0] in _LEADING or text[0].isdigit()):
        return None
    if "," in text:
        if not _GROUPED.match(text):
            return None
        text = text.replace(",", "")
    elif "_" in text or not text[-1].isdigit() and text[-1] != ".":
        return None  # float() would accept 1_000 and "1e5 " forms we do not treat as numbers
    try:
        value = float(text)  # the fast path: plain and exponent forms, in C
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def is_non_finite(raw: object) -> bool:
    """True for a number that exists but is no measurement: NaN, ±Infinity, ``1e309``."""
    if isinstance(raw, bool) or raw is None:
        return False
    if isinstance(raw, int):
        return abs(raw) > 1e308
    if isinstance(raw, float):
        return not math.isfinite(raw)
    text = str(raw).strip()
    return bool(_PLAIN.match(text)) and not math.isfinite(float(text))


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
