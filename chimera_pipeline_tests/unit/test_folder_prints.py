"""Folder prints: the walk's digest per folder, the merge in walk order, the saved file."""

from __future__ import annotations

import os

import pytest

from chimera_pipeline.lib.incremental import folder_prints
from chimera_pipeline.lib.inventory.scan import scan_tree
from chimera_pipeline.lib.inventory.walk import iter_folders, listing_digest
from chimera_pipeline.lib.sample import write_corpus
from chimera_pipeline_tests.support import EXTS, ROOTS


def test_a_folder_print_is_the_walks_and_unclean_folders_are_always_rescanned(tmp_path) -> None:
    root = tmp_path / "artifacts"
    write_corpus(root)
    (root / "reports/ollama/20250923-150013/prompt_suite_runs.csv").chmod(0)
    prints: list = []
    scan_tree(root, ROOTS, EXTS, tmp_path / "cache.parquet", prints)
    walked = [(folder, listing_digest(paths))
              for folder, paths in iter_folders(root, ROOTS, EXTS)]
    assert [(f, d) for f, d, _ in prints] == walked
    unclean = [f for f, _, clean in prints if not clean]
    assert unclean == ["reports/ollama/20250923-150013"]
    assert folder_prints.changed_folders(iter(prints), iter(walked), ROOTS) == set(unclean)


def test_changed_folders_merge_in_walk_order_and_refuse_disorder() -> None:
    roots = ("reports", "csv_data")
    saved = [("reports", "1", True), ("reports/a", "2", True), ("reports/a/b", "3", True),
             ("reports/a-c", "4", True), ("csv_data", "5", True)]
    now = [("reports", "1"), ("reports/a", "2"), ("reports/a/b", "9"), ("reports/a/bb", "7"),
           ("csv_data", "5"), ("csv_data/x", "8")]
    assert sorted(saved, key=lambda p: folder_prints.walk_order(roots)(p[0])) == saved
    assert folder_prints.changed_folders(iter(saved), iter(now), roots) == {
        "reports/a/b", "reports/a/bb", "reports/a-c", "csv_data/x"}
    assert folder_prints.changed_folders(iter(saved[::-1]), iter(now), roots) is None
    assert folder_prints.changed_folders(iter(saved), iter(now[::-1]), roots) is None

    def broken():
        yield saved[0]
        raise ValueError("malformed line")
    consumed = []
    assert folder_prints.changed_folders(broken(), (consumed.append(x) or x for x in now),
                                         roots) is None
    assert consumed == now  # the walk is still digested whole


def test_folder_prints_round_trip_any_folder_name_and_refuse_a_truncated_file(tmp_path) -> None:
    names = ["reports", "reports/new\nline", "reports/tab\there", "reports/\udcffbyte",
             "reports/é ü"] + [f"csv_data/set_{i:05d}" for i in range(30_000)]  # > one block
    prints = [(name, f"{i:032x}", i % 3 != 0) for i, name in enumerate(names)]
    path = tmp_path / "prints"
    folder_prints.write(path, prints)
    assert list(folder_prints.read(path)) == prints
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(ValueError, match="truncated"):
        list(folder_prints.read(path))


def test_a_record_from_the_cache_is_the_record_a_scan_makes(tmp_path) -> None:
    """Cache rows stand in for unchanged files: with any nanosecond mtime, the record built
    from a row (no stat) must equal the one scanning the file builds (float st_mtime)."""
    import random

    from chimera_pipeline.lib.inventory.records import cache_row, record_from_row
    from chimera_pipeline.lib.inventory.scan import scan_file

    root = tmp_path / "artifacts"
    write_corpus(root)
    rng = random.Random(5)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        os.utime(path, ns=(0, rng.randrange(10**18, 2 * 10**18)))
        scanned = scan_file(path, root)
        assert record_from_row(cache_row(scanned)) == scanned, path

