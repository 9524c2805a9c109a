"""PNG charts for a daily report: throughput by model, sweep heat map, each sweep's
throughput-latency frontier, trend over days."""

from __future__ import annotations

import textwrap
from pathlib import Path

import duckdb
import matplotlib

from chimera_pipeline.lib.findings.frontier import Sweep
from chimera_pipeline.lib.report.sweeps import measure_label

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def throughput_by_model(models: list[dict], out: Path) -> Path | None:
    rows = [r for r in models if r["decode_tps.mean"]]
    if not rows:
        return None
    labels = [f"{r['model']}\n{r['suite']}" for r in rows]
    values = [r["decode_tps.mean"]["value"] for r in rows]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(rows)), 4))
    ax.bar(range(len(rows)), values, color="#4c72b0")
    ax.set_xticks(range(len(rows)), labels, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("mean decode tokens/s")
    ax.set_title("Decode throughput by model (ok requests)")
    return _save(fig, out / "throughput_by_model.png")


def tool_throughput(rows: list[dict], out: Path, limit: int = 30) -> Path | None:
    """The day's benchmark-tool results by their headline throughput (the top ``limit``)."""
    rows = sorted((r for r in rows if r["throughput"] is not None and r["tool"] != "chimeraforge"),
                  key=lambda r: -r["throughput"])[:limit]
    if not rows:
        return None
    labels = [f"{r['tool']}: {(r['model'] or '?')[:28]}\n{(r['test'] or '')[:32]}" for r in rows]
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(rows)), 4.5))
    ax.bar(range(len(rows)), [r["throughput"] for r in rows], color="#dd8452")
    ax.set_xticks(range(len(rows)), labels, rotation=60, ha="right", fontsize=6)
    ax.set_ylabel("tokens/s (output, decode or prefill)")
    ax.set_title("Benchmark tools' results: throughput by model and test")
    return _save(fig, out / "tool_throughput.png")


def sweep_heatmap(con: duckdb.DuckDBPyConnection, day: str, out: Path) -> Path | None:
    rows = con.execute("""
        SELECT coalesce(model, '?'), num_gpu, num_ctx, temperature, avg(decode_tps)
        FROM llm_runs WHERE partition = ? AND suite = 'param_tuning' AND ok
          AND num_gpu IS NOT NULL AND num_ctx IS NOT NULL GROUP BY ALL ORDER BY ALL""",
                       [day]).fetchall()
    if not rows:
        return None
    models = sorted({r[0] for r in rows})
    fig, axes = plt.subplots(1, len(models), figsize=(4.5 * len(models), 3.8), squeeze=False)
    for ax, model in zip(axes[0], models, strict=True):
        mine = [r for r in rows if r[0] == model]
        gpus = sorted({r[1] for r in mine})
        cols = sorted({(r[2], r[3]) for r in mine})
        grid = [[next((r[4] for r in mine if r[1] == g and (r[2], r[3]) == c), float("nan"))
                 for c in cols] for g in gpus]
        image = ax.imshow(grid, aspect="auto", cmap="viridis")
        ax.set_yticks(range(len(gpus)), [f"gpu {g}" for g in gpus], fontsize=7)
        ax.set_xticks(range(len(cols)), [f"c{c}\nt{t:g}" for c, t in cols], fontsize=6)
        ax.set_title(model, fontsize=9)
        fig.colorbar(image, ax=ax, label="tok/s")
    fig.suptitle("Parameter sweep: mean decode tokens/s")
    return _save(fig, out / "sweep_heatmap.png")


def sweep_frontier(sweep: Sweep, title: str, out: Path, name: str) -> Path | None:
    """One sweep's configs as throughput against latency, the frontier's points joined and
    marked (lowest latency first), every point labelled with its settings; None when fewer
    than two configs have both measures (nothing to trade off)."""
    points = sweep.measured
    if len(points) < 2:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    inside = [p for p in points if not p.frontier]
    ax.scatter([p.latency for p in inside], [p.throughput for p in inside], color="#999999",
               label="dominated", zorder=2)
    edge = sweep.frontier
    ax.plot([p.latency for p in edge], [p.throughput for p in edge], color="#c44e52",
            marker="o", linestyle="-", label="Pareto frontier", zorder=3)
    for point in points:
        ax.annotate(sweep.name(point) + (" (best)" if point.best else ""),
                    (point.latency, point.throughput), textcoords="offset points",
                    xytext=(4, 4), fontsize=6)
    ax.set_xlabel(measure_label(sweep.latency))
    ax.set_ylabel(measure_label(sweep.throughput))
    ax.set_title(textwrap.shorten(title, 90), fontsize=8)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return _save(fig, out / name)


def trend(con: duckdb.DuckDBPyConnection, day: str, out: Path) -> Path | None:
    rows = con.execute("""
        SELECT model, partition, avg(decode_tps) FROM llm_runs
        WHERE partition <= ? AND ok AND model IS NOT NULL AND decode_tps IS NOT NULL
        GROUP BY ALL ORDER BY ALL""", [day]).fetchall()
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(7, 4))
    for model in sorted({r[0] for r in rows}):
        points = [(r[1], r[2]) for r in rows if r[0] == model]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=model)
    ax.set_ylabel("mean decode tokens/s")
    ax.set_title(f"Decode throughput by day, up to {day}")
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    ax.legend(fontsize=7)
    return _save(fig, out / "trend.png")


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
