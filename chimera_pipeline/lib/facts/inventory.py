"""Inventory counts and data-quality findings, for every day of a run in a few queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import duckdb

from chimera_pipeline.lib.facts.model import (
    IN_DAYS,
    PRIORITY_INVENTORY,
    PRIORITY_QUALITY,
    DayFacts,
    Fact,
    shorten,
)

_TOTALS = f"""
    SELECT partition, count(*), coalesce(sum(size_bytes), 0),
           coalesce(sum(values_loaded), 0), coalesce(sum(rows_loaded), 0)
    FROM artifact_files WHERE {IN_DAYS} GROUP BY 1
"""
_COUNTS = f"""
    SELECT partition, 'type', type, count(*) FROM artifact_files WHERE {IN_DAYS} GROUP BY ALL
    UNION ALL
    SELECT partition, 'folder', folder, count(*) FROM artifact_files WHERE {IN_DAYS} GROUP BY ALL
    UNION ALL
    SELECT partition, 'dated_by', date_source, count(*) FROM artifact_files WHERE {IN_DAYS}
    GROUP BY ALL
"""
# the latest benchmark date of the warehouse as of each day (days after it do not count)
_LATEST = """
    WITH per_day AS (SELECT partition, max(benchmark_date) AS latest FROM artifact_files
                     WHERE partition <= $last GROUP BY 1)
    SELECT day, (SELECT max(latest) FROM per_day WHERE partition <= day)
    FROM (SELECT unnest($days::VARCHAR[]) AS day)
"""
_ORDER = {"type": 0, "folder": 1, "dated_by": 2}


def _params(days: Sequence[str]) -> dict:
    return {"days": list(days)}


def inventory_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> DayFacts:
    totals = {row[0]: row[1:] for row in con.execute(_TOTALS, _params(days)).fetchall()}
    counts: dict[str, list[tuple]] = defaultdict(list)
    for day, column, name, count in con.execute(_COUNTS, _params(days)).fetchall():
        counts[day].append((column, name, count))
    latest = dict(con.execute(_LATEST, {**_params(days), "last": max(days)}).fetchall())
    for day in days:
        where = f"artifact_files WHERE partition='{day}'"
        total, size, values, typed = totals.get(day, (0, 0, 0, 0))
        yield day, Fact("inventory.files", "files dated to this day", total, "files",
                        "inventory", PRIORITY_INVENTORY - 5, where, None, "files")
        yield day, Fact("inventory.bytes", "total size of those files", size, "bytes",
                        "inventory", PRIORITY_INVENTORY, where, None, "bytes")
        ordered = sorted(counts.get(day, ()), key=lambda c: (_ORDER[c[0]], c[1] is None, c[1]))
        for column, name, count in ordered:
            if column == "dated_by":
                yield day, Fact(f"inventory.dated_by.{name}", f"files dated by {name}", count,
                                "files", "inventory", PRIORITY_INVENTORY,
                                f"{where} AND date_source='{name}'", None, "dated_by")
            else:
                yield day, Fact(f"inventory.{column}.{name}", f"{name} files", count, "files",
                                "inventory", PRIORITY_INVENTORY,
                                f"{where} AND {column}='{name}'", None, f"files_{column}")
        yield day, Fact("inventory.values", "numbers extracted into metric_values", values,
                        "count", "inventory", PRIORITY_INVENTORY, where, None, "values")
        yield day, Fact("inventory.typed_rows", "typed measurement rows", typed, "count",
                        "inventory", PRIORITY_INVENTORY, where, None, "typed_rows")
        yield day, Fact("inventory.latest_date", "latest benchmark date in the warehouse", None,
                        None, "inventory", PRIORITY_INVENTORY,
                        f"artifact_files WHERE partition <= '{day}'", None, "date",
                        text=str(latest.get(day)))


_QUALITY = f"""
    SELECT partition,
           count(*) FILTER (WHERE duplicate_of IS NOT NULL),
           count(*) FILTER (WHERE parse_status IN ('error', 'unreadable')),
           count(*) FILTER (WHERE date_source = 'mtime'),
           arg_min(path || ' = ' || duplicate_of, path) FILTER (WHERE duplicate_of IS NOT NULL),
           arg_min(path || ': ' || coalesce(parse_error, parse_status), path)
               FILTER (WHERE parse_status IN ('error', 'unreadable'))
    FROM artifact_files WHERE {IN_DAYS} GROUP BY 1
