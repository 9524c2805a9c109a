"""Every tool's results of a day in one table, and the best throughput per model and test
over all days (the cross-tool leaderboard), read from ``benchmark_results``."""

from __future__ import annotations

import duckdb

from chimera_pipeline.lib.facts.tools import RESULTS_SQL, SERIES
from chimera_pipeline.lib.store.warehouse import fetch_dicts

# the throughput a series is headlined by, in order of preference
THROUGHPUTS = ("output_tps", "decode_tps", "prefill_tps", "total_tps")
_SERIES = "tool, model, engine, hardware, test, config"
_COLUMNS = {  # report column -> (metric, stats accepted, first one present wins)
    "ttft_mean": ("ttft", ("mean", "value")), "ttft_p50": ("ttft", ("p50", "median")),
    "ttft_p99": ("ttft", ("p99",)), "itl_mean": ("itl", ("mean", "value")),
    "latency_mean": ("e2e_latency", ("mean", "value")), "latency_p99": ("e2e_latency", ("p99",)),
    "completed": ("completed", ("value",)), "failed": ("failed", ("value",)),
    "error_rate": ("error_rate", ("value",)),
}


def _results(where: str) -> str:
    """The day's (or all days') results, every tool, a run written twice counted once."""
    return RESULTS_SQL.replace("AND tool <> 'chimeraforge'", "").format(where=where)


def comparison_rows(con: duckdb.DuckDBPyConnection, day: str) -> list[dict]:
    """One row per series (tool, model, engine, hardware, test, config) measured on ``day``."""
    cells = fetch_dicts(con, f"""
        WITH r AS ({_results("partition = $day")})
        SELECT {_SERIES}, metric, stat, avg(value) AS value,
               bool_or(status = 'failed') AS failed_run
        FROM r GROUP BY ALL""", {"day": day})
    rows: dict[tuple, dict] = {}
    for cell in cells:
        key = tuple(cell[c] for c in SERIES)
        row = rows.setdefault(key, {c: cell[c] for c in SERIES} | {"values": {},
                                                                   "failed_run": False})
        row["values"][(cell["metric"], cell["stat"])] = cell["value"]
        row["failed_run"] |= bool(cell["failed_run"])
    out = []
    for key in sorted(rows, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        row = rows[key]
        values = row.pop("values")
        for metric in THROUGHPUTS:
            found = values.get((metric, "mean"), values.get((metric, "value")))
            if found is not None:
                row["throughput"], row["throughput_metric"] = found, metric
                break
        else:
            row["throughput"] = row["throughput_metric"] = None
        for column, (metric, stats) in _COLUMNS.items():
            row[column] = next((values[(metric, s)] for s in stats if (metric, s) in values), None)
        out.append(row)
    return out


def leaderboard(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Per model and test: the best mean throughput any tool measured, with the tool,
    engine, hardware and day that measured it."""
    preference = ", ".join(f"'{m}'" for m in THROUGHPUTS)
    return fetch_dicts(con, f"""
        WITH r AS ({_results("true")}),
        best AS (SELECT partition, {_SERIES}, metric, avg(value) AS value FROM r
                 WHERE status = 'ok' AND stat IN ('mean', 'value')
                   AND metric IN ({preference}) GROUP BY ALL),
        headline AS (SELECT * FROM best QUALIFY row_number() OVER (
            PARTITION BY partition, {_SERIES}
            ORDER BY list_position([{preference}], metric)) = 1)
        SELECT coalesce(model, 'unknown model') AS model, test, metric, value, tool, engine,
               hardware, config, partition
        FROM headline QUALIFY row_number() OVER (
            PARTITION BY model, test, metric ORDER BY value DESC, partition, tool) = 1
        ORDER BY model, test, metric""")
