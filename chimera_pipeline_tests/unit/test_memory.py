"""Pausing the cyclic garbage collector for a phase gives it back as it was, whatever the
phase does; the facts stage, which pauses it, leaves it on."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from chimera_pipeline.lib.common.memory import collector_paused, give_back_memory


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_back_on_after(collector_on) -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_turns_the_collector_back_on(collector_on) -> None:
    with pytest.raises(RuntimeError, match="boom"), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_the_caller_had_off_stays_off(collector_on) -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
    gc.enable()


def test_staging_facts_leaves_the_collector_on(collector_on, tmp_path: Path) -> None:
    import duckdb

    from chimera_pipeline.lib.findings.build import stage_facts
    from chimera_pipeline.lib.store.warehouse import replace_partitions

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    replace_partitions(con, ["2025-01-01"], {})  # the tables, empty
    staged = stage_facts(con, ["2025-01-01"], tmp_path)
    assert staged.facts > 0 and gc.isenabled()


def test_each_block_hands_its_memory_back_with_the_collector_paused(
        collector_on, tmp_path: Path, monkeypatch) -> None:
    """``stage_facts`` collects after every block, the young generations only, while the
    collector is still paused (so all the block allocated is young)."""
    import duckdb

    from chimera_pipeline.lib.findings import build
    from chimera_pipeline.lib.store.warehouse import replace_partitions

    calls = []
    monkeypatch.setattr(build, "give_back_memory",
                        lambda generation=2: calls.append((generation, gc.isenabled())))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    days = ["2025-01-01", "2025-01-02", "2025-01-03"]
    replace_partitions(con, days, {})
    build.stage_facts(con, days, tmp_path, block_days=1, judge_ahead=False)
    assert calls == [(1, False)] * 3


def test_a_cycle_made_while_the_collector_is_paused_is_freed_by_a_young_collection() -> None:
    """``stage_facts`` hands a block's memory back with ``give_back_memory(1)``: everything
    the block allocated is young, so its cycles are freed without a full collection; an
    older object is not walked again."""
    import weakref

    class Node:
        pass

    generations: list[int] = []

    def collected(phase: str, info: dict) -> None:
        if phase == "start":
            generations.append(info["generation"])

    gc.callbacks.append(collected)
    try:
        with collector_paused():
            for _ in range(3):  # block after block, as stage_facts does
                node = Node()
                node.self = node
                alive = weakref.ref(node)
                del node
                assert alive() is not None  # only the collector can free a cycle
                give_back_memory(1)
                assert alive() is None
    finally:
        gc.callbacks.remove(collected)
    assert generations == [1, 1, 1]  # the young generations, not a full collection
