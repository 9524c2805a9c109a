"""Keep impossible measurements out of the warehouse, and say so.

A negative duration or throughput is a broken tool, not a measurement; a duration of more
than a year or a throughput above ten million tokens/s is an absurd one. Such values are
stored as NULL (typed tables) or skipped (``metric_values``) and counted in the file's
warning, so the file still loads and nothing disappears without a trace.
"""

from __future__ import annotations

from collections import Counter

from chimera_pipeline.lib.parsing.parsers.base import ParseOutput
from chimera_pipeline.lib.store.checks import NON_NEGATIVE

MAX_SECONDS = 366 * 24 * 3600.0
MAX_TOKENS_PER_SECOND = 1e7
MAX_VALUES_PER_FILE = 200_000  # metric_values rows one file may add; a big JSON has millions


def implausible(value: float, unit: str | None) -> str | None:
    """'negative' or 'absurd' for a value no benchmark can produce in ``unit``, else None."""
    if unit not in ("s", "tok/s"):
        return None
    if value < 0:
        return "negative"
    limit = MAX_SECONDS if unit == "s" else MAX_TOKENS_PER_SECOND
    return "absurd" if value > limit else None


def _column_unit(column: str) -> str:
    return "s" if column.endswith(("_s", "_ms")) else "tok/s"


def clean_typed_rows(out: ParseOutput, counts: Counter) -> None:
    """NULL out impossible durations/throughputs in the typed tables, counting each."""
    for table, columns in NON_NEGATIVE.items():
        for row in out.rows.get(table, ()):
            for column in columns:
                value = row.get(column)
                if value is None:
                    continue
                seconds = value / 1000.0 if column.endswith("_ms") else value
                reason = implausible(seconds, _column_unit(column))
                if reason:
                    row[column] = None
                    counts[reason] += 1


def summarise(counts: Counter, total_values: int) -> list[str]:
    """Human-readable warnings for one file from the counts the extractors kept."""
    notes = {
        "not_finite": "{n} value(s) not finite (NaN, Infinity or overflow) skipped",
        "negative": "{n} negative duration/throughput value(s) stored as NULL",
        "absurd": "{n} absurd value(s) (over a year, or over 1e7 tok/s) stored as NULL",
    }
    warnings = [text.format(n=counts[key]) for key, text in notes.items() if counts[key]]
    if total_values > MAX_VALUES_PER_FILE:
        warnings.append(f"only the first {MAX_VALUES_PER_FILE} of {total_values} numeric "
                        "values stored in metric_values (per-file cap)")
    return warnings
