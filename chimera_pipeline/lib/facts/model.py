"""A fact: one number (or label) the report may state, with where it came from.

Facts get short ids (``F1``, ``F2``...) in priority order, so the LLM can cite ``{F3}``
instead of retyping a number; the renderer fills citations from the ``facts`` table, which
makes cited numbers right by construction. ``priority`` (lower = more important) also
decides which facts go first when a prompt has to be trimmed to fit the context window.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chimera_pipeline.lib.store.schema import arrow_schema

# A producer gives the facts of several days in one pass: (day, fact) pairs, each day's in
# the order its report lists them. Its SQL filters with IN_DAYS and the ``$days`` parameter.
DayFacts = Iterator[tuple[str, "Fact"]]
IN_DAYS = "partition IN (SELECT unnest($days::VARCHAR[]))"

PRIORITY_HEADLINE = 10
PRIORITY_MODEL = 20
PRIORITY_CHANGE = 30
PRIORITY_QUALITY = 40
PRIORITY_COMPILE = 50
PRIORITY_INVENTORY = 60
PRIORITY_CONFIG = 80


@dataclass(slots=True)
class Fact:
    """One statement of the deterministic analysis."""

    key: str
    label: str
    value: float | None
    unit: str | None
    category: str
    priority: int
    provenance: str
    subject: str | None = None
    metric: str | None = None
    text: str | None = None
    fact_id: str | None = None
    # the group the subject is compared within (a suite, a benchmark, a document); None when
    # the fact is not one of several comparable subjects
    context: str | None = None

    def __post_init__(self) -> None:
        if self.value is not None:
            self.value = steady(self.value)

    def display(self) -> str:
        """The value as the report prints it (units and sensible rounding)."""
        return display_of(self.value, self.unit, self.text)


@dataclass(frozen=True, slots=True, kw_only=True)
class FactRecord:
    """A ``facts`` row as the readers of facts (findings, the claim checker) see it: typed
    fields instead of string keys, the same names as the table's columns."""

    fact_id: str
    fact_key: str = ""
    label: str = ""
    value: float | None = None
    text_value: str | None = None
    unit: str | None = None
    category: str | None = None
    subject: str | None = None
    context: str | None = None
    metric: str | None = None
    display: str = ""

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> FactRecord:
        """From a ``facts`` row (or any mapping with some of its columns)."""
        return cls(**{name: row[name] for name in cls.__slots__ if name in row})

    @property
    def stat(self) -> str | None:
        """The statistic a metric ends with (``decode_tps.p99`` -> ``p99``,
        ``decode_tps.p99.9`` -> ``p99.9``), if any: a metric's own name has no dot."""
        metric = self.metric or ""
        return metric.split(".", 1)[1] if "." in metric else None


_COUNTED = frozenset({"count", "files", "requests", "bytes", None})  # whole numbers as such
# the unit as written after a number; any other unit follows it after a space
_SUFFIXES = {None: "", "count": "", "requests": " requests", "files": " files", "%": "%",
             "bytes": " bytes", "x": "x"}
_SINGULAR = {"requests": " request", "files": " file", "bytes": " byte"}  # 1 file, not 1 files


def format_number(value: float, unit: str | None) -> str:
    """The number as the report prints it, without its unit."""
    if unit in _COUNTED and float(value).is_integer():
        return f"{int(value):,}"
    if unit == "%" or abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def format_value(value: float, unit: str | None) -> str:
    """The number with its unit, as the report prints it (every fact's ``display``)."""
    if value == 1 and unit in _SINGULAR:
        suffix = _SINGULAR[unit]
    else:
        suffix = _SUFFIXES.get(unit)
        if suffix is None:
            suffix = f" {unit}"
    return format_number(value, unit) + suffix


def display_of(value: float | None, unit: str | None, text: str | None) -> str:
    """A fact's display: its value with its unit (``format_value``), else its text."""
    return (text or "n/a") if value is None else format_value(value, unit)


def steady(value: float) -> float:
    """A fact's value: DuckDB sums in parallel, so the last bits of an average depend on
    thread timing; 12 significant digits keep facts identical from run to run."""
    return float(f"{float(value):.12g}")


