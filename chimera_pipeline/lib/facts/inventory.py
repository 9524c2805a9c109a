"""Inventory counts and data-quality findings, for every day of a run in a few queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import duckdb

from chimera_pipeline.lib.common.sql import equals, sql_literal
from chimera_pipeline.lib.facts import provenance
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
_COLUMNS = {"type": "type", "folder": "folder", "dated_by": "date_source"}


def _params(days: Sequence[str]) -> dict:
    return {"days": list(days)}


def _files(day: str, column: str, *conditions: str) -> str:
    """The provenance of an aggregate over the day's ``artifact_files``."""
    return provenance.select(column, "artifact_files", equals("partition", day), *conditions)


def latest_dates(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> dict:
    """The latest benchmark date of the warehouse as of each of ``days`` (a day's fact that
    reads the days before it)."""
    return dict(con.execute(_LATEST, {**_params(days), "last": max(days)}).fetchall())


def inventory_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str],
                    latest: dict | None = None) -> DayFacts:
    """Counts of each day's files; ``latest``, :func:`latest_dates` when the caller has them."""
    totals = {row[0]: row[1:] for row in con.execute(_TOTALS, _params(days)).fetchall()}
    counts: dict[str, list[tuple]] = defaultdict(list)
    for day, column, name, count in con.execute(_COUNTS, _params(days)).fetchall():
        counts[day].append((column, name, count))
    latest = latest_dates(con, days) if latest is None else latest
    for day in days:
        total, size, values, typed = totals.get(day, (0, 0, 0, 0))
        yield day, Fact("inventory.files", "files dated to this day", total, "files",
                        "inventory", PRIORITY_INVENTORY - 5, _files(day, "count(*)"), None,
                        "files")
        yield day, Fact("inventory.bytes", "total size of those files", size, "bytes",
                        "inventory", PRIORITY_INVENTORY,
                        _files(day, "coalesce(sum(size_bytes), 0)"), None, "bytes")
        ordered = sorted(counts.get(day, ()), key=lambda c: (_ORDER[c[0]], c[1] is None, c[1]))
        for column, name, count in ordered:
            counted = _files(day, "count(*)", equals(_COLUMNS[column], name))
            if column == "dated_by":
                yield day, Fact(f"inventory.dated_by.{name}", f"files dated by {name}", count,
                                "files", "inventory", PRIORITY_INVENTORY, counted, None,
                                "dated_by")
            else:
                yield day, Fact(f"inventory.{column}.{name}", f"{name} files", count, "files",
                                "inventory", PRIORITY_INVENTORY, counted, None,
                                f"files_{column}")
        yield day, Fact("inventory.values", "numbers extracted into metric_values", values,
                        "count", "inventory", PRIORITY_INVENTORY,
                        _files(day, "coalesce(sum(values_loaded), 0)"), None, "values")
        yield day, Fact("inventory.typed_rows", "typed measurement rows", typed, "count",
                        "inventory", PRIORITY_INVENTORY,
                        _files(day, "coalesce(sum(rows_loaded), 0)"), None, "typed_rows")
        yield day, Fact("inventory.latest_date", "latest benchmark date in the warehouse", None,
                        None, "inventory", PRIORITY_INVENTORY,
                        provenance.select("coalesce(max(benchmark_date)::VARCHAR, 'None')",
                                          "artifact_files", f"partition <= {sql_literal(day)}"),
                        None, "date", text=str(latest.get(day)))


_FAILED = "parse_status IN ('error', 'unreadable')"
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
        duplicates, failures, mtime, duplicate, failure = quality.get(day, (0, 0, 0, None, None))
        yield day, Fact("quality.duplicates", "exact duplicate files", duplicates, "files",
                        "quality", PRIORITY_QUALITY,
                        _files(day, "count(*)", "duplicate_of IS NOT NULL"), None, "duplicates")
        yield day, Fact("quality.parse_failures", "files that failed to parse", failures,
                        "files", "quality", PRIORITY_QUALITY,
                        _files(day, "count(*)", _FAILED), None, "parse_failures")
        yield day, Fact("quality.dated_by_mtime", "files dated only by modification time",
                        mtime, "files", "quality", PRIORITY_QUALITY,
                        _files(day, "count(*)", "date_source = 'mtime'"), None, "mtime_dated")
        yield from _examples(day, duplicate, failure)
        runs, failed, telemetry = requests[day]
        if runs:
            yield day, Fact("quality.failed_requests", "LLM requests that failed", failed,
                            "requests", "quality", PRIORITY_QUALITY,
                            provenance.select("count(*)", "llm_runs", equals("partition", day),
                                              "NOT ok"), None, "failed")
        if runs and not telemetry:
            yield day, Fact("quality.missing_telemetry",
                            "LLM runs without GPU telemetry that day", None, None, "quality",
                            PRIORITY_QUALITY, _missing_telemetry(day), None,
                            "telemetry", text=f"missing: {runs} request rows, no GPU samples")


def _examples(day: str, duplicate: str | None, failure: str | None) -> DayFacts:
    """The first duplicate and the first failed file of the day (by path), as text facts."""
    for key, label, example, column, condition in (
            ("duplicate_example", "an exact duplicate", duplicate,
             "path || ' = ' || duplicate_of", "duplicate_of IS NOT NULL"),
            ("parse_failure_example", "a file that failed", failure,
             "path || ': ' || coalesce(parse_error, parse_status)", _FAILED)):
        if example:
            query = _files(day, provenance.shortened(f"arg_min({column}, path)", 200), condition)
            yield day, Fact(f"quality.{key}", label, None, None, "quality", PRIORITY_QUALITY,
                            query, None, key, text=shorten(example, 200))


def _missing_telemetry(day: str) -> str:
    """The day's request rows, when it has no GPU sample (no row when it has)."""
    samples = provenance.select("1", "system_telemetry", equals("partition", day),
                                "gpu_id IS NOT NULL")
    return provenance.select("'missing: ' || count(*) || ' request rows, no GPU samples'",
                             "llm_runs", equals("partition", day),
                             tail=f"HAVING count(*) > 0 AND NOT EXISTS ({samples})")


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
                        _files(day, "values_loaded", equals("path", path), "rows_loaded = 0"),
                        path, "values", context="documents")
