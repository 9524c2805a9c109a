"""Which benchmark days a `chimera run` covers, and how they are grouped into runs.

Consecutive days go into one Dagster run (a partition range: every asset has a
single-run backfill policy), so a backfill costs one run's fixed overhead per block of
days instead of one per day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def select_days(found: Iterable[dt.date], dates: Iterable[dt.date] = (),
                start: dt.date | None = None, end: dt.date | None = None) -> list[dt.date]:
    """Explicit ``dates`` win; else a ``start..end`` window (every day of it); else ``found``."""
    explicit = sorted(set(dates))
    if explicit:
        return explicit
    if start or end:
        found_sorted = sorted(set(found))
        if not found_sorted and not (start and end):
            return []
        first = start or found_sorted[0]
        last = end or found_sorted[-1]
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return sorted(set(found))


def contiguous_ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """``[d1, d2, d3, d7]`` -> ``[(d1, d3), (d7, d7)]`` for consecutive days."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + dt.timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges
