"""Which benchmark days a `chimera run` covers, and how they are grouped into runs.

Days go into one Dagster run as a partition range (every asset has a single-run backfill
policy), so a backfill costs one run's fixed overhead instead of one per day. Stale days
a few days apart go into one run too (:func:`merged_ranges`): the run's range covers the
days between, and its ``chimera/days`` tag (:func:`encode_days`) names the days to work on,
so every stage skips the others, which cost only the events Dagster writes for a partition.
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


def merged_ranges(days: Iterable[dt.date], gap: int) -> list[list[dt.date]]:
    """The days in groups, each a run: consecutive days, and days at most ``gap`` unchanged
    days apart, share one. ``gap=0`` gives the blocks of consecutive days."""
    groups: list[list[dt.date]] = []
    for day in sorted(set(days)):
        if groups and (day - groups[-1][-1]).days <= gap + 1:
            groups[-1].append(day)
        else:
            groups.append([day])
    return groups


def encode_days(days: Iterable[dt.date]) -> str:
    """``2025-10-01..2025-10-03,2025-10-09``: a run tag stays short for a year of days."""
    return ",".join(first.isoformat() if first == last else f"{first}..{last}"
                    for first, last in contiguous_ranges(days))


def decode_days(text: str) -> set[str]:
    """The ISO days :func:`encode_days` wrote."""
    days: set[str] = set()
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("..")
        start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last or first)
        days |= {(start + dt.timedelta(n)).isoformat() for n in range((end - start).days + 1)}
    return days
