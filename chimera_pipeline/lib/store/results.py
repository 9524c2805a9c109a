"""``benchmark_results`` rows computed in SQL: statistics of request-only runs, and the
project's own Ollama suites (``llm_runs``) in the same measurement model.

Both run inside the metrics write's transaction, after the partitions' staged rows are in,
so the tables can never disagree. Failed requests never enter a statistic; they are
counted. A ``llm_runs`` row recorded twice on one day (a CSV and its JSON twin) counts
once, by its ``measurement_key``, as the project's facts count it.

A file can hold millions of requests of one run, so no statistic holds a group's values
outside what DuckDB can spill to disk: memory stays within DuckDB's ``memory_limit``
whatever the file's size. The statements still run per block of days (``BLOCK_DAYS``), so a
year's backfill sorts and spills less at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from chimera_pipeline.lib.config import load_settings

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
_PARTITIONS = "partition IN (SELECT unnest($partitions::VARCHAR[]))"
# the quantiles always computed: facts and the findings read ``median`` by that name
QUANTILES = {"median": 0.5}
# the narrow tables a statistic is computed from; temporary, so the connection's own
_GROUPS, _VALUES = "derived_groups", "derived_values"


def _case(mapping: dict[str, tuple[str, str]], index: int) -> str:
    whens = " ".join(f"WHEN {number} THEN '{pair[index]}'"
                     for number, pair in enumerate(mapping.values()))
    return f"CASE col {whens} END"


def _exact_sum(source: str, value: str, extra: bool = False) -> str:
    """SELECT of ``gid``, ``col`` and ``total``, the sum of ``value`` over each group of
    ``source``, the same to the last bit in whatever order the rows come; with ``extra``
    also the group's ``n``, ``min`` and ``max`` (from the same pass).

    A float sum depends on the order of its terms, and DuckDB adds in parallel, in the order
    rows happen to be stored (rows of an unchanged file stay in place while others are
    inserted again), so the same values could give a mean differing in its last digits.
    Each finite value is an integer times a power of two (``e``, a binary exponent a little
    below its own, so that the integer is exact however ``log2`` rounds); the integers of
    one exponent add up exactly (HUGEINT) in any order, and the few per-exponent sums are
    then added from the smallest exponent up. Infinities and NaN add up to the same result in
    any order. Nothing holds a group's values: it is a grouped sum, which spills to disk."""
    finite = f"isfinite({value})"
    exponent = (f"CASE WHEN {value} = 0 OR NOT {finite} THEN 0 "
                f"ELSE greatest(floor(log2(abs({value})))::INTEGER - 1, -1000) END")
    inner, outer = ((f", count(*) AS n, min({value}) AS lo, max({value}) AS hi",
                     ", sum(n) AS n, min(lo) AS min, max(hi) AS max") if extra else ("", ""))
    return f"""
    SELECT gid, col, coalesce(sum(s::DOUBLE * pow(2, e - 52) ORDER BY e), 0)
                         + coalesce(sum(odd), 0) AS total{outer}
    FROM (SELECT gid, col, e{inner},
                 sum(CAST({value} * pow(2, -e) * 4503599627370496 AS HUGEINT))
                     FILTER (WHERE {finite}) AS s,
                 sum({value}) FILTER (WHERE NOT {finite}) AS odd
          FROM (SELECT gid, col, {value}, {exponent} AS e FROM {source}) GROUP BY ALL)
    GROUP BY ALL"""


def quantiles(percentiles: Sequence[str]) -> dict[str, float]:
    """Stat name -> quantile: :data:`QUANTILES` and each of ``percentiles`` (``p95`` ->
    0.95, ``p99.9`` -> 0.999, read in decimal so that p95 is the same 0.95 a literal gives);
    ``p50`` is ``median`` under the name the tools that write p50 use."""
    found = dict(QUANTILES)
    for name in percentiles:
        found.setdefault(name, float(Decimal(name.removeprefix("p")) / 100))
    return found


