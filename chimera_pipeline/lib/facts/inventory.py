"""Inventory counts and data-quality findings for a partition."""

from __future__ import annotations

import duckdb

from chimera_pipeline.lib.facts.model import PRIORITY_INVENTORY, PRIORITY_QUALITY, Fact, shorten


def inventory_facts(con: duckdb.DuckDBPyConnection, partition: str) -> list[Fact]:
    where = f"artifact_files WHERE partition='{partition}'"
    facts = []
    total, size = con.execute(
        "SELECT count(*), coalesce(sum(size_bytes), 0) FROM artifact_files WHERE partition = ?",
        [partition]).fetchone()
    facts.append(Fact("inventory.files", "files dated to this day", total, "files", "inventory",
                      PRIORITY_INVENTORY - 5, where, None, "files"))
    facts.append(Fact("inventory.bytes", "total size of those files", size, "bytes", "inventory",
                      PRIORITY_INVENTORY, where, None, "bytes"))
    for column in ("type", "folder"):
        for name, count in con.execute(
                f"SELECT {column}, count(*) FROM artifact_files WHERE partition = ? "
                "GROUP BY 1 ORDER BY 1", [partition]).fetchall():
            facts.append(Fact(f"inventory.{column}.{name}", f"{name} files", count, "files",
                              "inventory", PRIORITY_INVENTORY, f"{where} AND {column}='{name}'",
                              None, f"files_{column}"))
    for source, count in con.execute(
            "SELECT date_source, count(*) FROM artifact_files WHERE partition = ? GROUP BY 1 "
            "ORDER BY 1", [partition]).fetchall():
        facts.append(Fact(f"inventory.dated_by.{source}", f"files dated by {source}", count,
                          "files", "inventory", PRIORITY_INVENTORY,
                          f"{where} AND date_source='{source}'", None, "dated_by"))
    values, typed = con.execute(
        "SELECT coalesce(sum(values_loaded), 0), coalesce(sum(rows_loaded), 0) "
        "FROM artifact_files WHERE partition = ?", [partition]).fetchone()
    facts.append(Fact("inventory.values", "numbers extracted into metric_values", values,
                      "count", "inventory", PRIORITY_INVENTORY, where, None, "values"))
    facts.append(Fact("inventory.typed_rows", "typed measurement rows", typed, "count",
                      "inventory", PRIORITY_INVENTORY, where, None, "typed_rows"))
    latest = con.execute("SELECT max(benchmark_date) FROM artifact_files WHERE partition <= ?",
                         [partition]).fetchone()[0]
    facts.append(Fact("inventory.latest_date", "latest benchmark date in the warehouse", None,
                      None, "inventory", PRIORITY_INVENTORY, f"artifact_files WHERE partition <= "
                      f"'{partition}'", None, "date", text=str(latest)))
    return facts


def quality_facts(con: duckdb.DuckDBPyConnection, partition: str) -> list[Fact]:
    where = f"artifact_files WHERE partition='{partition}'"
    counts = con.execute("""
        SELECT count(*) FILTER (WHERE duplicate_of IS NOT NULL),
               count(*) FILTER (WHERE parse_status IN ('error', 'unreadable')),
               count(*) FILTER (WHERE date_source = 'mtime')
        FROM artifact_files WHERE partition = ?""", [partition]).fetchone()
    examples = con.execute("""
        SELECT (SELECT path || ' = ' || duplicate_of FROM artifact_files WHERE partition = $p
                AND duplicate_of IS NOT NULL ORDER BY path LIMIT 1),
               (SELECT path || ': ' || coalesce(parse_error, parse_status) FROM artifact_files
                WHERE partition = $p AND parse_status IN ('error', 'unreadable') ORDER BY path
                LIMIT 1)""", {"p": partition}).fetchone()
    facts = [
        Fact("quality.duplicates", "exact duplicate files", counts[0], "files", "quality",
             PRIORITY_QUALITY, f"{where} AND duplicate_of IS NOT NULL", None, "duplicates"),
        Fact("quality.parse_failures", "files that failed to parse", counts[1], "files",
             "quality", PRIORITY_QUALITY, f"{where} AND parse_status IN ('error','unreadable')",
             None, "parse_failures"),
        Fact("quality.dated_by_mtime", "files dated only by modification time", counts[2], "files",
             "quality", PRIORITY_QUALITY, f"{where} AND date_source='mtime'", None, "mtime_dated"),
    ]
    for key, label, example in (("duplicate_example", "an exact duplicate", examples[0]),
                                ("parse_failure_example", "a file that failed", examples[1])):
        if example:
            facts.append(Fact(f"quality.{key}", label, None, None, "quality", PRIORITY_QUALITY,
                              where, None, key, text=shorten(example, 200)))
    runs, failed, telemetry = con.execute("""
        SELECT (SELECT count(*) FROM llm_runs WHERE partition = $p),
               (SELECT count(*) FROM llm_runs WHERE partition = $p AND NOT ok),
               (SELECT count(*) FROM system_telemetry WHERE partition = $p AND gpu_id IS NOT NULL)
    """, {"p": partition}).fetchone()
    if runs:
        facts.append(Fact("quality.failed_requests", "LLM requests that failed", failed,
                          "requests", "quality", PRIORITY_QUALITY,
                          f"llm_runs WHERE partition='{partition}' AND NOT ok", None, "failed"))
    if runs and not telemetry:
        facts.append(Fact("quality.missing_telemetry", "LLM runs without GPU telemetry that day",
                          None, None, "quality", PRIORITY_QUALITY,
                          f"system_telemetry WHERE partition='{partition}'", None, "telemetry",
                          text=f"missing: {runs} request rows, no GPU samples"))
    return facts


def document_facts(con: duckdb.DuckDBPyConnection, partition: str, limit: int = 5
                   ) -> list[Fact]:
    """The day's write-ups and untyped files: how many numbers each states that no typed parser
    reads (they reach only ``metric_values``). Only the count: what a document claims is not a
    measurement, so none of its figures becomes a fact a narrative could be verified against
    (a hostile or mistaken file could otherwise "verify" an invented number)."""
    rows = con.execute("""
        SELECT path, values_loaded FROM artifact_files
        WHERE partition = ? AND rows_loaded = 0 AND values_loaded > 0
        ORDER BY values_loaded DESC, path LIMIT ?""", [partition, limit]).fetchall()
    return [Fact(f"document.{path}.values", f"{path}: numbers stated", values, "count",
                 "document", PRIORITY_INVENTORY,
                 f"metric_values WHERE partition='{partition}' AND source_file='{path}'", path,
                 "values", context="documents") for path, values in rows]
