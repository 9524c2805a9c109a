"""Everything a daily report shows, read from the warehouse (never typed by the LLM)."""

from __future__ import annotations

import json

import duckdb

from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.facts.model import PRIORITY_MODEL
from chimera_pipeline.lib.report.comparison import comparison_rows, shown_columns
from chimera_pipeline.lib.report.sweeps import day_sweeps, sweep_tables
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.warehouse import FACT_ORDER, fetch_dicts, read_rows


def report_data(con: duckdb.DuckDBPyConnection, day: str,
                percentiles: tuple[str, ...] | None = None) -> dict:
    """The facts, tables, LLM output and metrics for one day's report; the tool table's
    percentiles are ``CHIMERA_PERCENTILES`` unless ``percentiles`` is given."""
    if percentiles is None:
        percentiles = load_settings().percentiles
    comparison = comparison_rows(con, day, percentiles)
    sweeps = day_sweeps(con, day)
    facts = read_rows(con, "facts", [day], order=FACT_ORDER)
    by_key = {f["fact_key"]: f for f in facts}
    calls = read_rows(con, "llm_calls", [day], order="started_at")
    analyses = read_rows(con, "llm_analyses", [day], order="call_id")
    claims = read_rows(con, "report_claims", [day], order="claim_id")
    findings = read_rows(con, "findings", [day], order="rank")
    alerts = read_rows(con, "alerts", [day], order="rank")
    row = analyses[0] if analyses else None
    published = claims_published = []
    if row is not None:
        published = json.loads(row["analysis_json"]).get("published") or {}
        claims_published = [c for c in claims if c["published"]]
    cited = {fid for f in findings for fid in (f["fact_ids"] or "").split(",") if fid}
    return {
        "day": day,
        "facts": facts,
        "cited_facts": [f for f in facts if f["fact_id"] in cited],
        "calls": calls,
        "narrative": published or None,
        "narrative_status": row["gate"] if row else None,
        "dropped": json.loads(row["dropped_json"] or "[]") if row else [],
        "analysis_row": row,
        "summary": [f for f in findings if f["role"] == "summary" or f["headline"]],
        "findings": [f for f in findings if f["role"] == "finding"],
        "recommendations": [f for f in findings if f["role"] == "recommendation"],
        "claims": claims,
        "regressions": [a for a in alerts if a["verdict"] == "regression"],
        "improvements": [a for a in alerts if a["verdict"] == "improvement"],
        "suspects": [a for a in alerts if a["verdict"] == "suspect"],
        "unverified": [c for c in claims_published if not c["verified"]],
        "grounding": _grounding(claims),
        "ingestion": fetch_dicts(con, """
            SELECT folder, type, count(*) AS files, sum(size_bytes) AS bytes
            FROM artifact_files WHERE partition = ? GROUP BY ALL ORDER BY ALL""", [day]),
        "date_sources": fetch_dicts(con, """
            SELECT date_source, count(*) AS files FROM artifact_files WHERE partition = ?
            GROUP BY 1 ORDER BY 1""", [day]),
        "parse_status": fetch_dicts(con, """
            SELECT parse_status, count(*) AS files FROM artifact_files WHERE partition = ?
            GROUP BY 1 ORDER BY 1""", [day]),
        "models": _model_table(by_key, facts),
        "comparison": comparison,
        "comparison_columns": shown_columns(comparison, percentiles),
        "sweep_objects": sweeps,
        "frontiers": sweep_tables(sweeps),
        "sweeps": [f for f in facts if f["category"] == "sweep"],
        "compile": [f for f in facts if f["category"] == "compile"],
        "changes": [f for f in facts if f["category"] == "change"],
        "quality_files": fetch_dicts(con, """
            SELECT path, parse_status, coalesce(parse_error, '') AS parse_error, duplicate_of,
                   date_source FROM artifact_files WHERE partition = ? AND (
                   parse_status IN ('error', 'unreadable') OR duplicate_of IS NOT NULL
                   OR date_source = 'mtime') ORDER BY path""", [day]),
        "quality": [f for f in facts if f["category"] == "quality"],
        "timings": fetch_dicts(con, """
            SELECT stage, seconds, partitions_in_step FROM stage_timings WHERE partition = ?
            ORDER BY list_position(?::VARCHAR[], stage)""", [day, list(stages.LABELS)]),
    }


def _grounding(claims: list[dict]) -> dict:
    """What the header says of the quantities the model typed: all of them, verified,
    published (sentences left out and rejected answers count as typed)."""
    verified = sum(1 for c in claims if c["verified"])
    return {"typed": len(claims), "verified": verified,
            "published": sum(1 for c in claims if c["published"]),
            "rate": f"{verified / len(claims):.0%}" if claims else "n/a"}


def _model_table(by_key: dict, facts: list[dict]) -> list[dict]:
    """One row per model and suite, from the whole-suite facts (priority PRIORITY_MODEL)."""
    rows = []
    for fact in facts:
        key = fact["fact_key"]
        if not (key.startswith("llm.") and key.endswith(".requests")
                and fact["priority"] == PRIORITY_MODEL):
            continue
        prefix = key[: -len(".requests")]
        row = {"model": fact["subject"], "suite": prefix.rsplit(".", 1)[1], "requests": fact}
        for metric in ("error_rate", "decode_tps.mean", "decode_tps.p50", "decode_tps.p95",
                       "ttft_s.mean", "ttft_s.p95"):
            row[metric] = by_key.get(f"{prefix}.{metric}")
        rows.append(row)
    return rows
