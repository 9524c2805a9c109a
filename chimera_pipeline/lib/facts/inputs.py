"""What a day's facts are computed from, as one digest: a day whose digest is the one stored
with its facts (``facts_inputs``) would be given the same facts and findings again, so the
facts stage keeps them instead of computing them (``findings.build``).

Why: a night that arrives late, or gains files, is judged again with the nights after it
(``incremental.staleness.dependents``), and so are those nights' facts; most of them read
nothing that changed, and their facts are most of such a run's work.

A day's facts read its own rows and four things of other days. The digest covers its own
rows by a hash of every row the day holds in the inventory and in each measurement table the
facts read (a test fails when their code queries another), and the others by their values as
the producers are given them (:class:`CrossDay`): each series' previous night (the changes'
pairs, with that night's statistics), a tool run's most common error (its requests may be
filed under another day), the latest benchmark date as of the day, and the nights'
verdicts (judged over the history). Then the code and the settings that turn them into
facts and findings: any edit to the library, or another of those settings, computes every
day again.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from chimera_pipeline.lib.common.code import code_digest
from chimera_pipeline.lib.config import Settings, load_settings
from chimera_pipeline.lib.facts.changes import (
    Alerts,
    change_rows,
    tool_change_rows,
    verdicts_of,
)
from chimera_pipeline.lib.facts.inventory import latest_dates
from chimera_pipeline.lib.facts.tools import top_errors
from chimera_pipeline.lib.store.schema import METRIC_TABLES, TABLES

# the settings the facts and findings read (``test_facts_kept`` finds every setting their code
# reads among them): hashing others (a webhook, a worker count) would make a run launched
# with another environment, the daemon's or the CLI's, compute every day again
SETTINGS = ("percentiles", "regression_history", "regression_min_history", "regression_fdr",
            "regression_min_change", "regression_confirm_z")
# every table a day's facts read their own rows from (``test_facts_kept`` finds each table
# the facts' and findings' code queries among them): ``metric_values`` is not read, and its
# scan would fill DuckDB's buffers with a year's numbers; a file's numbers there follow
# from its inventory row (sha256, parser version, the count of values it loaded)
OWN_TABLES = ("artifact_files", *(t for t in METRIC_TABLES if t != "metric_values"))
_DAYS = "partition IN (SELECT unnest($days::VARCHAR[]))"


@dataclass
class CrossDay:
    """What ``days``' facts read of other days, computed once: the producers are given these
    (``facts.compute_parts``), and each day's digest is made of them."""

    pairs: list[tuple]  # ``change_rows``: the partition is the fifth value
    tool_pairs: list[tuple]  # ``tool_change_rows``: the partition is the first
    errors: dict[tuple[str, str], str]  # ``top_errors``: (day, series key) -> error
    latest: dict[str, object]  # ``latest_dates``
    verdicts: dict[tuple[str, str, str], str]  # ``verdicts_of``: (day, series, metric)

    def only(self, days: Sequence[str]) -> CrossDay:
        """The part of these that ``days`` read."""
        wanted = set(days)
        return CrossDay([r for r in self.pairs if r[4] in wanted],
                        [r for r in self.tool_pairs if r[0] in wanted],
                        {k: v for k, v in self.errors.items() if k[0] in wanted},
                        {k: v for k, v in self.latest.items() if k in wanted},
                        {k: v for k, v in self.verdicts.items() if k[0] in wanted})


def cross_day(con: duckdb.DuckDBPyConnection, days: Sequence[str], alerts: Alerts
              ) -> CrossDay:
    """What ``days`` read of other days; ``alerts``, their judged alerts (``day_alerts``)."""
    days = sorted(set(days))
    if not days:
        return CrossDay([], [], {}, {}, {})
    return CrossDay(list(change_rows(con, days)), list(tool_change_rows(con, days)),
                    top_errors(con, days), latest_dates(con, days),
                    verdicts_of(con, days, alerts))


def _code_digest() -> bytes:
    """The library's code (every module: a fact's text may come from anywhere in it) and
    the libraries and interpreter that compute with it; read as this module is imported,
    so a long-lived worker's digest is of the code it runs, not of files updated since."""
    import numpy
    import scipy

    # a sweep's "gain or within noise" is a scipy t-test's
    return code_digest(["."], (duckdb.__version__, pa.__version__, numpy.__version__,
                               scipy.__version__)).digest()


