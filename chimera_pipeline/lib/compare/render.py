"""A comparison as Markdown, CSV or JSON, a PNG chart of it, and the report's table of each
series' change since its previous measured day."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import matplotlib

from chimera_pipeline.lib.compare.core import (
    NO_SPREAD,
    NOISE,
    OVERLAP,
    PERCENTILE,
    REAL_BETTER,
    REAL_WORSE,
    Comparison,
    Side,
    _decide,
    finite,
    judge_pair,
    series_label,
)
from chimera_pipeline.lib.compare.measure import METRICS, series_nights_upto
from chimera_pipeline.lib.compare.selection import DIMS
from chimera_pipeline.lib.facts.model import format_number
from chimera_pipeline.lib.facts.regression import Night, Params

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FORMATS = ("md", "csv", "json")
_COLOURS = {REAL_BETTER: "#55a868", REAL_WORSE: "#c44e52", NOISE: "#8c8c8c",
            NO_SPREAD: "#c8c8c8", PERCENTILE: "#c8c8c8", OVERLAP: "#c8c8c8"}


def _number(value: float | None, unit: str | None) -> str:
    return "n/a" if value is None else format_number(value, unit)


def _change(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.1f} %" if unit == "%" else f"{value:+.1f} points"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(comparisons: list[Comparison]) -> str:
    """One section per comparison: a table per metric (each series' mean, then its
    percentiles: stat, A, B, change, ratio, verdict, evidence), then what could not be
    matched and why."""
    out: list[str] = []
    for comparison in comparisons:
        tested = sum(r.stat == "mean" for r in comparison.rows)
        shown = len(comparison.rows) - tested
        out += [f"## A: {comparison.a.label}  vs  B: {comparison.b.label}", "",
                f"Compared across: {', '.join(comparison.compared) or 'nothing'}; "
                f"matched: {tested}"
                + (f" (and {shown} percentile{'s' * (shown != 1)}, not tested)"
                   if shown else "")
                + f", not matched: {len(comparison.unmatched)}.", ""]
        for metric in METRICS:
            rows = [r for r in comparison.rows if r.base == metric]
            if not rows:
                continue
            label, unit = METRICS[metric][0], rows[0].unit  # a series' mean comes first
            out += [f"### {label}{f' ({unit})' if unit else ''}", "",
                    "| series | stat | A | B | change | ratio | verdict | evidence |",
                    "|---|---|---:|---:|---:|---:|---|---|"]
            for r in rows:
                ratio = "n/a" if r.ratio is None else f"{r.ratio:.3f}"
                out.append(f"| {_cell(r.series)} | {r.stat} | {_number(r.a_value, r.unit)} | "
                           f"{_number(r.b_value, r.unit)} | {_change(r.change, r.change_unit)} "
                           f"| {ratio} | {r.verdict} | {_cell(r.evidence)} |")
            out.append("")
        if comparison.unmatched:
            out += ["### Not matched", "", "| side | series | metric | why |",
                    "|---|---|---|---|"]
            out += [f"| {u.side} | {_cell(u.series)} | {u.label} | {_cell(u.reason)} |"
                    for u in comparison.unmatched]
            out.append("")
    return "\n".join(out)


CSV_COLUMNS = ("a_selection", "b_selection", "status", "series", *DIMS, "metric", "stat",
               "label",
               "unit", "a", "b", "change", "change_unit", "ratio", "verdict", "p_value",
               "evidence", "a_n", "b_n", "a_days", "b_days", "side", "reason")


def to_csv(comparisons: list[Comparison]) -> str:
    """One flat table: a ``matched`` row per series and metric (``stat`` ``mean``, or a
    percentile), a ``not matched`` row per series and metric without a counterpart (``side``
    and ``reason`` say which and why)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for c in comparisons:
        base = {"a_selection": c.a.label, "b_selection": c.b.label}
        for row in c.rows:
            values = row.as_dict()
            values |= {k: finite(values[k]) for k in ("a", "b", "change", "ratio", "p_value")}
            values["a_days"] = " ".join(values["a_days"])
            values["b_days"] = " ".join(values["b_days"])
            writer.writerow(base | {"status": "matched"} | values)
        for u in c.unmatched:
            writer.writerow(base | {"status": "not matched"} | u.as_dict())
    return buffer.getvalue()