def _quantiles(wanted_quantiles: dict[str, float]) -> str:
    """SELECT of ``gid``, ``col`` and each of ``wanted_quantiles`` (:func:`quantiles`) of the
    values of each group, as ``quantile_cont`` has them (linear between the two nearest
    ranks), from the ranks of a sort. ``quantile_cont`` holds every value of a group in
    memory that cannot spill, so a big enough file would exceed any memory limit; a sort
    spills to disk. Only the ranks the quantiles need leave the sort, however many are
    asked for; each quantile is a column named as its stat (``"p99.9"`` quoted)."""
    position = {f"q{i}": f"(n - 1) * {q!r}" for i, q in enumerate(wanted_quantiles.values())}
    picks = ", ".join(
        f"any_value(v) FILTER (WHERE r = floor({at})) AS {name}_lo, "
        f"any_value(v) FILTER (WHERE r = ceil({at})) AS {name}_hi, "
        f"{at} - floor({at}) AS {name}_d"
        for name, at in position.items())
    wanted = ", ".join(f"{side}({at})" for at in position.values() for side in ("floor", "ceil"))
    values = ", ".join(f"CASE WHEN {name}_d = 0 THEN {name}_lo "
                       f"ELSE {name}_lo + ({name}_hi - {name}_lo) * {name}_d END AS \"{stat}\""
                       for name, stat in zip(position, wanted_quantiles, strict=True))
    return f"""
    SELECT gid, col, {values}
    FROM (SELECT r.gid, r.col, {picks}
          FROM (SELECT gid, col, v,
                       row_number() OVER (PARTITION BY gid, col ORDER BY v) - 1 AS r
                FROM {_VALUES}) AS r
          JOIN sums AS s USING (gid, col)
          WHERE r.r IN ({wanted})
          GROUP BY r.gid, r.col, s.n)"""


def _statistics(source: str, keys: list[str], mapping: dict[str, tuple[str, str]],
                shared: str, wanted_quantiles: dict[str, float]) -> list[str]:
    """Statements adding every statistic of the ``mapping`` columns per ``keys`` group of
    ``source`` (over its ok rows) and the group's request counts, with the ``shared``
    columns; a group none of whose requests succeeded is ``failed`` and has only counts.

    ``source`` is read twice, one statement after the other: once for the groups and their
    counts, once for the values (ok rows, one row per value: group number, column number,
    value), each into a temporary table. Everything after that reads those narrow tables;
    reading ``source`` several times in one statement would hold its window's rows several
    times at once. Every statistic is deterministic (the same rows give the same bits, in
    whatever order they were inserted) and none holds a group's values outside DuckDB's
    memory limit: sums are exact (:func:`_exact_sum`), the standard deviation sums squared
    deviations from that mean the same way (two passes, no cancellation), quantiles come
    from the ranks of a sort (:func:`_quantiles`), which do not depend on the order either.
    A group whose values are all equal has that value as its mean and no spread."""
    key_list = ", ".join(keys)
    same = " AND ".join(f"s.{k} IS NOT DISTINCT FROM g.{k}" for k in keys)
    numbered = ", ".join(f"s.{column} AS \"{number}\"" for number, column in enumerate(mapping))
    names = ", ".join(f'"{number}"' for number in range(len(mapping)))
    stats = ", ".join(f'"{name}"' for name in wanted_quantiles)
    groups = f"""
    CREATE OR REPLACE TEMP TABLE {_GROUPS} AS
    SELECT row_number() OVER (ORDER BY {key_list})::INTEGER AS gid, *
    FROM (SELECT {key_list}, count(*)::DOUBLE AS requests,
                 count(*) FILTER (WHERE ok)::DOUBLE AS completed
          FROM ({source}) GROUP BY ALL)"""
    values = f"""
    CREATE OR REPLACE TEMP TABLE {_VALUES} AS
    SELECT gid, col::UTINYINT AS col, v
    FROM (UNPIVOT (SELECT g.gid, {numbered}
                   FROM ({source}) AS s JOIN {_GROUPS} AS g ON {same} WHERE s.ok)
          ON {names} INTO NAME col VALUE v)"""
    insert = f"""
    INSERT INTO benchmark_results BY NAME
    WITH sums AS MATERIALIZED (
        SELECT gid, col, n, min, max, CASE WHEN min = max THEN min ELSE total / n END AS mean
        FROM ({_exact_sum(_VALUES, "v", extra=True)})),
    deviations AS (SELECT l.gid, l.col, (l.v - m.mean) * (l.v - m.mean) AS d
                   FROM {_VALUES} AS l JOIN sums AS m USING (gid, col)),
    spread AS ({_exact_sum("deviations", "d")}),
    ranked AS ({_quantiles(wanted_quantiles)}),
    agg AS (SELECT gid, col, a.mean, {", ".join(f"b.{q}" for q in stats.split(", "))},
                   CASE WHEN a.n < 2 THEN NULL WHEN a.min = a.max THEN 0
                        ELSE sqrt(c.total / (a.n - 1)) END AS std,
                   a.min, a.max, a.n::DOUBLE AS count
            FROM sums AS a JOIN ranked AS b USING (gid, col) JOIN spread AS c USING (gid, col)),
    stats AS (UNPIVOT agg ON mean, {stats}, std, min, max, count
              INTO NAME stat VALUE value),
    measured AS (SELECT gid, {_case(mapping, 0)} AS metric, stat, value,
                        CASE WHEN stat = 'count' THEN 'count' ELSE {_case(mapping, 1)} END
                            AS unit
                 FROM stats),
    counts AS (UNPIVOT (SELECT gid, requests, completed, requests - completed AS failed,
                               (requests - completed) / requests AS error_rate
                        FROM {_GROUPS})
               ON requests, completed, failed, error_rate INTO NAME metric VALUE value),
    counted AS (SELECT gid, metric, 'value' AS stat, value,
                       CASE WHEN metric = 'error_rate' THEN 'ratio' ELSE 'count' END AS unit
                FROM counts)
    SELECT {", ".join(f"r.{k}" for k in keys)}, u.metric, u.stat, u.value, u.unit, {shared},
           CASE WHEN r.completed = 0 THEN 'failed' ELSE 'ok' END AS status, true AS derived
    FROM (SELECT * FROM measured UNION ALL BY NAME SELECT * FROM counted) AS u
    JOIN {_GROUPS} AS r USING (gid)
    WHERE (r.completed > 0 OR u.stat = 'value') AND r.{_PARTITIONS}"""
    return [groups, values, insert]


