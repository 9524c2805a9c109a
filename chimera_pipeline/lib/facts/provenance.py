"""A fact's provenance: one read-only query over the warehouse that returns the fact's value.

The ``facts`` table says where each number came from as SQL a reader can run as it stands
(``chimera query "<provenance>"``): one row, its first column the fact's value (``value``, or
``text_value`` for a label), later columns the inputs behind it where that helps (the two
means of a change). So a provenance carries every filter the computation applies (the
measurement de-duplication, ``ok``, the config, the suite) and no more; a statement a reader
had to complete by hand would be a description, not a provenance.

The producers compute many days in one set-based pass; these builders write the same
computation for one fact. Every value written into the text goes through
:func:`~chimera_pipeline.lib.common.sql.sql_literal`: a model or path may hold any character.
"""

from __future__ import annotations

from collections.abc import Sequence

from chimera_pipeline.lib.common.sql import all_of, equals, in_list, sql_literal

# the characters Python's str.split() splits on, as an RE2 class: ``shorten`` collapses them
_WHITESPACE = (r"[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}"
               r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]+")
UNNAMED = "unknown model"  # the model of rows that name none (llm_stats, changes)


def shortened(expr: str, limit: int = 120) -> str:
    """SQL for :func:`.model.shorten` of ``expr``: one line, cut at a word before ``limit``
    characters with an ellipsis, so a text fact's provenance returns its text exactly."""
    line = f"trim(regexp_replace({expr}, '{_WHITESPACE}', ' ', 'g'), ' ')"
    cut = f"rtrim(regexp_replace(left({line}, {limit}), ' [^ ]*$', ''), ' .,;:') || '…'"
    return f"CASE WHEN length({line}) <= {limit} THEN {line} ELSE {cut} END"


def _days(days: Sequence[str]) -> str:
    return equals("partition", days[0]) if len(days) == 1 else in_list("partition", days)


def deduped(table: str, days: Sequence[str], filters: str, key: str, order: str) -> str:
    """``table``'s rows of ``days`` passing ``filters``, one per ``key`` of a day (the first
    by ``order``), as a FROM item named ``{table}_once``: what the producers read."""
    where = all_of(_days(days), filters)
    return (f"(SELECT * FROM {table} WHERE {where} QUALIFY row_number() OVER "
            f"(PARTITION BY partition, {key} ORDER BY {order}) = 1) AS {table}_once")


def runs(days: Sequence[str], ok_only: bool = False) -> str:
    """The requests of ``days``, each measurement once a day (``llm_stats.RUNS_SQL``; the
    changes drop failed requests before de-duplicating, ``ok_only``)."""
    return deduped("llm_runs", days, "ok" if ok_only else "", "measurement_key",
                   "source_file, source_row")


def results(days: Sequence[str]) -> str:
    """The tools' results of ``days``, a run written twice (JSON and CSV) once
    (``tools.RESULTS_SQL``)."""
    return deduped("benchmark_results", days, "tool <> 'chimeraforge'", "run_key, metric, stat",
                   "source_file LIKE '%.csv', source_file")


def select(columns: str, source: str, *conditions: str, tail: str = "") -> str:
    """``SELECT columns FROM source WHERE conditions`` (and ``tail``: GROUP BY, HAVING...)."""
    return f"SELECT {columns} FROM {source} WHERE {all_of(*conditions)}" + (
        f" {tail}" if tail else "")


def labelled(model: str) -> str:
    """The requests whose model reads ``model`` where rows without one read ``unknown
    model``: a series as the changes and the error counts group it."""
    return f"coalesce(model, {sql_literal(UNNAMED)}) = {sql_literal(model)}"


def llm_group(model: str, suite: str | None, config: str | None = None,
              config_default: str | None = None) -> str:
    """The requests of one model (a condition: ``equals("model", ...)`` or
    :func:`labelled`), suite and, when given, config (``config_default``: the name a request
    without a config is grouped as)."""
    config_column = ("config_name" if config_default is None
                     else f"coalesce(config_name, {sql_literal(config_default)})")
    return all_of(model, equals("suite", suite),
                  "" if config is None else equals(config_column, config))


def ratio(first: str, second: str) -> str:
    """The ratio of two facts' values, larger over smaller, from their provenance queries."""
    return (f"SELECT greatest(a.v, b.v) / least(a.v, b.v) AS ratio "
            f"FROM ({first}) AS a(v), ({second}) AS b(v)")


def change(source: str, previous_day: str, day: str, expr: str, *conditions: str,
           verdict: str) -> dict[str, str]:
    """The queries of a change's facts, by key suffix: ``pct`` (the change in % between the
    means of ``expr`` on ``previous_day`` and ``day``, with both means and the alerts'
    ``verdict``, an expression, as its inputs), ``previous`` and ``current`` (each mean)."""
    means = select(f"avg({expr} ORDER BY {expr}) FILTER "
                   f"(WHERE {equals('partition', previous_day)}) AS previous, "
                   f"avg({expr} ORDER BY {expr}) FILTER "
                   f"(WHERE {equals('partition', day)}) AS current",
                   source, *conditions)
    pct = "100 * (current - previous) / abs(previous) AS change_pct"
    return {"pct": f"SELECT {pct}, previous, current, {verdict} AS verdict FROM ({means}) AS m",
            "previous": f"SELECT previous FROM ({means}) AS m",
            "current": f"SELECT current FROM ({means}) AS m"}


def alert_verdict(day: str, series: str, metric: str) -> str:
    """The verdict ``alerts`` holds for a series' metric on ``day`` (``within noise`` when it
    holds none), as a scalar subquery: a change fact's text is the alerts' verdict."""
    found = select("verdict", "alerts", equals("partition", day), equals("series", series),
                   equals("metric", metric), tail="ORDER BY rank DESC LIMIT 1")
    return f"coalesce(({found}), 'within noise')"
