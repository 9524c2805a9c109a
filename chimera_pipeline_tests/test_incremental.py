"""Cost in proportion to the change: the scan cache and the incremental `chimera run`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from chimera_pipeline.lib.sample import write_corpus
from chimera_pipeline.lib.scanning import scan_tree
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
    assert "unchanged since their last run are skipped" in again.stdout
    (root / "reports/late_20250925.md").write_text("# Late\n- Throughput: 12.5 tok/s\n")
    incremental = chimera(run, env)
    assert incremental.returncode == 0, incremental.stdout + incremental.stderr
    assert "1 benchmark day(s) in 1 run(s)" in incremental.stdout
    assert "] 2025-09-25: ok" in incremental.stdout
    forced = chimera([*run, "--force"], env)
    assert forced.returncode == 0 and "skipped" not in forced.stdout