"""
_REQUESTS = f"""
    SELECT d.day, coalesce(r.runs, 0), coalesce(r.failed, 0), coalesce(t.gpu_samples, 0)
    FROM (SELECT unnest($days::VARCHAR[]) AS day) d
    LEFT JOIN (SELECT partition, count(*) AS runs, count(*) FILTER (WHERE NOT ok) AS failed
               FROM llm_runs WHERE {IN_DAYS} GROUP BY 1) r ON r.partition = d.day
    LEFT JOIN (SELECT partition, count(*) AS gpu_samples FROM system_telemetry
               WHERE {IN_DAYS} AND gpu_id IS NOT NULL GROUP BY 1) t ON t.partition = d.day
"""


def quality_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> DayFacts:
    quality = {row[0]: row[1:] for row in con.execute(_QUALITY, _params(days)).fetchall()}
    requests = {row[0]: row[1:] for row in con.execute(_REQUESTS, _params(days)).fetchall()}
    for day in days:
        where = f"artifact_files WHERE partition='{day}'"
        duplicates, failures, mtime, duplicate, failure = quality.get(day, (0, 0, 0, None, None))
        yield day, Fact("quality.duplicates", "exact duplicate files", duplicates, "files",
                        "quality", PRIORITY_QUALITY, f"{where} AND duplicate_of IS NOT NULL",
                        None, "duplicates")
        yield day, Fact("quality.parse_failures", "files that failed to parse", failures,
                        "files", "quality", PRIORITY_QUALITY,
                        f"{where} AND parse_status IN ('error','unreadable')", None,
                        "parse_failures")
        yield day, Fact("quality.dated_by_mtime", "files dated only by modification time",
                        mtime, "files", "quality", PRIORITY_QUALITY,
                        f"{where} AND date_source='mtime'", None, "mtime_dated")
        for key, label, example in (("duplicate_example", "an exact duplicate", duplicate),
                                    ("parse_failure_example", "a file that failed", failure)):
            if example:
                yield day, Fact(f"quality.{key}", label, None, None, "quality",
                                PRIORITY_QUALITY, where, None, key, text=shorten(example, 200))
        runs, failed, telemetry = requests[day]
        if runs:
            yield day, Fact("quality.failed_requests", "LLM requests that failed", failed,
                            "requests", "quality", PRIORITY_QUALITY,
                            f"llm_runs WHERE partition='{day}' AND NOT ok", None, "failed")
        if runs and not telemetry:
            yield day, Fact("quality.missing_telemetry",
                            "LLM runs without GPU telemetry that day", None, None, "quality",
                            PRIORITY_QUALITY, f"system_telemetry WHERE partition='{day}'", None,
                            "telemetry", text=f"missing: {runs} request rows, no GPU samples")


def document_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str], limit: int = 5
                   ) -> DayFacts:
    """The day's write-ups and untyped files: how many numbers each states that no typed parser
    reads (they reach only ``metric_values``). Only the count: what a document claims is not a
    measurement, so none of its figures becomes a fact a narrative could be verified against
    (a hostile or mistaken file could otherwise "verify" an invented number)."""
    rows = con.execute(f"""
        SELECT partition, path, values_loaded FROM artifact_files
        WHERE {IN_DAYS} AND rows_loaded = 0 AND values_loaded > 0
        QUALIFY row_number() OVER (PARTITION BY partition
                                   ORDER BY values_loaded DESC, path) <= $limit
        ORDER BY partition, values_loaded DESC, path""",
                       {**_params(days), "limit": limit}).fetchall()
    for day, path, values in rows:
        yield day, Fact(f"document.{path}.values", f"{path}: numbers stated", values, "count",
                        "document", PRIORITY_INVENTORY,
                        f"metric_values WHERE partition='{day}' AND source_file='{path}'", path,
                        "values", context="documents")
