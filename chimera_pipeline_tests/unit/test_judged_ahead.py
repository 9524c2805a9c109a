"""A backfill's nights judged by a child process a block ahead of the facts give the facts,
findings and alerts of the nights judged in one process, and the child cannot fail quietly or
hang the stage: its error, or its death at any point (a history far over a pipe's buffer
included), fails the stage, and a stage that stops early stops it. The stage runs with the
cyclic collector paused, and drops the history once the first block is judged."""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import weakref
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from chimera_pipeline.lib.facts.ahead import judge_blocks, judged_blocks
from chimera_pipeline.lib.facts.alerts import measured_history
from chimera_pipeline.lib.facts.regression import Night, Params, Series
from chimera_pipeline_tests.support import stepped_requests

PARAMS = Params(history=10, min_history=4)
BLOCK_DAYS = 5


@pytest.fixture(autouse=True)
def no_hang():
    """A child that would leave the stage waiting fails the test instead of hanging it."""

    def stuck(*_):
        raise TimeoutError("judging ahead hung")

    before = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, before)


def _warehouse() -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """Eight request series over 45 nights, some with a step: alerts on several days."""
    return stepped_requests()


def _blocks(days: list[str]) -> list[list[str]]:
    return [days[i:i + BLOCK_DAYS] for i in range(0, len(days), BLOCK_DAYS)]


def _judge_children() -> list[multiprocessing.Process]:
    return [p for p in multiprocessing.active_children() if p.name == "chimera-judge"]


def _key(blocks) -> list:
    return [[(day, alert.row(day, 0)) for day, alert in block] for block in blocks]


def test_the_stage_judged_ahead_stages_what_one_process_stages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways, each block's facts are built with the cyclic collector paused."""
    from chimera_pipeline.lib.findings import build

    collecting: list[bool] = []
    compute = build.compute_parts

    def watched(*args, **kwargs):
        collecting.append(gc.isenabled())
        return compute(*args, **kwargs)

    monkeypatch.setattr(build, "compute_parts", watched)
    con, days = _warehouse()
    staged = {}
    for ahead in (False, True):
        folder = tmp_path / str(ahead)
        folder.mkdir()
        staged[ahead] = build.stage_facts(con, days, folder, block_days=15, params=PARAMS,
                                          judge_ahead=ahead)
    here, ahead = staged[False], staged[True]
    assert collecting == [False] * 6 and gc.isenabled()
    assert (here.judged_ahead, ahead.judged_ahead) == (False, True)
    assert len(here.files["facts"]) == 3 and here.regressions and sum(
        len(pq.read_table(f)) for f in here.files["alerts"]) >= 3
    assert (here.facts, here.findings, here.regressions, here.by_category) == (
        ahead.facts, ahead.findings, ahead.regressions, ahead.by_category)
    for table in ("facts", "findings", "alerts"):
        assert [Path(f).name for f in here.files[table]] == [
            Path(f).name for f in ahead.files[table]]
        for mine, theirs in zip(here.files[table], ahead.files[table], strict=True):
            assert pq.read_table(mine).equals(pq.read_table(theirs)), (table, mine)
    assert not _judge_children() and not list((tmp_path / "True").glob("*.pickle"))


class _Weak(dict):
    """A history a weak reference can follow."""


def test_the_child_judges_each_block_as_here_and_the_history_is_dropped_after_the_first(
        tmp_path: Path) -> None:
    con, days = _warehouse()
    blocks = _blocks(days)
    history = _Weak(measured_history(con, days))
    here = list(judge_blocks(history, blocks, PARAMS))
    gone = weakref.ref(history)
    with judged_blocks(history, blocks, PARAMS, True, tmp_path) as judged:
        assert judged.in_child and _judge_children()  # judged by a child indeed
        del history
        ahead = [next(judged.blocks)]
        gc.collect()
        assert gone() is None  # the child has its own copy
        ahead += list(judged.blocks)
    assert _key(here) == _key(ahead) and any(_key(here)[1:])


def _big_history(con: duckdb.DuckDBPyConnection, days: list[str]) -> dict:
    """The warehouse's series and a thousand more: pickled, far over a pipe's buffer."""
    history = measured_history(con, days)
    info, nights = next(iter(history.values()))
    for i in range(1000):
        history[Series(("copy", i), True)] = (info, [Night(x.day, x.n, x.mean * (1 + i / 1e4),
                                                           x.var) for x in nights])
    assert len(pickle.dumps(history)) > 1 << 20
    return history