def shorten(text: str, limit: int = 120) -> str:
    """An error or note as a fact's text: one line, cut at a word before ``limit``."""
    line = " ".join(str(text).split())
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0].rstrip(" .,;:") + "…"


def assign_ids(facts: list[Fact]) -> list[Fact]:
    """Order by priority then key and number them F1..Fn, the same for the same data in
    any order: two facts of one key (the same benchmark in two files of a day) are told
    apart by their provenance, not by the order a query happened to return them in."""
    ordered = sorted(facts, key=lambda f: (f.priority, f.key, f.provenance or "",
                                           f.text or "", repr(f.value)))
    for i, fact in enumerate(ordered, start=1):
        fact.fact_id = f"F{i}"
    return ordered


# the order of a table of facts before it is numbered with a day's objects (``number``):
# ``assign_ids``'s key, less its last parts (a table never holds two facts of one
# provenance, which is all they tell apart)
TABLE_ORDER = (("partition", "ascending"), ("priority", "ascending"), ("fact_key", "ascending"),
               ("provenance", "ascending"))


def number(facts: list[Fact], table: pa.Table) -> tuple[list[Fact], pa.Table]:
    """:func:`assign_ids` over a day's facts made as objects and those made as a table
    (the ``facts`` columns but ``fact_id``, sorted by ``TABLE_ORDER``) together: the objects
    ordered and numbered, the table with its ``fact_id`` column (its order is the day's).

    Arrow merges the two by (priority, key), each side's own order breaking ties within it:
    strings compare as UTF-8 bytes, which is code point order, as Python compares them, and
    no key is on both sides (a producer writes its facts' keys under its own prefix)."""
    ordered = assign_ids(facts)
    if not table.num_rows:
        return ordered, table.append_column("fact_id", pa.array([], pa.string()))
    count = len(ordered)
    keys = pa.table({
        "priority": pa.concat_arrays([pa.array([f.priority for f in ordered], pa.int64()),
                                      table["priority"].combine_chunks().cast(pa.int64())]),
        "key": pa.concat_arrays([pa.array([f.key for f in ordered], pa.string()),
                                 table["fact_key"].combine_chunks()]),
        "rank": pa.array(np.arange(count + table.num_rows)),
    })
    order = pc.sort_indices(keys, sort_keys=[(name, "ascending") for name in keys.column_names])
    position = np.empty(keys.num_rows, dtype=np.int64)
    position[order.to_numpy()] = np.arange(1, keys.num_rows + 1)
    for fact, at in zip(ordered, position[:count].tolist(), strict=True):
        fact.fact_id = f"F{at}"
    return ordered, table.append_column(
        "fact_id", pa.array([f"F{at}" for at in position[count:].tolist()], pa.string()))


# a table of facts before they are numbered: the ``facts`` table's columns but the id
FACT_SCHEMA = pa.schema([f for f in arrow_schema("facts") if f.name != "fact_id"])


class FactColumns:
    """A table of facts filled a fact at a time: what a ``Fact`` would hold (its value made
    ``steady``, its ``display``), without an object per fact."""

    def __init__(self) -> None:
        self.columns: dict[str, list] = {name: [] for name in FACT_SCHEMA.names}

    def add(self, partition: str, key: str, label: str, value: float | None, unit: str | None,
            category: str, priority: int, source: str, subject: str | None, metric: str,
            context: str | None, text: str | None = None) -> None:
        value = None if value is None else steady(value)
        display = display_of(value, unit, text)
        for name, item in (("partition", partition), ("fact_key", key), ("label", label),
                           ("value", value), ("text_value", text), ("unit", unit),
                           ("category", category), ("subject", subject),
                           ("context", context), ("metric", metric), ("priority", priority),
                           ("display", display), ("provenance", source)):
            self.columns[name].append(item)

    def table(self) -> pa.Table:
        return pa.Table.from_pydict(self.columns, schema=FACT_SCHEMA)


def facts_of(table: pa.Table) -> list[Fact]:
    """A table of facts (``number``'s) as objects, with their ids."""
    made = []
    for row in table.to_pylist():
        fact = Fact(row["fact_key"], row["label"], row["value"], row["unit"], row["category"],
                    row["priority"], row["provenance"], row["subject"], row["metric"],
                    text=row["text_value"], context=row["context"])
        fact.fact_id = row.get("fact_id")
        made.append(fact)
    return made
