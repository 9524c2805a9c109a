"""A backfill's nights judged by a child process a block ahead of the facts give the facts,
findings and alerts of the nights judged in one process, and the child cannot fail quietly:
its error, or its death before the last block, fails the stage, and a stage that stops
early stops it."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from chimera_pipeline.lib.facts.ahead import AHEAD_MIN_BLOCKS, judge_blocks, judged_blocks
from chimera_pipeline.lib.facts.alerts import measured_history
from chimera_pipeline.lib.facts.regression import Params
from chimera_pipeline_tests.support import stepped_requests

PARAMS = Params(history=10, min_history=4)
BLOCK_DAYS = 5


def _warehouse() -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """Eight request series over 45 nights, some with a step: alerts on several days."""
    return stepped_requests()


def _blocks(days: list[str]) -> list[list[str]]:
    return [days[i:i + BLOCK_DAYS] for i in range(0, len(days), BLOCK_DAYS)]


def _judge_children() -> list[multiprocessing.Process]:
    return [p for p in multiprocessing.active_children() if p.name == "chimera-judge"]


def test_the_stage_judged_ahead_stages_what_one_process_stages(tmp_path: Path) -> None:
    from chimera_pipeline.lib.findings.build import stage_facts

    con, days = _warehouse()
    staged = {}
    for ahead in (False, True):
        folder = tmp_path / str(ahead)
        folder.mkdir()
        # three blocks (the fewest judged ahead): the carry over many blocks is the next test's
        staged[ahead] = stage_facts(con, days, folder, block_days=15, params=PARAMS,
                                    judge_ahead=ahead)
    here, ahead = staged[False], staged[True]
    assert len(here.files["facts"]) == AHEAD_MIN_BLOCKS and here.regressions and sum(
        len(pq.read_table(f)) for f in here.files["alerts"]) >= 3
    assert (here.facts, here.findings, here.regressions, here.by_category) == (
        ahead.facts, ahead.findings, ahead.regressions, ahead.by_category)
    for table in ("facts", "findings", "alerts"):
        assert [Path(f).name for f in here.files[table]] == [
            Path(f).name for f in ahead.files[table]]
        for mine, theirs in zip(here.files[table], ahead.files[table], strict=True):
            assert pq.read_table(mine).equals(pq.read_table(theirs)), (table, mine)
    assert not _judge_children()


def test_the_child_sends_each_block_the_verdicts_judged_here() -> None:
    con, days = _warehouse()
    history = measured_history(con, days)
    blocks = _blocks(days)
    here = list(judge_blocks(history, blocks, PARAMS))
    with judged_blocks(history, blocks, PARAMS, ahead=True) as judged:
        assert _judge_children()  # judged by a child indeed
        ahead = list(judged)
    key = [[(day, a.row(day, 0)) for day, a in block] for block in here]
    assert key == [[(day, a.row(day, 0)) for day, a in block] for block in ahead]
    assert any(key)


class _ExitOnLoad:
    """Unpickled (in the child only), it ends the process: a child that dies at once."""

    def __reduce__(self):
        return os._exit, (3,)


def test_a_child_that_dies_fails_the_block_it_owed() -> None:
    con, days = _warehouse()
    history = measured_history(con, days)
    blocks = _blocks(days)
    blocks[-1] = [*blocks[-1], _ExitOnLoad()]
    with judged_blocks(history, blocks, PARAMS, ahead=True) as judged:
        first = next(judged)  # judged here, while the child starts
        assert isinstance(first, list)
        with pytest.raises(RuntimeError, match=r"ended \(exit code 3\) before it sent"):
            next(judged)
    assert not _judge_children()


def test_an_error_in_the_child_is_raised_with_its_traceback() -> None:
    con, days = _warehouse()
    history = measured_history(con, days)
    blocks = _blocks(days)
    series, (info, nights) = next(iter(history.items()))
    # a night the first block never reads, broken: only the child's judging meets it
    nights[-1] = type(nights[-1])(nights[-1].day, nights[-1].n, None, nights[-1].var)
    with judged_blocks(history, blocks, PARAMS, ahead=True) as judged:
        next(judged)
        with pytest.raises(RuntimeError, match=r"(?s)failed in its process.*TypeError"):
            list(judged)
    assert not _judge_children()


def test_a_stage_that_stops_early_stops_the_child() -> None:
    con, days = _warehouse()
    blocks = _blocks(days)
    with pytest.raises(KeyError), judged_blocks(measured_history(con, days), blocks, PARAMS,
                                                ahead=True) as judged:
        next(judged)
        assert _judge_children()
        raise KeyError("the facts of the first block failed")
    assert not _judge_children()
