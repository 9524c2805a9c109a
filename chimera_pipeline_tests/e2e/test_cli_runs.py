"""`chimera run` selection and bad input on the sample corpus; the Dagster definitions."""

import duckdb
import pytest

from chimera_pipeline.lib.sample import write_corpus
from chimera_pipeline_tests.support import chimera


@pytest.fixture
def sample_env(tmp_path):
    root = tmp_path / "artifacts"
    write_corpus(root)
    return {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(tmp_path / "data")}


def _partitions(env) -> list[str]:
    with duckdb.connect(f"{env['CHIMERA_DATA_DIR']}/warehouse.duckdb", read_only=True) as con:
        return [r[0] for r in con.execute(
            "SELECT DISTINCT partition FROM artifact_files ORDER BY 1").fetchall()]


def test_from_to_runs_exactly_that_window(sample_env) -> None:
    result = chimera(["run", "--from", "2025-09-23", "--to", "2025-09-24", "--in-process",
                      "--until", "benchmark_metrics"], sample_env)
    assert result.returncode == 0, result.stderr
    assert "2 benchmark day(s) in 1 run(s)" in result.stdout
    assert _partitions(sample_env) == ["2025-09-23", "2025-09-24"]


def test_repeatable_date(sample_env) -> None:
    result = chimera(["run", "--date", "2025-09-22", "--date", "2025-10-03", "--in-process",
                      "--until", "benchmark_metrics"], sample_env)
    assert result.returncode == 0, result.stderr
    # eleven days apart: one run over the range that skips the days between
    assert "2 benchmark day(s) in 1 run(s)" in result.stdout
    assert _partitions(sample_env) == ["2025-09-22", "2025-10-03"]


def test_broken_files_are_recorded_and_the_rest_loads(sample_env, tmp_path) -> None:
    root = tmp_path / "artifacts"
    (root / "reports/broken_20250922-101010.json").write_text('{"generated_at": "2025-09-22", ')
    (root / "csv_data/junk_20250922-101011.csv").write_bytes(bytes(range(256)) * 4)
    (root / "reports/unknown_20250922-101012.md").write_text("| a | b |\n|---|---|\n| x | 7 ms |\n")
    result = chimera(["run", "--date", "2025-09-22", "--in-process"], sample_env)
    assert result.returncode == 0, result.stdout + result.stderr
    with duckdb.connect(f"{sample_env['CHIMERA_DATA_DIR']}/warehouse.duckdb", read_only=True) as con:
        status = {p: (s, e) for p, s, e in con.execute(
            "SELECT path, parse_status, parse_error FROM artifact_files").fetchall()}
        unknown = con.execute("SELECT metric, value, unit FROM metric_values "
                              "WHERE source_file = 'reports/unknown_20250922-101012.md'").fetchall()
        loaded = con.execute("SELECT count(DISTINCT source_file) FROM metric_values").fetchone()[0]
    assert status["reports/broken_20250922-101010.json"][0] == "error"
    assert "invalid JSON" in status["reports/broken_20250922-101010.json"][1]
    assert status["csv_data/junk_20250922-101011.csv"][0] == "error"
    assert unknown == [("b", 0.007, "s")]  # a kind nobody wrote a parser for still loads
    ok = [p for p, (s, _) in status.items() if s == "ok"]
    assert len(ok) == len(status) - 2 and loaded == len(ok)


