"""Per model and config: request count, error rate, decode tokens/s and TTFT statistics.

Failed requests count in the error rate and nowhere else. Rows that record the same
measurement twice (a baseline CSV and its JSON twin) are counted once, by
``measurement_key``.
"""

from __future__ import annotations

import duckdb

from chimera_pipeline.lib.facts.model import PRIORITY_CONFIG, PRIORITY_MODEL, Fact, shorten
from chimera_pipeline.lib.store.warehouse import fetch_dicts

_STATS = (("mean", "avg({c})"), ("std", "stddev_samp({c})"), ("p50", "quantile_cont({c}, 0.5)"),
          ("p90", "quantile_cont({c}, 0.9)"), ("p95", "quantile_cont({c}, 0.95)"),
          ("p99", "quantile_cont({c}, 0.99)"), ("min", "min({c})"), ("max", "max({c})"))
_METRICS = (("decode_tps", "decode tokens/s", "tok/s"), ("ttft_s", "TTFT", "s"))

RUNS_SQL = """
    SELECT * FROM llm_runs WHERE partition = $partition
    QUALIFY row_number() OVER (PARTITION BY measurement_key ORDER BY source_file, source_row) = 1
"""


def _select_list() -> str:
    parts = []
    for column, _, _ in _METRICS:
        for name, template in _STATS:
            expr = template.format(c=column)
            parts.append(f"{expr} FILTER (WHERE ok) AS {column}_{name}")
    return ", ".join(parts)


def stats_rows(con: duckdb.DuckDBPyConnection, partition: str) -> list[dict]:
    """One row per (model, suite) and per (model, suite, config)."""
    sql = f"""
        WITH runs AS ({RUNS_SQL})
        SELECT coalesce(model, 'unknown model') AS model, suite,
               coalesce(config_name, 'all') AS config, GROUPING(config_name) AS whole_suite,
               count(*) AS requests, count(*) FILTER (WHERE NOT ok) AS failed,
               {_select_list()}
        FROM runs
        GROUP BY GROUPING SETS ((model, suite), (model, suite, config_name))
        ORDER BY model, suite, config
    """
    rows = fetch_dicts(con, sql, {"partition": partition})
    top = {(m, s): e for m, s, e in con.execute(f"""
        WITH runs AS ({RUNS_SQL}),
        errors AS (SELECT coalesce(model, 'unknown model') AS model, suite, error,
                          count(*) AS n FROM runs WHERE NOT ok GROUP BY ALL)
        SELECT model, suite, error FROM errors
        QUALIFY row_number() OVER (PARTITION BY model, suite ORDER BY n DESC, error) = 1
        """, {"partition": partition}).fetchall()}
    for row in rows:  # the most common error; a tie goes to the first in sort order
        row["top_error"] = top.get((row["model"], row["suite"]))
    # a suite without configs gives the same group twice; keep the whole-suite one
    return [r for r in rows if r["whole_suite"] or r["config"] != "all"]


def llm_facts(con: duckdb.DuckDBPyConnection, partition: str) -> list[Fact]:
    facts = []
    for row in stats_rows(con, partition):
        whole = bool(row["whole_suite"])
        scope = f"{row['model']} {row['suite']}" + ("" if whole else f" {row['config']}")
        key = f"llm.{row['model']}.{row['suite']}" + ("" if whole else f".{row['config']}")
        where = (f"llm_runs WHERE partition='{partition}' AND model='{row['model']}' "
                 f"AND suite='{row['suite']}'"
                 + ("" if whole else f" AND config_name='{row['config']}'"))
        priority = PRIORITY_MODEL if whole else PRIORITY_CONFIG
        subject = row["model"] if whole else f"{row['model']} {row['config']}"

        context = row["suite"] if whole else None

        def add(metric: str, label: str, value: float | None, unit: str, p: int = priority,
                key: str = key, scope: str = scope, where: str = where,
                subject: str = subject, context: str | None = context) -> None:
            if value is not None:
                facts.append(Fact(f"{key}.{metric}", f"{scope}: {label}", float(value), unit,
                                  "performance", p, where, subject, metric, context=context))

        add("requests", "requests", row["requests"], "requests")
        add("error_rate", "error rate", 100.0 * row["failed"] / row["requests"], "%")
        if whole and row["failed"]:
            add("failed", "failed requests", row["failed"], "requests")
            facts.append(Fact(f"{key}.top_error", f"{scope}: most common error", None, None,
                              "performance", priority, f"{where} AND NOT ok", subject,
                              "top_error", text=shorten(row["top_error"] or "no error text"),
                              context=context))
        for column, label, unit in _METRICS:
            for name, _ in _STATS:
                add(f"{column}.{name}", f"{label} {name}", row[f"{column}_{name}"], unit,
                    priority + (0 if name == "mean" else 5))
    return facts
