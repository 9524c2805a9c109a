"""Cost in proportion to the change: the scan cache and the incremental `chimera run`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from chimera_pipeline.lib import scan_cache, scan_snapshot, tree_state
from chimera_pipeline.lib.sample import write_corpus
from chimera_pipeline.lib.scanning import inventory_row, scan_tree
from chimera_pipeline.lib.settings import PROJECT_ROOT
from chimera_pipeline.lib.warehouse import to_arrow
from chimera_pipeline_tests.conftest import chimera

ROOTS, EXTS = ("reports", "csv_data", "artifacts"), ("csv", "json", "md")


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


def test_a_rerun_does_only_the_days_that_changed(tmp_path) -> None:
    root = tmp_path / "artifacts"
    write_corpus(root)
    env = {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(tmp_path / "data")}
    run = ["run", "--until", "benchmark_metrics"]
    first = chimera(run, env)
    assert first.returncode == 0, first.stdout + first.stderr
    again = chimera(run, env)
    assert again.returncode == 0 and "no benchmark days to run" in again.stdout
    assert "nothing changed since the last run" in again.stdout  # the walk-only shortcut
    # ...and costs about a walk: neither pyarrow nor duckdb (~0.3 s, ~70 MB) is imported
    probe = subprocess.run(
        [sys.executable, "-c", "import sys; from chimera_pipeline.cli import main; "
         "code = main(['run', '--until', 'benchmark_metrics']); "
         "print(code, sorted(m for m in ('pyarrow', 'duckdb', 'dagster') if m in sys.modules))"],
        env={**{k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}, **env},
        capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT)
    assert "nothing changed" in probe.stdout and probe.stdout.splitlines()[-1] == "0 []", (
        probe.stdout + probe.stderr)
    # the warehouse written behind chimera's back: no shortcut, the full comparison decides
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb")) as con:
        con.execute("DELETE FROM stage_timings WHERE partition = '2025-09-22'")
    compared = chimera(run, env)
    assert "nothing changed" not in compared.stdout
    assert "unchanged since their last run are skipped" in compared.stdout
    assert "1 benchmark day(s) in 1 run(s)" in compared.stdout and "] 2025-09-22: ok" in \
        compared.stdout
    (root / "reports/late_20250925.md").write_text("# Late\n- Throughput: 12.5 tok/s\n")
    incremental = chimera(run, env)
    assert incremental.returncode == 0, incremental.stdout + incremental.stderr
    assert "1 benchmark day(s) in 1 run(s)" in incremental.stdout
    assert "] 2025-09-25: ok" in incremental.stdout
    # the run took its inventory from the launcher's scan, which is gone once it finished
    assert _inventory_source(tmp_path / "data" / "dagster_home") == "launcher's scan"
    assert not list((tmp_path / "data" / "scan_cache").glob("snapshot_*"))
    forced = chimera([*run, "--force"], env)
    assert forced.returncode == 0 and "skipped" not in forced.stdout


def _inventory_source(home: Path) -> str:
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with dg.DagsterInstance.get() as instance:
            event = instance.get_latest_materialization_event(dg.AssetKey("artifact_inventory"))
    finally:
        del os.environ["DAGSTER_HOME"]
    return event.asset_materialization.metadata["inventory_from"].value


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
