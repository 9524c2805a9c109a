"""Sweeps' best configs and compile time / latency per backend."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from chimera_pipeline.lib.common.sql import equals
from chimera_pipeline.lib.facts import provenance
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


class _SweepSources:
    """The provenance of a sweep's facts: the day's successful param_tuning requests (each
    measurement once) of one model (``None``: the rows without one), per config as
    ``sweep_facts`` aggregates them, and the choice of its ``best`` and ``base`` config."""

    def __init__(self, partition: str, model: str | None, best: str, base: str) -> None:
        self.best, self.base = best, base
        self.per_config = provenance.select(
            "config_name, avg(decode_tps ORDER BY decode_tps) AS tps, "
            "stddev_samp(decode_tps ORDER BY decode_tps) AS sd, "
            "count(decode_tps) AS n, "
            "min(source_file || lpad(source_row::VARCHAR, 12, '0')) AS first_seen, "
            "bool_or(lower(config_name) SIMILAR TO '.*(baseline|default).*') AS named",
            provenance.runs([partition]), "suite = 'param_tuning'", "ok",
            "config_name IS NOT NULL", "decode_tps IS NOT NULL", equals("model", model),
            tail="GROUP BY config_name")

    def _config(self, name: str) -> str:
        return f"(SELECT * FROM per_config WHERE {equals('config_name', name)})"

    def of(self, key: str) -> str:
        """The query of the fact ``sweep.<model>.<key>``."""
        body = {
            "best_config": "SELECT config_name FROM per_config ORDER BY tps DESC, config_name "
                           "LIMIT 1",
            "baseline_config": "SELECT config_name FROM per_config "
                               "ORDER BY named DESC, first_seen LIMIT 1",
            "configs": "SELECT count(*) FROM per_config",
            "best_decode_tps": f"SELECT tps, sd, n FROM {self._config(self.best)}",
            "baseline_decode_tps": f"SELECT tps, sd, n FROM {self._config(self.base)}",
            # the verdict (gain or within noise) is a Welch test of these inputs
            "gain_pct": "SELECT 100 * (best.tps - base.tps) / abs(base.tps) AS gain_pct, "
                        "best.tps, best.sd, best.n, base.tps, base.sd, base.n "
                        f"FROM {self._config(self.best)} AS best, "
                        f"{self._config(self.base)} AS base",
        }[key]
        return f"WITH per_config AS ({self.per_config}) {body}"


def sweep_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> DayFacts:
    """For each parameter sweep (model): the config with the highest mean decode tokens/s and
    its gain over the sweep's baseline config, judged by the noise-aware rule.

    The baseline is a config named ``baseline`` or ``default`` when there is one, else the
    sweep's first config in file order: sweep tools start from the settings they vary."""
    rows = con.execute(f"""
        WITH runs AS ({RUNS_SQL}),
        per_config AS (
            SELECT partition, model, config_name, avg(decode_tps ORDER BY decode_tps) AS tps,
                   stddev_samp(decode_tps ORDER BY decode_tps) AS sd,
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
    for partition, name, config, tps, sd, n, configs, base, base_tps, base_sd, base_n in rows:
        facts: list[Fact] = []
        model = name or "unknown model"
        sources = _SweepSources(partition, name, config, base)

        def add(key: str, label: str, value: float | None, unit: str | None, subject: str,
                metric: str, text: str | None = None, bump: int = 0, model: str = model,
                sources: _SweepSources = sources, facts: list[Fact] = facts) -> None:
            facts.append(Fact(f"sweep.{model}.{key}", f"{model} sweep: {label}", value, unit,
                              "sweep", PRIORITY_HEADLINE + bump, sources.of(key), subject,
                              metric, text=text, context="param_tuning"))

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


def _compiled(row: tuple[str, str, str, str], column: str, *conditions: str) -> str:
    """A compile fact's query: the backend's row of the day's file (partition, source_file,
    bench_id, backend); two files of one benchmark on one day are two facts."""
    partition, source, bench, backend = row
    return provenance.select(column, "compile_benchmarks", equals("partition", partition),
                             equals("source_file", source), equals("bench_id", bench),
                             equals("backend", backend), *conditions)


def compile_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> DayFacts:
    rows = con.execute(f"""
        SELECT partition, bench_id, backend, ok, compile_time_s, mean_ms, error, source_file
        FROM compile_benchmarks WHERE {IN_DAYS} ORDER BY partition, bench_id, backend
    """, {"days": list(days)}).fetchall()
    for partition, bench, backend, ok, compile_s, mean_ms, error, source in rows:
        key, subject = f"compile.{bench}.{backend}", f"{bench} {backend}"
        row = (partition, source, bench, backend)
        if compile_s is not None:
            yield partition, Fact(f"{key}.compile_time_s", f"{subject}: compile time",
                                  compile_s, "s", "compile", PRIORITY_COMPILE,
                                  _compiled(row, "compile_time_s"), subject, "compile_time_s",
                                  context=bench)
        if ok:
            yield partition, Fact(f"{key}.mean_ms", f"{subject}: mean latency", mean_ms, "ms",
                                  "compile", PRIORITY_COMPILE, _compiled(row, "mean_ms", "ok"),
                                  subject,
                                  "mean_ms", context=bench)
        else:
            failed = provenance.shortened("coalesce(nullif(error, ''), 'no measurement')")
            yield partition, Fact(f"{key}.failed", f"{subject}: failed, no latency measured",
                                  None, None, "compile", PRIORITY_COMPILE,
                                  _compiled(row, f"'failed: ' || {failed}", "ok IS NOT TRUE"),
                                  subject, "status",
                                  text=f"failed: {shorten(error or 'no measurement')}",
                                  context=bench)


def _timed(partition: str, test: str | None, column: str) -> str:
    """A timing fact's query: an aggregate of the day's overall rows of one baseline."""
    return provenance.select(column, "timing_baselines", equals("partition", partition),
                             "scope = 'overall'", "mean_ms IS NOT NULL",
                             equals("test_name", test))


def timing_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> DayFacts:
    """Per timing baseline (test name): mean latency and its coefficient of variation over
    the day's files of that baseline (scope ``overall`` rows)."""
    rows = con.execute(f"""
        SELECT partition, test_name, avg(mean_ms ORDER BY mean_ms),
               avg(cv_percent ORDER BY cv_percent), count(*)
        FROM timing_baselines WHERE {IN_DAYS} AND scope = 'overall' AND mean_ms IS NOT NULL
        GROUP BY partition, test_name ORDER BY partition, test_name""",
                       {"days": list(days)}).fetchall()
    for partition, test, mean_ms, cv, files in rows:
        yield partition, Fact(f"timing.{test}.mean_ms", f"{test}: mean latency", mean_ms, "ms",
                              "timing", PRIORITY_COMPILE,
                              _timed(partition, test, "avg(mean_ms ORDER BY mean_ms)"),
                              test, "mean_ms", context="timing baselines")
        if cv is not None:
            yield partition, Fact(f"timing.{test}.cv_percent",
                                  f"{test}: coefficient of variation", cv, "%", "timing",
                                  PRIORITY_COMPILE,
                                  _timed(partition, test, "avg(cv_percent ORDER BY cv_percent)"),
                                  test, "cv_percent", context="timing baselines")
        yield partition, Fact(f"timing.{test}.files", f"{test}: baseline files", files, "files",
                              "timing", PRIORITY_COMPILE + 5, _timed(partition, test, "count(*)"),
                              test, "files", context="timing baselines")
