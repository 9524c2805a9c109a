"""Every fact's provenance on the real corpus's warehouse runs, read-only, and returns the
fact: the ones the findings cite first of all, and every other one of every day."""

from __future__ import annotations

from pathlib import Path

from chimera_pipeline_tests.provenance_checks import check_stored


def test_every_facts_provenance_returns_it_on_the_real_corpus(real_run: dict,
                                                              tmp_path: Path) -> None:
    found = check_stored(real_run["warehouse"], tmp_path)
    assert found.missing == []
    assert found.errors == []
    assert found.cited > 100 and found.facts > 1000
