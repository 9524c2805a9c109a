"""Render a day's report (Markdown, JSON, charts) and the index / roll-up over all days."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import jinja2

from chimera_pipeline.lib.findings import render
from chimera_pipeline.lib.llm.prompts import PERSONA
from chimera_pipeline.lib.report import charts
from chimera_pipeline.lib.report.data import report_data

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("chimera_pipeline.lib.report", "templates"),
    keep_trailing_newline=True, trim_blocks=False, autoescape=False,
    undefined=jinja2.StrictUndefined,
)
_ENV.filters["thousands"] = lambda v: f"{int(v or 0):,}"
_ENV.filters["show"] = lambda fact: fact["display"] if fact else "n/a"
_ENV.filters["num"] = lambda v, digits: "n/a" if v is None else f"{v:.{digits}f}"


def anchor(fact_id: str) -> str:
    """The appendix anchor a cited value links to."""
    return f"fact-{fact_id.lower()}"


def configuration_line(call: dict | None) -> str:
    """The options actually sent, as the original report's Configuration line."""
    if not call:
        return "no LLM call"
    options = json.loads(call["options_json"] or "{}")
    return ", ".join(f"{k}={options[k]}" for k in sorted(options))


def render_day(con: duckdb.DuckDBPyConnection, day: str, out_dir: Path) -> dict:
    """Write report.md, report.json and PNG charts under ``out_dir``; return a summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = report_data(con, day)
    made = [charts.throughput_by_model(data["models"], out_dir),
            charts.tool_throughput(data["comparison"], out_dir),
            charts.sweep_heatmap(con, day, out_dir), charts.trend(con, day, out_dir)]
    for table, sweep in zip(data["frontiers"], data["sweep_objects"], strict=True):
        drawn = charts.sweep_frontier(sweep, table["title"], out_dir,
                                      f"sweep_frontier_{table['index']}.png")
        table["chart"] = drawn.name if drawn else None
    chart_names = [p.name for p in made if p is not None]
    frontier_charts = [t["chart"] for t in data["frontiers"] if t["chart"]]
    call = data["calls"][0] if data["calls"] else None
    trimmed = (data["analysis_row"] or {}).get("trimmed_fact_ids") or ""
    facts = {f["fact_id"]: f for f in data["facts"]}

    def linked(row: dict) -> str:
        """A finding with each value linked to its fact in the appendix."""
        return render(row["template"], facts,
                      link=lambda text, fact_id: f"[{text}](#{anchor(fact_id)})")

    markdown = _ENV.get_template("report.md.j2").render(
        **data, call=call, configuration=configuration_line(call), charts=chart_names,
        total_files=sum(r["files"] for r in data["ingestion"]),
        total_bytes=sum(r["bytes"] or 0 for r in data["ingestion"]),
        trimmed=json.loads(trimmed) if trimmed else [], persona=PERSONA, linked=linked,
        anchor=anchor,
    )
    summary = {
        "day": day, "backend": call["backend"] if call else None,
        "model": call["model"] if call else None,
        "configuration": configuration_line(call),
        "files": sum(r["files"] for r in data["ingestion"]),
        "numbers_checked": len(data["claims"]), "unverified": len(data["unverified"]),
        "quantities_verified": data["grounding"]["verified"],
        "narrative": data["narrative_status"] or "no LLM call",
        "findings": len(data["findings"]), "recommendations": len(data["recommendations"]),
        "regressions": len(data["regressions"]), "improvements": len(data["improvements"]),
        "best_decode_tps": max((r["decode_tps.mean"]["value"] for r in data["models"]
                                if r["decode_tps.mean"]), default=None),
        "charts": chart_names + frontier_charts,
        "sweeps": len(data["frontiers"]),
    }
    document = {**summary, "summary_sentences": [f["text"] for f in data["summary"]],
                "key_findings": [f["text"] for f in data["findings"]],
                "recommendation_list": [f["text"] for f in data["recommendations"]],
                "regression_list": [a["text"] for a in data["regressions"]],
                "improvement_list": [a["text"] for a in data["improvements"]],
                "narrative_text": data["narrative"], "dropped": data["dropped"],
                "facts": data["facts"],
                "llm_calls": data["calls"], "claims": data["claims"],
                "ingestion": data["ingestion"], "timings": data["timings"],
                "sweep_frontiers": [{k: v for k, v in t.items() if k != "index"}
                                    for t in data["frontiers"]]}
    (out_dir / "report.md").write_text(markdown)
    (out_dir / "report.json").write_text(json.dumps(document, indent=2, default=str))
    return {**summary, "markdown": markdown}
