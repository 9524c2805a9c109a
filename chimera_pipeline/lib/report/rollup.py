"""The index of daily reports and the whole-corpus roll-up (every partition at once)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from chimera_pipeline.lib.facts.llm_stats import ALL_RUNS_SQL
from chimera_pipeline.lib.report.comparison import leaderboard


def write_index(reports_dir: Path) -> Path:
    """``index.md``: one line per daily report with its headline figures."""
    rows = []
    for path in sorted(reports_dir.glob("*/report.json")):
        report = json.loads(path.read_text())
        best = report.get("best_decode_tps")
        regressions = report.get("regressions")
        rows.append(f"| [{report['day']}]({report['day']}/report.md) | "
                    f"{'-' if regressions is None else regressions or 'none'} | "
                    f"{report['files']} | "
                    f"{f'{best:.1f}' if best else '-'} | {report.get('findings', '-')} | "
                    f"{report.get('recommendations', '-')} | "
                    f"{report.get('backend') or '-'} / {report.get('model') or '-'} | "
                    f"{report.get('narrative', '-')} |")
    index = reports_dir / "index.md"
    index.write_text("# Benchmark reports\n\n[Whole-corpus roll-up](rollup.md)\n\n"
                     "| day | regressions | files | best mean decode tok/s | findings "
                     "| recommendations | backend / model | narrative |\n"
                     "|---|---|---|---|---|---|---|---|\n"
                     + "\n".join(rows) + "\n")
    return index


def write_rollup(con: duckdb.DuckDBPyConnection, reports_dir: Path) -> Path:
    """``rollup.md``: the whole-corpus view the original tool tried to give, but true."""
    files = con.execute("""SELECT folder, type, count(*), sum(size_bytes) FROM artifact_files
                           GROUP BY ALL ORDER BY ALL""").fetchall()
    status = con.execute("""SELECT parse_status, count(*) FROM artifact_files
                            GROUP BY 1 ORDER BY 1""").fetchall()
    scanned = dict(con.execute("""SELECT type, count(*) FROM artifact_files
                                  WHERE folder IN ('reports', 'csv_data') GROUP BY 1""").fetchall())
    days = con.execute("SELECT count(DISTINCT partition), min(partition), max(partition) "
                       "FROM artifact_files").fetchone()
    models = con.execute(f"""
        WITH runs AS ({ALL_RUNS_SQL})
        SELECT coalesce(model, 'unknown model'), suite, count(*), count(*) FILTER (WHERE NOT ok),
               avg(decode_tps) FILTER (WHERE ok), avg(ttft_s) FILTER (WHERE ok)
        FROM runs GROUP BY ALL ORDER BY ALL""").fetchall()
    lines = [
        "# Whole-corpus roll-up", "",
        f"{days[0]} benchmark days, {days[1]} to {days[2]}. Every figure is computed from the "
        "warehouse over all partitions.", "",
        "## Files", "", "| folder | type | files | bytes |", "|---|---|---|---|",
        *[f"| {f} | {t} | {n} | {b:,} |" for f, t, n, b in files],
        f"| **total** | | {sum(r[2] for r in files)} | {sum(r[3] for r in files):,} |", "",
        f"Under reports/ plus csv_data/: {scanned.get('csv', 0)} CSV, "
        f"{scanned.get('json', 0)} JSON, {scanned.get('md', 0)} Markdown.", "",
        "Parse status: " + ", ".join(f"{s} {n}" for s, n in status), "",
        "## LLM requests by model and suite", "",
        "| model | suite | requests | failed | mean decode tok/s | mean TTFT s |",
        "|---|---|---|---|---|---|",
        *[f"| {m} | {s} | {n} | {f} | {_num(tps, 1)} | {_num(ttft, 3)} |"
          for m, s, n, f, tps, ttft in models], "",
        "## Cross-tool leaderboard", "",
        "Best mean throughput per model and test over all days, with the tool and hardware "
        "that measured it (`benchmark_results`).", "",
        "| model | test | best tok/s | measure | tool | engine / hardware | day |",
        "|---|---|---|---|---|---|---|",
        *[_leader_line(r) for r in leaderboard(con)], "",
    ]
    path = reports_dir / "rollup.md"
    path.write_text("\n".join(lines))
    return path


def _leader_line(row: dict) -> str:
    test = (row["test"] or "-") + (f" ({row['config']})" if row["config"] else "")
    where = (row["engine"] or "-") + (f" / {row['hardware']}" if row["hardware"] else "")
    return (f"| {row['model']} | {test} | {_num(row['value'], 1)} | {row['metric']} | "
            f"{row['tool']} | {where} | {row['partition']} |")


def _num(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"
