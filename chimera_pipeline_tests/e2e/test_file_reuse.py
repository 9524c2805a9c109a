"""A run after files were added, edited and deleted in days of many files keeps the rows of
every file that did not change, parses the others, and leaves the warehouse a full rebuild
of the same tree would: row for row, in every table up to the facts (real runs)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from chimera_pipeline_tests.support import chimera, open_instance, table_snapshot

RUN = ["run", "--until", "benchmark_facts"]
# what differs between two builds of one tree by construction: when and by which run
VOLATILE = ("stage_timings", "llm_calls", "llm_analyses", "report_claims", "analysis_inputs",
            "alert_deliveries")


def _tree(root: Path, real_corpus: Path, tools_corpus: Path) -> None:
    for folder in ("reports", "csv_data", "artifacts"):
        shutil.copytree(real_corpus / folder, root / folder)
    shutil.copytree(tools_corpus, root / "tools", ignore=shutil.ignore_patterns("*.md"))


def _change_tree(root: Path) -> dict[str, str]:
    """One file added to a day, one edited, one deleted, each in a day of many files; and
    a tools-corpus request file edited. Returns what was done to which path."""
    quant = root / "csv_data" / "ollama_quant_bench.csv"
    lines = quant.read_text().splitlines(keepends=True)
    added = quant.with_name("ollama_quant_bench_rerun.csv")
    # the same day (the content's timestamps date it), numbers changed: not a copy
    added.write_text(lines[0] + "".join(line.replace(".", ".9", 1) for line in lines[1:4]))
    baseline = next(p for p in sorted(root.glob("reports/**/*.json"))
                    if '"results"' in p.read_text())
    data = json.loads(baseline.read_text())
    data["results"] = data["results"][:-1]  # an edit: one request fewer
    baseline.write_text(json.dumps(data))
    deleted = next(p for p in sorted(root.glob("reports/**/*.md")) if p != baseline)
    deleted.unlink()
    tool_csv = next(p for p in sorted((root / "tools").rglob("*.csv")))
    tool_csv.write_text(tool_csv.read_text() + "\n")
    return {"added": str(added), "edited": str(baseline), "deleted": str(deleted),
            "edited_tool": str(tool_csv)}


def _metrics_metadata(home: Path) -> list[dict]:
    import dagster as dg

    with open_instance(home) as instance:
        records = instance.fetch_materializations(dg.AssetKey("benchmark_metrics"),
                                                  limit=1000).records
        return [{k: v.value for k, v in r.asset_materialization.metadata.items()}
                for r in records]


def test_an_incremental_run_equals_a_rebuild(tmp_path: Path, real_corpus: Path,
                                              tools_corpus: Path) -> None:
    root = tmp_path / "tree"
    _tree(root, real_corpus, tools_corpus)
    env = {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(tmp_path / "inc")}
    first = chimera(RUN, env)
    assert first.returncode == 0, first.stdout + first.stderr
    changed = _change_tree(root)
    again = chimera(RUN, env)
    assert again.returncode == 0, again.stdout + again.stderr
    rebuilt_env = {**env, "CHIMERA_DATA_DIR": str(tmp_path / "full")}
    rebuilt = chimera(RUN, rebuilt_env)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr

    # the second run parsed only what changed and kept the rest of those days' files
    second = [m for m in _metrics_metadata(tmp_path / "inc" / "dagster_home")
              if m.get("files_kept")]
    assert second, "the incremental run kept no file's rows"
    parsed = sum(m["files_parsed"] for m in second)
    kept = sum(m["files_kept"] for m in second)
    assert kept > 10 * parsed and parsed >= 3, (parsed, kept, changed)

    incremental = table_snapshot(tmp_path / "inc" / "warehouse.duckdb", exclude=VOLATILE)
    full = table_snapshot(tmp_path / "full" / "warehouse.duckdb", exclude=VOLATILE)
    for table, rows in full.items():
        assert incremental[table] == rows, (table, len(incremental[table]), len(rows))
    with duckdb.connect(str(tmp_path / "inc" / "warehouse.duckdb"), read_only=True) as con:
        gone = con.execute("SELECT count(*) FROM metric_values WHERE source_file = ?",
                           [str(Path(changed["deleted"]).relative_to(root))]).fetchone()[0]
        added = con.execute("SELECT count(*) FROM llm_runs WHERE source_file = ?",
                            [str(Path(changed["added"]).relative_to(root))]).fetchone()[0]
    assert gone == 0 and added == 3
