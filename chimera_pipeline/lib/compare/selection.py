"""What one side of a comparison is: a day or range of days and any of model, suite/test,
config, tool, engine and hardware, parsed from ``day=2025-10-02,model=llama3.1:8b``.

A value holds anything but a comma that starts the next ``key=`` (llama-bench configs such as
``ngl=100 fa=1`` are values), ``~`` instead of ``=`` matches a part of the value, any case
(a model named differently by two tools), and a day may be a range ``D1..D2``. Every error
is one line naming the selection and what to write instead: the CLI prints it as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

# the dimensions a series is told apart by, in the order a reader names them; llm_runs'
# suite and config_name are ``test`` and ``config`` (benchmark_results' names)
DIMS = ("tool", "model", "engine", "hardware", "test", "config")
KEYS = ("day", *DIMS)
ALIASES = {"suite": "test", "config_name": "config", "gpu": "hardware", "date": "day",
           "days": "day"}
_SPLIT = re.compile(r",(?=\s*(?:" + "|".join((*KEYS, *ALIASES)) + r")\s*[=~])")
_ITEM = re.compile(r"^\s*([a-z_]+)\s*([=~])(.*)$", re.S)


class SelectionError(ValueError):
    """A selection that cannot be read or matches nothing: one line, for the user."""


@dataclass(frozen=True)
class Selection:
    """One side: exact values (``=``), parts of values (``~``) and a day range."""

    text: str
    exact: dict[str, str] = field(default_factory=dict)
    partial: dict[str, str] = field(default_factory=dict)
    first_day: str | None = None
    last_day: str | None = None

    @property
    def label(self) -> str:
        return self.text or "everything"

    def constraint(self, dim: str) -> tuple[str, str] | None:
        """What this selection says of ``dim`` (to tell whether two selections differ)."""
        if dim == "day":
            return None if self.first_day is None else ("=", f"{self.first_day}..{self.last_day}")
        if dim in self.exact:
            return "=", self.exact[dim]
        if dim in self.partial:
            return "~", self.partial[dim].lower()
        return None

    def where(self, prefix: str) -> tuple[str, dict[str, str]]:
        """The SQL filter of this selection over the measurements, with its parameters
        (named ``prefix_*``; values never enter the SQL text)."""
        conditions, params = [], {}
        if self.first_day is not None:
            conditions.append(f"partition BETWEEN ${prefix}_lo AND ${prefix}_hi")
            params |= {f"{prefix}_lo": self.first_day, f"{prefix}_hi": self.last_day}
        for dim, value in self.exact.items():
            conditions.append(f"{dim} = ${prefix}_{dim}")
            params[f"{prefix}_{dim}"] = value
        for dim, value in self.partial.items():
            conditions.append(f"contains(lower({dim}), ${prefix}_{dim}p)")
            params[f"{prefix}_{dim}p"] = value.lower()
        return " AND ".join(conditions) or "TRUE", params


def _day(text: str, where: str) -> str:
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise SelectionError(f"{where}: {text.strip()!r} is not a day; use YYYY-MM-DD or "
                             "YYYY-MM-DD..YYYY-MM-DD") from None


def parse_selection(text: str, name: str = "selection") -> Selection:
    """``key=value,key~part,...`` into a :class:`Selection`; ``name`` (A, B...) is how errors
    name it."""
    exact: dict[str, str] = {}
    partial: dict[str, str] = {}
    first = last = None
    where = f"selection {name} ({text.strip()!r})"
    if not text.strip():
        raise SelectionError(f"{where} is empty; write e.g. day=2025-10-02,model=llama3.1:8b")
    for item in _SPLIT.split(text):
        match = _ITEM.match(item)
        if not match:
            raise SelectionError(f"{where}: {item.strip()!r} is not key=value; keys: "
                                 + ", ".join(KEYS))
        key, op, value = match.group(1), match.group(2), match.group(3).strip()
        key = ALIASES.get(key, key)
        if key not in KEYS:
            raise SelectionError(f"{where}: unknown key {match.group(1)!r}; keys: "
                                 + ", ".join(KEYS))
        if not value:
            raise SelectionError(f"{where}: {key} has no value")
        if key in exact or key in partial or (key == "day" and first is not None):
            raise SelectionError(f"{where}: {key} is given twice")
        if key == "day":
            if op == "~":
                raise SelectionError(f"{where}: a day is matched with =, not ~")
            lo, _, hi = value.partition("..")
            first, last = _day(lo, where), _day(hi or lo, where)
            if first > last:
                raise SelectionError(f"{where}: the range {value!r} ends before it starts")
        else:
            (exact if op == "=" else partial)[key] = value
    return Selection(text.strip(), exact, partial, first, last)


def with_common(selection: Selection, common: Selection | None) -> Selection:
    """``selection`` narrowed by a filter every side shares (``--where``); the side's own
    values win where both name a key."""
    if common is None:
        return selection
    exact = {**{k: v for k, v in common.exact.items() if k not in selection.partial},
             **selection.exact}
    partial = {**{k: v for k, v in common.partial.items() if k not in selection.exact},
               **selection.partial}
    first, last = ((selection.first_day, selection.last_day) if selection.first_day
                   else (common.first_day, common.last_day))
    text = ",".join(x for x in (selection.text, common.text) if x)
    return Selection(text, exact, partial, first, last)


def shortcut(key: str, values: list[str]) -> list[Selection]:
    """``--days D1 D2`` / ``--models M1 M2`` ...: one selection per value."""
    return [parse_selection(f"{key}={value}", chr(ord("A") + i))
            for i, value in enumerate(values)]
