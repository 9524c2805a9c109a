"""Sweeps' best configs and compile time / latency per backend."""

from __future__ import annotations

import duckdb

from chimera_pipeline.lib.facts.llm_stats import RUNS_SQL
from chimera_pipeline.lib.facts.model import PRIORITY_COMPILE, PRIORITY_HEADLINE, Fact


def sweep_facts(con: duckdb.DuckDBPyConnection, partition: str) -> list[Fact]:
    """For each parameter sweep (model), the config with the highest mean decode tokens/s."""
    rows = con.execute(f"""
        WITH runs AS ({RUNS_SQL}),
        per_config AS (
            SELECT model, config_name, avg(decode_tps) AS tps, count(*) AS n
            FROM runs WHERE suite = 'param_tuning' AND ok AND config_name IS NOT NULL
            GROUP BY ALL)
        SELECT model, arg_max(config_name, tps), max(tps), count(*) FROM per_config
        GROUP BY model ORDER BY model
    """, {"partition": partition}).fetchall()
    facts = []
    for model, config, tps, configs in rows:
        model = model or "unknown model"
        where = (f"llm_runs WHERE partition='{partition}' AND suite='param_tuning' "
                 f"AND model='{model}'")
        facts.append(Fact(f"sweep.{model}.best_config", f"{model} sweep: best config", None, None,
                          "sweep", PRIORITY_HEADLINE, where, model, "best_config", text=config))
        facts.append(Fact(f"sweep.{model}.best_decode_tps",
                          f"{model} sweep: best config {config} mean decode tokens/s", tps,
                          "tok/s", "sweep", PRIORITY_HEADLINE, where, f"{model} {config}",
                          "decode_tps"))
        facts.append(Fact(f"sweep.{model}.configs", f"{model} sweep: configs measured", configs,
                          "count", "sweep", PRIORITY_HEADLINE + 5, where, model, "configs"))
    return facts


def compile_facts(con: duckdb.DuckDBPyConnection, partition: str) -> list[Fact]:
    rows = con.execute("""
        SELECT bench_id, backend, ok, compile_time_s, mean_ms, error
        FROM compile_benchmarks WHERE partition = ? ORDER BY bench_id, backend
    """, [partition]).fetchall()
    facts = []
    for bench, backend, ok, compile_s, mean_ms, error in rows:
        key, subject = f"compile.{bench}.{backend}", f"{bench} {backend}"
        where = (f"compile_benchmarks WHERE partition='{partition}' AND bench_id='{bench}' "
                 f"AND backend='{backend}'")
        if compile_s is not None:
            facts.append(Fact(f"{key}.compile_time_s", f"{subject}: compile time", compile_s, "s",
                              "compile", PRIORITY_COMPILE, where, subject, "compile_time_s"))
        if ok:
            facts.append(Fact(f"{key}.mean_ms", f"{subject}: mean latency", mean_ms, "ms",
                              "compile", PRIORITY_COMPILE, where, subject, "mean_ms"))
        else:
            facts.append(Fact(f"{key}.failed", f"{subject}: failed, no latency measured", None,
                              None, "compile", PRIORITY_COMPILE, where, subject, "status",
                              text=f"failed: {(error or 'no measurement')[:120]}"))
    return facts