def first_of_each_run(table: str, where: str) -> str:
    """FROM-clause of ``table``'s rows matching ``where``, one per run: a run read from two
    files of a day (the same ``measurement_key``) counts once, as read from the first file
    and row. The same rows as ``QUALIFY row_number() OVER (PARTITION BY partition,
    measurement_key ORDER BY source_file, source_row) = 1``, by hashing instead of sorting
    every row by its key, and the first file and row looked up for the repeated keys only:
    a multi-million-request file was sorted for nothing, twice per load. One difference: two
    rows of one key with the same file and row (one row stored twice, which no reader
    writes: a file's rows are numbered) are both kept, where the sort kept either."""
    return f"""(SELECT r.* FROM (SELECT * FROM {table} WHERE {where}) AS r
           ANTI JOIN (
               SELECT d.partition, d.measurement_key,
                      min((d.source_file, d.source_row)) AS first_read
               FROM (SELECT * FROM {table} WHERE {where}) AS d
               SEMI JOIN (SELECT partition, measurement_key FROM {table} WHERE {where}
                          GROUP BY ALL HAVING count(*) > 1) AS k
                   ON d.partition IS NOT DISTINCT FROM k.partition
                      AND d.measurement_key IS NOT DISTINCT FROM k.measurement_key
               GROUP BY ALL) AS d
           ON r.partition IS NOT DISTINCT FROM d.partition
              AND r.measurement_key IS NOT DISTINCT FROM d.measurement_key
              AND (r.source_file, r.source_row) IS DISTINCT FROM d.first_read)"""


def _emptied() -> list[str]:
    """Statements that empty the temporary tables, so that a connection kept open does not
    hold the last block's values (every statement takes ``$partitions``; these ignore it)."""
    return [f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table} "
            "WHERE $partitions::VARCHAR[] IS NULL" for table in (_VALUES, _GROUPS)]


BLOCK_DAYS = 31


def derive_statements(percentiles: Sequence[str] | None = None) -> list[str]:
    """The SQL statements (parameter ``$partitions``) that add the computed rows: every
    statistic, ``median`` and the ``percentiles`` (default: the ``CHIMERA_PERCENTILES``
    setting, so the requests' statistics are the set the tools write)."""
    if percentiles is None:
        percentiles = load_settings().percentiles
    wanted = quantiles(percentiles)
    keys = ["partition", "source_file", "run_key", "tool", "model", "test"]
    from_requests = _statistics(
        # one run of a file per model and test (a CSV of several models is several runs)
        f"""SELECT * REPLACE (run_key || coalesce(' ' || model, '') || coalesce(' ' || test, '')
                              AS run_key)
            FROM benchmark_requests WHERE {_PARTITIONS} AND NOT has_summary""",
        keys, REQUEST_METRICS,
        "'statistics of benchmark_requests' AS locator, CASE WHEN r.tool = 'ollama' THEN "
        "'ollama' END AS engine, 'computed' AS raw_unit", wanted)
    from_runs = _statistics(
        f"""SELECT partition, NULL::VARCHAR AS source_file,
                   'chimeraforge:' || coalesce(model, 'unknown model') || ':' || suite
                       || coalesce(':' || config_name, '') AS run_key,
                   'chimeraforge' AS tool, coalesce(model, 'unknown model') AS model,
                   suite || coalesce(' ' || config_name, '') AS test, ok,
                   {", ".join(LLM_RUN_METRICS)}
            FROM {first_of_each_run("llm_runs", _PARTITIONS)}""",
        keys, LLM_RUN_METRICS,
        "'llm_runs of the day' AS locator, 'ollama' AS engine, 'computed' AS raw_unit", wanted)
    return [*from_requests, *from_runs, *_emptied()]
