"""Pausing the cyclic garbage collector for a phase gives it back as it was, whatever the
phase does; the facts stage, which pauses it, leaves it on."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from chimera_pipeline.lib.common.memory import collector_paused


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
