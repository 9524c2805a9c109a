"""SQL behind the asset checks (Dagster-free, so they can be tested on any warehouse)."""

from __future__ import annotations

import datetime as dt

import duckdb

from chimera_pipeline.lib.store.schema import TABLES
from chimera_pipeline.lib.store.warehouse import fetch_dicts

# a check's window: its first and last day, and the days of that range it covers (None: all)
Window = tuple[str, str, "list[str] | None"]
IN_WINDOW = ("partition BETWEEN $first AND $last "
             "AND coalesce(list_contains($days::VARCHAR[], partition), true)")


def window_params(window: Window) -> dict:
    """The named parameters of :data:`IN_WINDOW`."""
    first, last, *days = window
    return {"first": first, "last": last, "days": days[0] if days else None}


NON_NEGATIVE = {
    "llm_runs": ("ttft_s", "decode_tps", "prefill_tps", "e2e_tps", "load_s", "prompt_eval_s",
                 "eval_s", "total_s"),
    "compile_benchmarks": ("compile_time_s", "mean_ms", "std_ms", "min_ms", "max_ms"),
    "timing_baselines": ("mean_ms", "stdev_ms", "min_ms", "max_ms", "p50_ms", "p95_ms", "p99_ms"),
    "llm_calls": ("ttft_s", "decode_tps", "prefill_tps", "load_s", "prompt_eval_s", "eval_s",
                  "total_s"),
    "benchmark_requests": ("ttft_s", "itl_s", "tpot_s", "e2e_latency_s", "output_tps",
                           "decode_tps", "prefill_tps", "load_s", "input_tokens",
                           "output_tokens"),
}


def schema_problems(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> list[str]:
    """Columns missing from, or typed differently than, the warehouse contract."""
    problems = []
    for table in tables:
        actual = dict(con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
            [table]).fetchall())
        for column, typ, _ in TABLES[table]:
            if actual.get(column) != typ:
                problems.append(f"{table}.{column}: expected {typ}, found {actual.get(column)}")
    return problems


def negative_values(con: duckdb.DuckDBPyConnection, window: Window) -> dict[str, int]:
    counts = {}
    for table, columns in NON_NEGATIVE.items():
        condition = " OR ".join(f"{c} < 0" for c in columns)
        counts[table] = con.execute(
            f"SELECT count(*) FROM {table} WHERE {IN_WINDOW} AND ({condition})",
            window_params(window)).fetchone()[0]
    return counts


def error_rate(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[int, int]:
    """(failed, total) LLM request rows in the window."""
    return con.execute("SELECT count(*) FILTER (WHERE NOT ok), count(*) FROM llm_runs "
                       f"WHERE {IN_WINDOW}", window_params(window)).fetchone()


def duplicate_rows(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[int, int]:
    """(catalog rows listed twice, exact-duplicate files) in the window."""
    twice = con.execute(f"""SELECT count(*) FROM (SELECT path FROM artifact_files
                            WHERE {IN_WINDOW} GROUP BY path HAVING count(*) > 1)""",
                        window_params(window)).fetchone()[0]
    copies = con.execute(f"SELECT count(*) FROM artifact_files WHERE {IN_WINDOW} "
                         "AND duplicate_of IS NOT NULL", window_params(window)).fetchone()[0]
    return twice, copies


def days_since_latest(con: duckdb.DuckDBPyConnection, today: dt.date) -> int | None:
    latest = con.execute("SELECT max(benchmark_date) FROM artifact_files").fetchone()[0]
    return None if latest is None else (today - latest).days


def grounding(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[int, int, int]:
    """(verified, typed, published unverified): every quantity the model typed in the window,
    published or left out (rejected answers included), how many a fact backs, and how many
    unverified ones were published anyway (only CHIMERA_LLM_MARK_UNVERIFIED publishes any)."""
    typed, verified, published_unverified = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE verified), "
        "count(*) FILTER (WHERE NOT verified AND coalesce(published, true)) FROM report_claims "
        f"WHERE {IN_WINDOW}", window_params(window)).fetchone()
    return verified, typed, published_unverified


def latest_night(con: duckdb.DuckDBPyConnection) -> Window | None:
    """The newest day with facts, as a window: what a regression check run on its own (no
    partition tags) judges, instead of every regression the warehouse ever held."""
    latest = con.execute("SELECT max(partition) FROM facts").fetchone()[0]
    return None if latest is None else (latest, latest, None)


def alerts_in_window(con: duckdb.DuckDBPyConnection, window: Window
                     ) -> dict[str, list[dict]]:
    """The ``alerts`` rows of each day in the window, in rank order."""
    days: dict[str, list[dict]] = {}
    for row in fetch_dicts(con, f"SELECT * FROM alerts WHERE {IN_WINDOW} "
                           "ORDER BY partition, rank", window_params(window)):
        days.setdefault(row["partition"], []).append(row)
    return days
