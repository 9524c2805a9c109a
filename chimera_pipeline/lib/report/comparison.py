"""Every tool's results of a day in one table, and the best throughput per model and test
over all days (the cross-tool leaderboard), read from ``benchmark_results``."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from chimera_pipeline.lib.facts.tools import RESULTS_SQL, SERIES
from chimera_pipeline.lib.store.warehouse import fetch_dicts

# the throughput a series is headlined by, in order of preference
THROUGHPUTS = ("output_tps", "decode_tps", "prefill_tps", "total_tps")
_SERIES = "tool, model, engine, hardware, test, config"
# the latencies shown, each with its mean and the configured percentiles (report label, digits)
LATENCIES = {"ttft": ("TTFT", 3), "itl": ("ITL", 4), "e2e_latency": ("latency", 3)}
_COUNTS = {"completed": ("completed", ("value",)), "failed": ("failed", ("value",)),
           "error_rate": ("error_rate", ("value",))}


def _stats_of(percentile: str) -> tuple[str, ...]:
    """The stats a percentile column accepts: p50 is also the tools' ``median``."""
    return (percentile, "median") if percentile == "p50" else (percentile,)


def columns(percentiles: Sequence[str]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Report column -> (metric, stats accepted, the first one present wins): each latency's
    mean, then each of ``percentiles`` (``CHIMERA_PERCENTILES``), then the request counts."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for metric in LATENCIES:
        found[f"{metric}.mean"] = (metric, ("mean", "value"))
        for percentile in percentiles:
            found[f"{metric}.{percentile}"] = (metric, _stats_of(percentile))
    return found | _COUNTS


def shown_columns(rows: list[dict], percentiles: Sequence[str]) -> list[dict]:
    """The latency columns of the day's table: every mean, and a percentile only where some
    tool of the day wrote it (or it was computed from the requests), so the table shows the
    percentiles the tools wrote and no column that is empty on every row."""
    shown = []
    for metric, (label, digits) in LATENCIES.items():
        for stat in ("mean", *percentiles):
            key = f"{metric}.{stat}"
            if stat == "mean" or any(r["values"].get(key) is not None for r in rows):
                shown.append({"key": key, "label": f"{label} {stat}", "digits": digits})
    return shown


def _results(where: str) -> str:
    """The day's (or all days') results, every tool, a run written twice counted once."""
    return RESULTS_SQL.replace("AND tool <> 'chimeraforge'", "").format(where=where)


def comparison_rows(con: duckdb.DuckDBPyConnection, day: str,
                    percentiles: Sequence[str] = ("p50", "p90", "p95", "p99")) -> list[dict]:
    """One row per series (tool, model, engine, hardware, test, config) measured on ``day``;
    ``values`` holds each latency's mean and ``percentiles`` where present (`shown_columns`)."""
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
        found = {column: next((values[(metric, s)] for s in stats if (metric, s) in values),
                              None)
                 for column, (metric, stats) in columns(percentiles).items()}
        row["values"] = found
        row.update((column, found[column]) for column in _COUNTS)
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
            PARTITION BY model, test, metric
            ORDER BY value DESC, partition, {_SERIES}) = 1
        ORDER BY model, test, metric""")
