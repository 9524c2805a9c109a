"""Cost in proportion to the change: the scan cache and the incremental `chimera run`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

from chimera_pipeline.lib.incremental import tree_state
from chimera_pipeline.lib.inventory import scan_cache, scan_snapshot
from chimera_pipeline.lib.inventory.records import inventory_row
from chimera_pipeline.lib.inventory.scan import scan_tree
from chimera_pipeline.lib.sample import write_corpus
from chimera_pipeline.lib.store.warehouse import to_arrow
from chimera_pipeline_tests.support import EXTS, ROOTS


def test_unchanged_files_are_not_read_again(tmp_path) -> None:
    root, cache = tmp_path / "artifacts", tmp_path / "cache.parquet"
    write_corpus(root)
    first = scan_tree(root, ROOTS, EXTS, cache)
    changed_rel = "csv_data/ollama_quant_bench.csv"
    changed = root / changed_rel
    changed.write_text(changed.read_text() + "\n")
    opened: list[str] = []
    recording = [True]

    def hook(event: str, args: tuple) -> None:
        if recording[0] and event == "open" and isinstance(args[0], str | Path):
            path = os.path.realpath(args[0])
            if path.startswith(str(root.resolve())):
                opened.append(path)

    sys.addaudithook(hook)
    try:
        second = scan_tree(root, ROOTS, EXTS, cache)
    finally:
        recording[0] = False
    assert opened == [str(changed.resolve())]  # only the changed file was read
    before = {r.path: (r.sha256, r.kind, r.benchmark_date) for r in first}
    after = {r.path: (r.sha256, r.kind, r.benchmark_date) for r in second}
    assert {p for p in before if before[p] != after[p]} == {"csv_data/ollama_quant_bench.csv"}
    # its exact copy is no longer a duplicate; every other duplicate link is unchanged
    links = [(r.path, r.duplicate_of) for r in first]
    relinked = [(r.path, r.duplicate_of) for r in second]
    assert [x for x in links if x[1] != changed_rel] == [
        x for x in relinked if x[0] not in {p for p, d in links if d == changed_rel}]






def test_the_scan_snapshot_round_trips_and_refuses_foreign_names(tmp_path) -> None:
    root = tmp_path / "artifacts"
    write_corpus(root)
    records = scan_tree(root, ROOTS, EXTS)
    days = sorted({r.partition for r in records})[:3]
    name = scan_snapshot.save(tmp_path, [r for r in records if r.partition in days],
                              len(records))
    selected, scanned = scan_snapshot.load(tmp_path, name, days[:2])  # a run of two of them
    expected = to_arrow("artifact_files", [inventory_row(r) for r in records
                                           if r.partition in days[:2]])
    assert scanned == len(records) and selected.equals(expected)
    assert selected.num_rows and set(selected["partition"].to_pylist()) == set(days[:2])
    assert scan_snapshot.load(tmp_path, None, days) is None  # a run without the tag scans
    assert scan_snapshot.load(tmp_path, "../../etc/passwd", days) is None
    scan_snapshot.remove(tmp_path, name)
    assert scan_snapshot.load(tmp_path, name, days) is None  # gone: the run scans instead


def test_the_no_change_shortcut_notices_every_kind_of_change(tmp_path) -> None:
    root, warehouse, marker = tmp_path / "artifacts", tmp_path / "w.duckdb", tmp_path / "m.json"
    cache, start = tmp_path / "cache.parquet", "2024-01-01"
    write_corpus(root)
    duckdb.connect(str(warehouse)).close()

    def digest(salt: str = start) -> str:
        return tree_state.fingerprint(root, ROOTS, EXTS, salt=salt).digest

    def settle() -> None:  # what `chimera run` does: the scan's own prints, settled
        prints: list = []
        scan_tree(root, ROOTS, EXTS, cache, prints)
        tree_state.settle(marker, tree_state.stage_prints(marker, prints), start, 1, warehouse,
                          cache, tree_state.cache_state(cache))

    settle()
    assert tree_state.unchanged(marker, digest(), 1, warehouse)  # the scan's prints = the walk's
    assert tree_state.unchanged(marker, digest(), 0, warehouse)  # an earlier stage is done too
    assert not tree_state.unchanged(marker, digest(), 2, warehouse)  # a later one is not
    assert not tree_state.unchanged(marker, digest("2023-01-01"), 1, warehouse)
    target = root / "csv_data/ollama_quant_bench.csv"
    info = target.stat()
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns + 1))  # touched, same bytes
    assert not tree_state.unchanged(marker, digest(), 1, warehouse)
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert tree_state.unchanged(marker, digest(), 1, warehouse)
    (root / "reports/new_20250930.md").write_text("# new\n")
    assert not tree_state.unchanged(marker, digest(), 1, warehouse)
    (root / "reports/new_20250930.md").unlink()
    assert tree_state.trusted(marker, start, 1, warehouse, cache)
    assert not tree_state.trusted(marker, "2023-01-01", 1, warehouse, cache)
    assert not tree_state.trusted(marker, start, 2, warehouse, cache)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE TABLE touched AS SELECT 1 AS x")
    assert not tree_state.unchanged(marker, digest(), 1, warehouse)
    assert not tree_state.trusted(marker, start, 1, warehouse, cache)
    settle()
    assert tree_state.unchanged(marker, digest(), 1, warehouse)
    scan_cache.save(cache, scan_cache.load_table(cache))  # the cache rewritten by another scan
    assert tree_state.unchanged(marker, digest(), 1, warehouse)  # the shortcut doesn't read it
    assert not tree_state.trusted(marker, start, 1, warehouse, cache)
    tree_state.forget(marker)
    assert not tree_state.unchanged(marker, digest(), 1, warehouse)
    assert not tree_state.prints_path(marker).exists()
