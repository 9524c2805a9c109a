"""Sweeps' best configs and compile time / latency per backend."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from chimera_pipeline.lib.facts.llm_stats import RUNS_SQL
from chimera_pipeline.lib.facts.model import (
    IN_DAYS,
    PRIORITY_COMPILE,
    PRIORITY_HEADLINE,
    DayFacts,
    Fact,
    shorten,
)
from chimera_pipeline.lib.facts.regression import within_night


def sweep_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> DayFacts:
    """For each parameter sweep (model): the config with the highest mean decode tokens/s and
    its gain over the sweep's baseline config, judged by the noise-aware rule.

    The baseline is a config named ``baseline`` or ``default`` when there is one, else the
    sweep's first config in file order: sweep tools start from the settings they vary."""
    rows = con.execute(f"""
        WITH runs AS ({RUNS_SQL}),
        per_config AS (
            SELECT partition, model, config_name, avg(decode_tps) AS tps,
                   stddev_samp(decode_tps) AS sd,
                   count(decode_tps) AS n,
                   min(source_file || lpad(source_row::VARCHAR, 12, '0')) AS first_seen,
                   bool_or(lower(config_name) SIMILAR TO '.*(baseline|default).*') AS named
            FROM runs WHERE suite = 'param_tuning' AND ok AND config_name IS NOT NULL
              AND decode_tps IS NOT NULL
            GROUP BY ALL),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY partition, model
                                         ORDER BY tps DESC, config_name) AS best_rank,
                      row_number() OVER (PARTITION BY partition, model
                                         ORDER BY named DESC, first_seen) AS base_rank,
                      count(*) OVER (PARTITION BY partition, model) AS configs
            FROM per_config)
        SELECT b.partition, b.model, b.config_name, b.tps, b.sd, b.n, b.configs,
               z.config_name, z.tps, z.sd, z.n
        FROM ranked b JOIN ranked z ON b.partition = z.partition
                                   AND b.model IS NOT DISTINCT FROM z.model AND z.base_rank = 1
        WHERE b.best_rank = 1 ORDER BY b.partition, b.model
    """, {"days": list(days)}).fetchall()
    for partition, model, config, tps, sd, n, configs, base, base_tps, base_sd, base_n in rows:
        facts: list[Fact] = []
        model = model or "unknown model"
        where = (f"llm_runs WHERE partition='{partition}' AND suite='param_tuning' "
                 f"AND model='{model}'")

        def add(key: str, label: str, value: float | None, unit: str | None, subject: str,
                metric: str, text: str | None = None, bump: int = 0, model: str = model,
                where: str = where, facts: list[Fact] = facts) -> None:
            facts.append(Fact(f"sweep.{model}.{key}", f"{model} sweep: {label}", value, unit,
                              "sweep", PRIORITY_HEADLINE + bump, where, subject, metric,
                              text=text, context="param_tuning"))

        add("best_config", "best config", None, None, model, "best_config", text=config)
        add("best_decode_tps", f"best config {config} mean decode tokens/s", tps, "tok/s",
            f"{model} {config}", "decode_tps")
        add("configs", "configs measured", configs, "count", model, "configs", bump=5)
        if base != config:
            relative, verdict = within_night(base_tps, base_sd, base_n, tps, sd, n)
            add("baseline_config", "baseline config", None, None, model, "baseline_config",
                text=base, bump=5)
            add("baseline_decode_tps", f"baseline config {base} mean decode tokens/s",
                base_tps, "tok/s", f"{model} {base}", "decode_tps", bump=5)
            # a comparison of two configs: both are its subject, the better first
            add("gain_pct", f"best config {config} decode tokens/s over baseline {base}",
                relative, "%", f"{model} {config} vs {model} {base}", "gain_pct",
                text="gain" if verdict == "changed" else "within noise")
        yield from ((partition, fact) for fact in facts)


def compile_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> DayFacts:
    rows = con.execute(f"""
        SELECT partition, bench_id, backend, ok, compile_time_s, mean_ms, error
        FROM compile_benchmarks WHERE {IN_DAYS} ORDER BY partition, bench_id, backend
    """, {"days": list(days)}).fetchall()
    for partition, bench, backend, ok, compile_s, mean_ms, error in rows:
        key, subject = f"compile.{bench}.{backend}", f"{bench} {backend}"
        where = (f"compile_benchmarks WHERE partition='{partition}' AND bench_id='{bench}' "
                 f"AND backend='{backend}'")
        if compile_s is not None:
            yield partition, Fact(f"{key}.compile_time_s", f"{subject}: compile time",
                                  compile_s, "s",
                              "compile", PRIORITY_COMPILE, where, subject, "compile_time_s",
                              context=bench)
        if ok:
            yield partition, Fact(f"{key}.mean_ms", f"{subject}: mean latency", mean_ms, "ms",
                              "compile", PRIORITY_COMPILE, where, subject, "mean_ms",
                              context=bench)
        else:
            yield partition, Fact(f"{key}.failed", f"{subject}: failed, no latency measured", None,
                              None, "compile", PRIORITY_COMPILE, where, subject, "status",
                              text=f"failed: {shorten(error or 'no measurement')}",
                              context=bench)


def timing_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> DayFacts:
    """Per timing baseline (test name): mean latency and its coefficient of variation over
    the day's files of that baseline (scope ``overall`` rows)."""
    rows = con.execute(f"""
        SELECT partition, test_name, avg(mean_ms), avg(cv_percent), count(*)
        FROM timing_baselines WHERE {IN_DAYS} AND scope = 'overall' AND mean_ms IS NOT NULL
        GROUP BY partition, test_name ORDER BY partition, test_name""",
                       {"days": list(days)}).fetchall()
    for partition, test, mean_ms, cv, files in rows:
        where = (f"timing_baselines WHERE partition='{partition}' AND scope='overall' "
                 f"AND test_name='{test}'")
        yield partition, Fact(f"timing.{test}.mean_ms", f"{test}: mean latency", mean_ms, "ms",
                          "timing", PRIORITY_COMPILE, where, test, "mean_ms",
                          context="timing baselines")
        if cv is not None:
            yield partition, Fact(f"timing.{test}.cv_percent", f"{test}: coefficient of variation",
                              cv, "%", "timing", PRIORITY_COMPILE, where, test, "cv_percent",
                              context="timing baselines")
        yield partition, Fact(f"timing.{test}.files", f"{test}: baseline files", files, "files",
                          "timing", PRIORITY_COMPILE + 5, where, test, "files",
                          context="timing baselines")