def to_json(comparisons: list[Comparison]) -> str:
    def clean(value: object) -> object:
        if isinstance(value, float):
            return finite(value)
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value
    return json.dumps({"comparisons": [clean(c.as_dict()) for c in comparisons]}, indent=2)


def render(comparisons: list[Comparison], fmt: str) -> str:
    return {"md": markdown, "csv": to_csv, "json": to_json}[fmt](comparisons)


def chart(comparisons: list[Comparison], path: Path, limit: int = 40) -> Path | None:
    """B / A of every matched series and metric (the first ``limit``, biggest changes
    first), coloured by verdict: what changed, at a glance. The means only: a percentile
    has no verdict to colour."""
    rows = [(c, r) for c in comparisons for r in c.rows
            if r.ratio is not None and r.stat == "mean"]
    if not rows:
        return None
    rows.sort(key=lambda cr: -abs(cr[1].ratio - 1))
    rows = rows[:limit][::-1]
    fig, ax = plt.subplots(figsize=(9, max(2.5, 0.32 * len(rows) + 1.2)))
    labels = [f"{r.label}: {r.series}"[:70] + (f"  ({c.b.label})"[:40]
                                               if len(comparisons) > 1 else "")
              for c, r in rows]
    ax.barh(range(len(rows)), [r.ratio for _, r in rows],
            color=[_COLOURS[r.verdict] for _, r in rows])
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(rows)), labels, fontsize=6)
    ax.set_xlabel("ratio B / A")
    ax.set_title(f"B against A (green real and better, red real and worse, grey noise "
                 f"or no spread)\nA: {comparisons[0].a.label}"[:160], fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")  # long series names stay whole
    plt.close(fig)
    return path


def previous_day_markdown(con: duckdb.DuckDBPyConnection, day: str, limit: int = 25,
                          params: Params | None = None) -> str:
    """Each series measured on ``day`` against that series' previous measured day, by the
    comparison's rule for different days, as a Markdown table (real changes first, then the
    largest; at most ``limit`` rows, the rest counted): what the Dagster UI shows of a day
    without opening a file."""
    params = params or Params()
    pairs = []
    for row in series_nights_upto(con, day):
        dims = {d: row[d] for d in DIMS}
        a = Side(dims, row["prev_unit"], [Night(row["prev_day"], int(row["prev_n"]),
                                                float(row["prev_mean"]), row["prev_var"])])
        b = Side(dims, row["unit"], [Night(day, int(row["n"]), float(row["mean"]),
                                           row["var"])])
        result, evidence = judge_pair(a, b, row["metric"], params)
        result.series, result.key = series_label(dims), dims
        pairs.append((result, evidence))
    if not pairs:
        return f"No series measured on {day} was measured on an earlier day."
    _decide(pairs, params)
    rows = sorted((r for r, _ in pairs), key=lambda r: (
        r.verdict not in (REAL_WORSE, REAL_BETTER), r.verdict != REAL_WORSE,
        -abs(r.change or 0), r.series, r.metric))
    lines = [f"| series | metric | previous day | previous | {day} | change | verdict |",
             "|---|---|---|---:|---:|---:|---|"]
    for r in rows[:limit]:
        unit = f" {r.unit}" if r.unit and r.unit != "%" else (r.unit or "")
        lines.append(f"| {_cell(r.series)} | {r.label} | {r.a.days[0]} | "
                     f"{_number(r.a.mean, r.unit)}{unit} | {_number(r.b.mean, r.unit)}{unit} | "
                     f"{_change(r.change, r.change_unit)} | {r.verdict} |")
    if len(rows) > limit:
        lines.append(f"\n{len(rows) - limit} more series and metrics: "
                     f"`chimera compare --a day=<previous> --b day={day}` lists them all.")
    return "\n".join(lines)