class _DiesWhenLoaded:
    """A night after every day judged (the parent's windows never read it) that ends the
    process unpickling it: a child that dies while it loads its history."""

    day = "9999-12-31"

    def __reduce__(self):
        return os._exit, (3,)


def test_a_child_that_dies_loading_its_history_fails_the_block_it_owed(tmp_path: Path) -> None:
    """Its history far over a pipe's buffer: sent as the process's arguments, a child dying
    while it reads them would leave the parent writing them forever."""
    con, days = _warehouse()
    history = _big_history(con, days)
    next(iter(history.values()))[1].append(_DiesWhenLoaded())
    with judged_blocks(history, _blocks(days), PARAMS, True, tmp_path) as judged:
        assert isinstance(next(judged.blocks), list)  # judged here
        with pytest.raises(RuntimeError, match=r"ended \(exit code 3\) before it sent"):
            next(judged.blocks)
    assert not _judge_children() and not list(tmp_path.iterdir())


def test_an_error_in_the_child_is_raised_with_its_traceback(tmp_path: Path) -> None:
    con, days = _warehouse()
    history = measured_history(con, days)
    series, (info, nights) = next(iter(history.items()))
    # a night the first block never reads, broken: only the child's judging meets it
    nights[-1] = Night(nights[-1].day, nights[-1].n, None, nights[-1].var)
    with judged_blocks(history, _blocks(days), PARAMS, True, tmp_path) as judged:
        next(judged.blocks)
        with pytest.raises(RuntimeError, match=r"(?s)failed in its process.*TypeError"):
            list(judged.blocks)
    assert not _judge_children()


def test_a_stage_that_stops_early_stops_the_child(tmp_path: Path) -> None:
    con, days = _warehouse()
    with pytest.raises(KeyError), judged_blocks(_big_history(con, days), _blocks(days),
                                                PARAMS, True, tmp_path) as judged:
        next(judged.blocks)
        assert _judge_children()
        raise KeyError("the facts of the first block failed")
    assert not _judge_children() and not list(tmp_path.iterdir())


def test_a_history_that_cannot_be_saved_leaves_no_file_and_no_child(tmp_path: Path) -> None:
    con, days = _warehouse()
    history = measured_history(con, days)
    info, _ = next(iter(history.values()))
    history[Series(("unsaveable",), True)] = (info, [Night(days[0], 1, lambda: 0.0, None)])
    with pytest.raises((pickle.PicklingError, AttributeError)), judged_blocks(
            history, _blocks(days), PARAMS, True, tmp_path):
        pass
    assert not _judge_children() and not list(tmp_path.iterdir())


def test_a_stage_of_days_that_mostly_keep_their_facts_judges_here(tmp_path, monkeypatch) -> None:
    """By default the child is started when there are facts to compute while it judges: not
    for days whose digests are stored (they mostly keep their facts), unless every day is
    computed; and never without parse workers."""
    from chimera_pipeline.lib.findings import build

    monkeypatch.setattr(build, "parse_workers", lambda: 2)
    con, days = stepped_requests()
    version = build.facts_version()

    def stage(reuse: bool = True) -> bool:
        """Whether the stage, left to choose, judged ahead."""
        folder = tmp_path / f"stage{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        staged = build.stage_facts(con, days, folder, block_days=BLOCK_DAYS, params=PARAMS,
                                   reuse=reuse)
        build.write_staged(con, days, staged)
        return staged.judged_ahead

    assert stage()  # nothing stored yet
    assert not stage()  # every digest stored: kept, nothing to overlap
    assert stage(reuse=False)  # --force
    missing = "DELETE FROM facts_inputs WHERE partition IN (SELECT unnest(?::VARCHAR[]))"
    con.execute(missing, [days[:BLOCK_DAYS - 1]])
    assert not build._judge_ahead(con, days, BLOCK_DAYS, True, version)  # under a block
    con.execute(missing, [days[:BLOCK_DAYS]])
    assert build._judge_ahead(con, days, BLOCK_DAYS, True, version)  # a block's worth
    stage()
    # digests of another version of the code (an upgrade): every day is computed
    assert build._judge_ahead(con, days, BLOCK_DAYS, True, "another version")
    monkeypatch.setattr(build, "parse_workers", lambda: 1)
    assert not build._judge_ahead(con, days, BLOCK_DAYS, False, version)