_CODE = _code_digest()


def facts_version(settings: Settings | None = None) -> str:
    """Digest of the code and the settings that turn a day's inputs into its facts."""
    settings = settings or load_settings()
    chosen = [(name, repr(getattr(settings, name))) for name in SETTINGS]
    return hashlib.sha256(_CODE + repr(chosen).encode()).hexdigest()[:16]


def _row_hash(table: str) -> str:
    """A row's hash: DuckDB's hash of a double does not tell -0.0 from 0.0 (nor the sign of
    a NaN), which a fact's display does, so each double's sign bit is hashed with the row."""
    signs = [f"signbit(t.\"{name}\")" for name, kind, _ in TABLES[table] if kind == "DOUBLE"]
    return f"hash({', '.join(['t', *signs])})"


def _own_rows(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> dict[str, list]:
    """Per day, each table's row count and the sum of its rows' hashes (a sum, not an xor:
    two equal rows must not cancel out). Two sets of rows of one count and one sum of 64-bit
    hashes are taken for the same: a chance this digest accepts."""
    union = " UNION ALL ".join(
        f"SELECT partition, '{table}' AS name, count(*) AS n, "
        f"sum({_row_hash(table)})::VARCHAR AS h FROM {table} AS t WHERE {_DAYS} "
        "GROUP BY partition" for table in OWN_TABLES)
    found: dict[str, list] = defaultdict(list)
    for day, name, count, summed in con.execute(f"{union} ORDER BY ALL",
                                                {"days": list(days)}).fetchall():
        found[day].append((name, count, summed))
    return found


def digests(con: duckdb.DuckDBPyConnection, days: Sequence[str], cross: CrossDay,
            version: str | None = None) -> dict[str, str]:
    """Each of ``days``' digest: its own rows, what it reads of other days (``cross``,
    :func:`cross_day` of these days) and the facts' version."""
    version = version or facts_version()
    parts: dict[str, dict[str, list]] = {day: defaultdict(list) for day in days}
    for day, own in _own_rows(con, days).items():
        parts[day]["own"] = own
    for row in cross.pairs:
        parts[row[4]]["pairs"].append(row)
    for row in cross.tool_pairs:
        parts[row[0]]["tool_pairs"].append(row)
    for (day, key), error in cross.errors.items():
        parts[day]["errors"].append((key, error))
    for (day, series, metric), verdict in cross.verdicts.items():
        parts[day]["verdicts"].append((series, metric, verdict))
    found = {}
    for day in days:
        part = parts[day]
        payload = (version, part["own"], repr(cross.latest.get(day)), part["pairs"],
                   part["tool_pairs"], sorted(part["errors"]), sorted(part["verdicts"]))
        found[day] = hashlib.sha256(repr(payload).encode()).hexdigest()
    return found


_STORED = f"""
    SELECT i.partition, i.digest FROM facts_inputs AS i
    WHERE i.{_DAYS}
      AND i.facts = (SELECT count(*) FROM facts AS f WHERE f.partition = i.partition)
      AND i.findings = (SELECT count(*) FROM findings AS g WHERE g.partition = i.partition)
    QUALIFY count(*) OVER (PARTITION BY i.partition) = 1  -- two digests: computed again
"""


def current_digests(con: duckdb.DuckDBPyConnection, days: Sequence[str], version: str) -> int:
    """How many of ``days`` hold a digest of this facts ``version`` (after an upgrade, none)."""
    try:
        return con.execute(f"SELECT count(DISTINCT partition) FROM facts_inputs WHERE {_DAYS} "
                           "AND version = $version", {"days": list(days), "version": version}
                           ).fetchone()[0]
    except duckdb.CatalogException:
        return 0


def stored(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> dict[str, str]:
    """The digests the days' facts were computed from, of the days that still hold the facts
    and findings written with them (rows lost since are computed again); none in a
    warehouse written before digests were kept, opened read-only."""
    try:
        return dict(con.execute(_STORED, {"days": list(days)}).fetchall())
    except duckdb.CatalogException:
        return {}
