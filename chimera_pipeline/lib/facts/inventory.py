"""Inventory counts and data-quality findings for a partition."""

from __future__ import annotations

import duckdb

from chimera_pipeline.lib.facts.model import PRIORITY_INVENTORY, PRIORITY_QUALITY, Fact


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
    facts = [
        Fact("quality.duplicates", "exact duplicate files", counts[0], "files", "quality",
             PRIORITY_QUALITY, f"{where} AND duplicate_of IS NOT NULL", None, "duplicates"),
        Fact("quality.parse_failures", "files that failed to parse", counts[1], "files",
             "quality", PRIORITY_QUALITY, f"{where} AND parse_status IN ('error','unreadable')",
             None, "parse_failures"),
        Fact("quality.dated_by_mtime", "files dated only by modification time", counts[2], "files",
             "quality", PRIORITY_QUALITY, f"{where} AND date_source='mtime'", None, "mtime_dated"),
    ]
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
