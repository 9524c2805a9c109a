"""A re-run of chimera does only the days that changed (real runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from chimera_pipeline.lib.config import PROJECT_ROOT
from chimera_pipeline.lib.sample import write_corpus
from chimera_pipeline_tests.support import chimera, clean_env, open_instance


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
        env=clean_env(env, fast_llm=False),
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

    with open_instance(home) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey("artifact_inventory"))
    return event.asset_materialization.metadata["inventory_from"].value



def test_a_day_whose_files_are_all_deleted_is_run_and_its_rows_go(tmp_path) -> None:
    """The tree no longer holds any file of a day the warehouse has: the day is run (its
    rows go, and the nights after it are judged again), and the next run has nothing to do."""
    root, data = tmp_path / "artifacts", tmp_path / "data"
    write_corpus(root)
    env = {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(data)}
    assert chimera(["run", "--until", "benchmark_facts"], env).returncode == 0
    warehouse = data / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        day, paths = con.execute("SELECT partition, list(path) FROM artifact_files "
                                 "GROUP BY 1 ORDER BY 1 LIMIT 1 OFFSET 2").fetchone()
    for path in paths:
        (root / path).unlink()
    result = chimera(["run", "--until", "benchmark_facts"], env)
    assert result.returncode == 0 and f"] {day}" in result.stdout, result.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM artifact_files WHERE partition = ?",
                           [day]).fetchone()[0] == 0
    assert "no benchmark days to run" in chimera(["run", "--until", "benchmark_facts"],
                                                 env).stdout


def test_stale_days_apart_cost_one_run_and_the_days_between_are_untouched(tmp_path) -> None:
    """Files landing on two old days a week apart: one run over the range, the unchanged
    days inside it skipped by every stage (their inventory, rows and runs stay)."""
    root = tmp_path / "artifacts"
    write_corpus(root)
    env = {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(tmp_path / "data")}
    run = ["run", "--until", "benchmark_metrics"]
    assert chimera(run, env).returncode == 0
    warehouse = tmp_path / "data" / "warehouse.duckdb"
    before = _runs_by_day(warehouse)
    (root / "reports/late_20250923.md").write_text("# Late\n- Throughput: 12.5 tok/s\n")
    (root / "reports/late_20250930.md").write_text("# Late\n- Throughput: 13.5 tok/s\n")
    again = chimera(run, env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "2 benchmark day(s) in 1 run(s)" in again.stdout
    assert "2025-09-23..2025-09-30 (2 of its days): ok" in again.stdout
    after = _runs_by_day(warehouse)
    changed = {day for day in after if after[day] != before.get(day)}
    assert changed == {"2025-09-23", "2025-09-30"}, changed
    with duckdb.connect(str(warehouse), read_only=True) as con:
        late = con.execute("SELECT partition, parse_status FROM artifact_files WHERE path LIKE "
                           "'reports/late_%' ORDER BY 1").fetchall()
    assert late == [("2025-09-23", "ok"), ("2025-09-30", "ok")]
    assert "no benchmark days to run" in chimera(run, env).stdout


def _runs_by_day(warehouse: Path) -> dict[str, set[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT partition, run_id FROM stage_timings").fetchall()
    days: dict[str, set[str]] = {}
    for day, run_id in rows:
        days.setdefault(day, set()).add(run_id)
    return days
