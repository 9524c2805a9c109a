"""Facts, findings and alerts of a run's days, computed a block of days at a time and staged
as Parquet, so that a year's backfill holds one block's rows in memory, not the year's; the
caller loads every staged file in one transaction (the days change atomically)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chimera_pipeline.lib.common.memory import collector_paused, give_back_memory
from chimera_pipeline.lib.common.pools import parse_workers
from chimera_pipeline.lib.common.sql import in_list
from chimera_pipeline.lib.facts import compute_parts, fact_rows, fact_table
from chimera_pipeline.lib.facts.ahead import Measured, judged_blocks
from chimera_pipeline.lib.facts.alerts import alert_rows, day_alerts, measured_history
from chimera_pipeline.lib.facts.inputs import (
    cross_day,
    current_digests,
    digests,
    facts_version,
    stored,
)
from chimera_pipeline.lib.facts.regression import Params
from chimera_pipeline.lib.findings import derive, finding_rows
from chimera_pipeline.lib.findings.rules import FactIndex
from chimera_pipeline.lib.store.warehouse import replace_partitions, to_arrow

# days per block: each producer runs once per block, and a block's facts (a few thousand
# per busy day) are what the process holds
BLOCK_DAYS = 31
_KEPT_TABLES = ("facts", "findings", "facts_inputs")


@dataclass
class Staged:
    """The staged Parquet files per table, and what they hold."""

    files: dict[str, list[str]] = field(default_factory=lambda: {
        "facts": [], "findings": [], "alerts": [], "facts_inputs": []})
    facts: int = 0  # of the days computed
    findings: int = 0
    regressions: dict[str, int] = field(default_factory=dict)  # per day that has any
    by_category: Counter = field(default_factory=Counter)
    judged_ahead: bool = False  # the nights judged by a child process (``facts.ahead``)
    kept: list[str] = field(default_factory=list)  # days whose stored facts still hold

    def keep(self) -> dict[str, str]:
        """``replace_partitions``' ``keep``: the kept days' facts, findings and digests stay
        (their alerts, judged again, are replaced)."""
        if not self.kept:
            return {}
        return dict.fromkeys(_KEPT_TABLES, in_list("partition", self.kept))


def write_staged(con: duckdb.DuckDBPyConnection, days: Sequence[str], staged: Staged) -> None:
    """Replace ``days``' facts, findings, alerts and digests with the staged ones, but for
    the days whose facts were kept; in one transaction."""
    replace_partitions(con, days, staged.files, keep=staged.keep())


def stage_facts(con: duckdb.DuckDBPyConnection, days: Sequence[str], staging: Path,
                block_days: int = BLOCK_DAYS, params: Params | None = None,
                judge_ahead: bool | None = None, reuse: bool = True) -> Staged:
    """Compute ``days``' facts and findings block by block into ``staging``. Each day's rows
    become Arrow as soon as its findings are derived: a busy day has thousands of facts,
    and as dicts a block of such days would weigh several times its Arrow form.

    The nights are judged a block at a time (a night's verdict does not depend on the days
    judged with it, ``regression.judge``, and a year's tests at once would be held at once),
    the blocks after the first by a child process ahead of the facts when ``judge_ahead`` (by
    default when parse workers may be started and there are facts to compute meanwhile:
    ``_judge_ahead``) and there are several blocks (``facts.ahead``).

    A day whose inputs are those its stored facts were computed from (``facts.inputs``)
    keeps its facts and findings when ``reuse`` (``Staged.kept``; ``write_staged`` leaves
    them): a night judged again only because an earlier one changed mostly reads nothing
    that did. Its alerts are judged and staged again whatever."""
    params = params or Params()
    version = facts_version()
    days, staged = sorted(set(days)), Staged()
    blocks = [days[start:start + block_days] for start in range(0, len(days), block_days)]
    ahead = (_judge_ahead(con, days, block_days, reuse, version) if judge_ahead is None
             else judge_ahead)
    # collected once a block (``give_back_memory``), not by the collector's passes over
    # every fact the block holds (``collector_paused``)
    with collector_paused(), judged_blocks(measured_history(con, days), blocks, params,
                                           ahead, staging) as judged:
        staged.judged_ahead = judged.in_child
        for number, (block, measured) in enumerate(zip(blocks, judged.blocks, strict=True)):
            _stage_block(con, block, measured, number * block_days, params, staging, staged,
                         version, reuse)
            # what a block freed goes back before the next block, and before the caller's
            # load of every block: otherwise each phase's peak comes on top of the ones before
            # (the young generations hold all the block allocated: ``collector_paused``)
            give_back_memory(1)
    return staged


def _judge_ahead(con: duckdb.DuckDBPyConnection, days: list[str], block_days: int,
                 reuse: bool, version: str) -> bool:
    """Whether a child process judges the blocks after the first: when parse workers may be
    started, and this process has facts to compute while it judges. A day whose digest of
    this ``version`` is stored mostly keeps its facts (a night judged again for an earlier
    one's sake), and with nothing to overlap the child's start costs more than it saves; so
    unless a block's worth of days has none (or every day is computed), they are judged here."""
    if parse_workers() <= 1:
        return False
    return not reuse or len(days) - current_digests(con, days, version) >= block_days


def _stage_block(con: duckdb.DuckDBPyConnection, block: list[str], measured: Measured,
                 start: int, params: Params, staging: Path, staged: Staged, version: str,
                 reuse: bool) -> None:
    """Stage a block's days: the facts of those whose digest (``version``'s) is not the one
    stored, or of every day unless ``reuse``, and the alerts of all."""
    judged = day_alerts(con, block, params, measured=measured)
    tables: dict[str, list[pa.Table]] = {name: [] for name in staged.files}
    for day, alerts in judged.items():
        tables["alerts"].append(to_arrow("alerts", alert_rows(day, alerts)))
        regressed = sum(a.verdict == "regression" for a in alerts)
        if regressed:
            staged.regressions[day] = regressed
    cross = cross_day(con, block, judged)
    now = digests(con, block, cross, version)
    held = stored(con, block) if reuse else {}
    computed = [day for day in block if held.get(day) != now[day]]
    staged.kept += [day for day in block if held.get(day) == now[day]]
    digested = []
    for day, facts, made in compute_parts(con, computed, judged, cross):
        rows = fact_rows(day, facts)
        index = FactIndex(rows, made)
        findings = finding_rows(day, derive(day, index), index.by_id())
        digested.append({"partition": day, "digest": now[day], "version": version,
                         "facts": len(rows) + made.num_rows, "findings": len(findings)})
        staged.facts += len(rows) + made.num_rows
        staged.findings += sum(f["role"] == "finding" for f in findings)
        staged.by_category.update(row["category"] for row in rows)
        staged.by_category.update({entry["values"]: entry["counts"] for entry in
                                   pc.value_counts(made["category"]).to_pylist()})
        if rows or made.num_rows:
            tables["facts"].append(fact_table(rows, made))
        if findings:
            tables["findings"].append(to_arrow("findings", findings))
        del rows, findings, index, made
    tables["facts_inputs"].append(to_arrow("facts_inputs", digested))
    for table, pieces in tables.items():
        if pieces:
            path = staging / f"{table}_{start:06d}.parquet"
            pq.write_table(pa.concat_tables(pieces), path)
            staged.files[table].append(str(path))
