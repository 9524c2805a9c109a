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
    if unit not in ("s", "tok/s", "tokens", "req/s", "count", "ratio"):
        return None
    if value < 0:
        return "negative"
    limit = {"s": MAX_SECONDS, "tok/s": MAX_TOKENS_PER_SECOND}.get(unit)
    return "absurd" if limit is not None and value > limit else None


def _column_unit(column: str) -> str:
    if column.endswith("_tokens"):
        return "tokens"
    return "s" if column.endswith(("_s", "_ms")) else "tok/s"


def clean_typed_rows(out: ParseOutput, counts: Counter) -> None:
    """NULL out impossible durations/throughputs/counts in the typed tables, and leave out a
    tool's result whose value is one, counting each: a tool's broken number costs that
    number, never the run (the frame checks after this would fail it)."""
    results = out.rows.get("benchmark_results")
    if results:
        kept = []
        for row in results:
            reason = (implausible(row["value"], row.get("unit"))
                      if row.get("value") is not None else None)
            if reason:
                counts[reason] += 1
            else:
                kept.append(row)
        out.rows["benchmark_results"] = kept
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
        "negative": "{n} negative duration/throughput/count value(s) left out (NULL)",
        "absurd": "{n} absurd value(s) (over a year, or over 1e7 tok/s) left out (NULL)",
    }
    warnings = [text.format(n=counts[key]) for key, text in notes.items() if counts[key]]
    if total_values > MAX_VALUES_PER_FILE:
        warnings.append(f"only the first {MAX_VALUES_PER_FILE} of {total_values} numeric "
                        "values stored in metric_values (per-file cap)")
    return warnings
