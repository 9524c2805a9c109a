"""Pointed at any results folder, with default settings: a tree of ``notebooks/`` and
``results/`` (real notebooks and llama.cpp outputs) is read through the real pipeline, and a
tree with nothing readable says why instead of only "no benchmark days"."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from chimera_pipeline_tests.support import chimera

DATA = Path(__file__).resolve().parents[1] / "data"


def test_notebooks_and_results_folders_are_read_with_default_settings(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    shutil.copytree(DATA / "notebooks", root / "notebooks")
    shutil.copytree(DATA / "llama_cpp", root / "results")
    env = {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(tmp_path / "data")}
    result = chimera(["run", "--until", "benchmark_facts"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as con:
        files = dict(con.execute("SELECT path, parse_status FROM artifact_files").fetchall())
        per_tool = dict(con.execute(
            "SELECT tool, count(DISTINCT run_key || locator) FROM benchmark_results "
            "WHERE metric IN ('decode_tps', 'prefill_tps') AND stat = 'mean' GROUP BY 1"
        ).fetchall())
        gpu = con.execute("SELECT DISTINCT hardware FROM benchmark_results WHERE source_file "
                          "LIKE 'notebooks/langchain_chat%'").fetchall()
    expected = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert set(files) == expected and set(files.values()) == {"ok"}
    assert per_tool["llama.cpp"] == 2 * (5 + 5 + 3) - 2  # cell 25's old block: no rates
    assert per_tool["llama-bench"] == 8 + 18 + 20
    assert per_tool["llama-batched-bench"] == 2 * (12 + 54 + 7 + 36)
    assert gpu == [("NVIDIA RTX A2000 12GB",)]


def test_a_tree_with_nothing_readable_says_why(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    for rel in ("results/run.parquet", "results/run.xlsx", ".venv/lib/a.csv"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"PAR1")
    env = {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(tmp_path / "data")}
    result = chimera(["run"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"nothing read under {root}:" in result.stdout
    assert "2 file(s) of extensions not read (1 .parquet, 1 .xlsx)" in result.stdout
    assert "1 file(s) in hidden or tool folders" in result.stdout
    assert "no benchmark days to run" in result.stdout
