"""The one reading of a number that every reader of the project shares.

Benchmark files write numbers as text in many shapes, and a value read two ways by two
readers would put two answers in the warehouse. The decisions, tested in
``unit/test_numbers.py``:

- digit grouping with commas is a thousands separator only in its regular shapes:
  ``1,024``, ``2,156.03`` and Indian ``22,80,000``;
- a decimal comma (``1,5``), a dot-grouped number (``1.234,5``) and ``1_000`` are refused:
  each reads as another number in another locale, and guessing would be wrong in one;
- ``NaN``, ``inf``/``Infinity`` and anything that overflows (``1e309``) are refused: they
  are not measurements, and no table holds a non-finite value (a tool's "rate=inf" lives in
  the test's name);
- digits are ASCII: ``float`` reads Arabic-Indic or full-width digits, no tool writes them,
  and the claim checker refuses them too;
- booleans are not numbers; surrounding whitespace is ignored, nothing else is.
"""

from __future__ import annotations

import math
import re

_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{2,3})+(?:\.\d+)?$")
_LEADING = frozenset("0123456789+-.")
_PLAIN = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


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
    if not text or not text.isascii() or text[0] not in _LEADING:
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


# the same reading in DuckDB SQL, for the readers that never make a Python object per value
# (``lib/formats/columnar.py``): a text's number as parse_number reads it, a number if finite.
# SQL literals have no escapes: the whitespace str.strip removes is built by chr.
_SQL_SPACE = " || ".join(f"chr({c})" for c in range(0x3001) if chr(c).isspace())
DUCKDB_MACROS = f"""
CREATE OR REPLACE TEMP MACRO finite(x) AS CASE WHEN isfinite(x) THEN x END;
CREATE OR REPLACE TEMP MACRO stripped(t) AS trim(t, {_SQL_SPACE});
CREATE OR REPLACE TEMP MACRO finite_number(t) AS CASE
    WHEN regexp_full_match(stripped(t), '{_PLAIN.pattern[1:-1]}')
        THEN finite(TRY_CAST(stripped(t) AS DOUBLE))
    WHEN regexp_full_match(stripped(t), '{_GROUPED.pattern[1:-1]}')
        THEN finite(TRY_CAST(replace(stripped(t), ',', '') AS DOUBLE))
    END;
"""
