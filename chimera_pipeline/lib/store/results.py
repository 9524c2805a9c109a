"""``benchmark_results`` rows computed in SQL: statistics of request-only runs, and the
project's own Ollama suites (``llm_runs``) in the same measurement model.

Both run inside the metrics write's transaction, after the partitions' staged rows are in,
so the tables can never disagree. Failed requests never enter a statistic; they are
counted. A ``llm_runs`` row recorded twice on one day (a CSV and its JSON twin) counts
once, by its ``measurement_key``, as the project's facts count it. The statements run per
block of days (``BLOCK_DAYS``): the ordered aggregates hold a group's values in memory, and
a year of requests at once would exceed DuckDB's memory limit.
"""

from __future__ import annotations

# per-request column -> (metric, canonical unit)
REQUEST_METRICS = {
    "ttft_s": ("ttft", "s"), "itl_s": ("itl", "s"), "tpot_s": ("tpot", "s"),
    "e2e_latency_s": ("e2e_latency", "s"), "output_tps": ("request_output_tps", "tok/s"),
    "decode_tps": ("decode_tps", "tok/s"), "prefill_tps": ("prefill_tps", "tok/s"),
    "load_s": ("load_time", "s"),
}
LLM_RUN_METRICS = {
    "decode_tps": ("decode_tps", "tok/s"), "prefill_tps": ("prefill_tps", "tok/s"),
    "ttft_s": ("ttft", "s"), "total_s": ("e2e_latency", "s"), "load_s": ("load_time", "s"),
}
# sums in a fixed order: DuckDB adds in parallel, and a float sum's last bits depend on the
# order, so the same data would give a mean differing in the 16th digit from run to run
_STATS = ("avg(v ORDER BY ord) AS mean, median(v) AS median, quantile_cont(v, 0.9) AS p90, "
          "quantile_cont(v, 0.99) AS p99, stddev_samp(v ORDER BY ord) AS std, min(v) AS min, "
          "max(v) AS max, count(v)::DOUBLE AS count")
_PARTITIONS = "partition IN (SELECT unnest($partitions::VARCHAR[]))"


def _case(mapping: dict[str, tuple[str, str]], index: int) -> str:
    whens = " ".join(f"WHEN '{column}' THEN '{pair[index]}'" for column, pair in mapping.items())
    return f"CASE col {whens} END"


def _statistics(source: str, keys: list[str], mapping: dict[str, tuple[str, str]],
                shared: str) -> str:
    """INSERT of every statistic of the ``mapping`` columns per ``keys`` group of ``source``
    (over its ok rows) and of the group's request counts, with the ``shared`` columns; a
    group none of whose requests succeeded is ``failed`` and has only counts."""
    columns, key_list = ", ".join(mapping), ", ".join(keys)
    same = " AND ".join(f"u.{k} IS NOT DISTINCT FROM r.{k}" for k in keys)
    return f"""
    INSERT INTO benchmark_results BY NAME
    WITH src AS ({source}),
    runs AS (SELECT {key_list}, count(*)::DOUBLE AS requests,
                    count(*) FILTER (WHERE ok)::DOUBLE AS completed FROM src GROUP BY ALL),
    long AS (UNPIVOT (SELECT {key_list}, ord, {columns} FROM src WHERE ok)
             ON {columns} INTO NAME col VALUE v),
    agg AS (SELECT {key_list}, col, {_STATS} FROM long GROUP BY ALL),
    stats AS (UNPIVOT agg ON mean, median, p90, p99, std, min, max, count
              INTO NAME stat VALUE value),
    measured AS (SELECT {key_list}, {_case(mapping, 0)} AS metric, stat, value,
                        CASE WHEN stat = 'count' THEN 'count' ELSE {_case(mapping, 1)} END
                            AS unit
                 FROM stats),
    counts AS (UNPIVOT (SELECT {key_list}, requests, completed,
                               requests - completed AS failed,
                               (requests - completed) / requests AS error_rate FROM runs)
               ON requests, completed, failed, error_rate INTO NAME metric VALUE value),
    counted AS (SELECT {key_list}, metric, 'value' AS stat, value,
                       CASE WHEN metric = 'error_rate' THEN 'ratio' ELSE 'count' END AS unit
                FROM counts)
    SELECT u.*, {shared}, CASE WHEN r.completed = 0 THEN 'failed' ELSE 'ok' END AS status,
           true AS derived
    FROM (SELECT * FROM measured UNION ALL BY NAME SELECT * FROM counted) AS u
    JOIN runs AS r ON {same}
    WHERE r.completed > 0 OR u.stat = 'value'
    """


BLOCK_DAYS = 31


def derive_statements() -> list[str]:
    """The SQL statements (parameter ``$partitions``) that add the computed rows."""
    keys = ["partition", "source_file", "run_key", "tool", "model", "test"]
    from_requests = _statistics(
        # one run of a file per model and test (a CSV of several models is several runs)
        f"""SELECT * REPLACE (run_key || coalesce(' ' || model, '') || coalesce(' ' || test, '')
                              AS run_key),
                   row_number() OVER (ORDER BY source_file, request_index) AS ord
            FROM benchmark_requests WHERE {_PARTITIONS} AND NOT has_summary""",
        keys, REQUEST_METRICS,
        "'statistics of benchmark_requests' AS locator, CASE WHEN u.tool = 'ollama' THEN "
        "'ollama' END AS engine, 'computed' AS raw_unit")
    from_runs = _statistics(
        f"""SELECT partition, NULL::VARCHAR AS source_file,
                   'chimeraforge:' || coalesce(model, 'unknown model') || ':' || suite
                       || coalesce(':' || config_name, '') AS run_key,
                   'chimeraforge' AS tool, coalesce(model, 'unknown model') AS model,
                   suite || coalesce(' ' || config_name, '') AS test, ok,
                   row_number() OVER (ORDER BY source_file, source_row) AS ord,
                   {", ".join(LLM_RUN_METRICS)}
            FROM llm_runs WHERE {_PARTITIONS}
            QUALIFY row_number() OVER (PARTITION BY partition, measurement_key
                                       ORDER BY source_file, source_row) = 1""",
        keys, LLM_RUN_METRICS,
        "'llm_runs of the day' AS locator, 'ollama' AS engine, 'computed' AS raw_unit")
    return [from_requests, from_runs]
