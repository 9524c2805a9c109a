"""A real backfill long enough for its nights to be judged by a child process (two blocks of
days: the step process, forked by Dagster's multiprocess executor, starts it) stores the
facts, findings and alerts a run judging in one process stores."""

from pathlib import Path

import dagster as dg

from chimera_pipeline.lib.findings.build import BLOCK_DAYS
from chimera_pipeline.lib.sample import write_corpus
from chimera_pipeline_tests.support import chimera, open_instance, table_snapshot

DAYS = BLOCK_DAYS + 8  # two blocks, the fewest judged ahead


def test_a_backfill_judged_ahead_stores_what_one_process_stores(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    write_corpus(root, files=6 * DAYS, days=DAYS)
    stored, ahead = {}, {}
    for workers in ("1", "2"):  # 1: everything in the step's process
        data = tmp_path / f"data_{workers}"
        env = {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(data),
               "CHIMERA_PARSE_WORKERS": workers}
        result = chimera(["run", "--until", "benchmark_facts"], env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "1/1 run(s) succeeded" in result.stdout
        with open_instance(data / "dagster_home") as instance:
            event = instance.get_latest_materialization_event(dg.AssetKey("benchmark_facts"))
            ahead[workers] = event.asset_materialization.metadata["judged_ahead"].value
        snapshot = table_snapshot(data / "warehouse.duckdb")
        stored[workers] = {t: snapshot[t] for t in ("facts", "findings", "alerts")}
    assert ahead == {"1": False, "2": True}
    assert len({row[0] for row in stored["1"]["facts"]}) >= DAYS - 2  # days with files
    assert stored["1"] == stored["2"]
