"""A day whose inputs are those its stored facts were computed from keeps its facts and
findings (``facts.inputs``), and a kept day is exactly what computing it again gives. Each
attack changes one thing a day's facts read of another day, or the code, or a setting,
with the day's own rows untouched: the day must be computed again, and its rows must be the
recomputed ones."""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import pytest

from chimera_pipeline.lib.facts import inputs
from chimera_pipeline.lib.facts.regression import Params
from chimera_pipeline.lib.findings.build import Staged, stage_facts, write_staged
from chimera_pipeline.lib.store.warehouse import replace_partitions, to_arrow
from chimera_pipeline_tests.support import stepped_requests, warehouse_copy

PARAMS = Params(history=10, min_history=4)
TABLES = ("facts", "findings", "alerts", "facts_inputs")
_folders = itertools.count()


def _stage(con: duckdb.DuckDBPyConnection, days: list[str], tmp: Path, reuse: bool = True
           ) -> Staged:
    """The facts stage as the asset runs it: staged, then written in one transaction."""
    folder = tmp / f"stage{next(_folders)}"
    folder.mkdir()
    staged = stage_facts(con, days, folder, block_days=15, params=PARAMS, judge_ahead=False,
                         reuse=reuse)
    write_staged(con, days, staged)
    return staged


def _snapshot(con: duckdb.DuckDBPyConnection, days: list[str] | None = None) -> dict:
    where = "" if days is None else "WHERE partition IN (SELECT unnest(?::VARCHAR[]))"
    return {table: con.execute(f"SELECT * FROM {table} {where} ORDER BY ALL",
                               [] if days is None else [days]).fetchall() for table in TABLES}


def _recomputed(con: duckdb.DuckDBPyConnection, days: list[str], tmp: Path) -> dict:
    """``days``' rows as computing every day again gives them."""
    _stage(con, days, tmp, reuse=False)
    return _snapshot(con, days)


def _nights(con: duckdb.DuckDBPyConnection, model: str) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT partition FROM llm_runs WHERE model = ? "
                                      "ORDER BY 1", [model]).fetchall()]


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Eight request series over 45 nights, some stepping, every day's facts stored."""
    folder = tmp_path_factory.mktemp("built")
    con, days = stepped_requests()
    _stage(con, days, folder, reuse=False)
    con.execute(f"ATTACH '{folder / 'built.duckdb'}' AS built")
    con.execute("COPY FROM DATABASE memory TO built")
    con.close()
    return folder / "built.duckdb", days


@pytest.fixture
def built(built_once, tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """A copy of ``built_once`` of the test's own."""
    path, days = built_once
    with warehouse_copy(path, tmp_path) as con:
        yield con, days


def test_an_unchanged_day_keeps_its_rows(built, tmp_path: Path) -> None:
    con, days = built
    before = _snapshot(con)
    staged = _stage(con, days, tmp_path)
    assert staged.kept == days and staged.facts == 0
    assert _snapshot(con) == before


def test_a_late_change_keeps_the_nights_it_does_not_reach_and_equals_a_rebuild(
        built, tmp_path: Path) -> None:
    """A night's measurements change; it and every night after it are staged again (as a
    late night's dependents are): the nights far enough after it keep their facts, the
    night after it (whose change is against it) does not, and the warehouse is what
    computing every day gives."""
    con, days = built
    nights = _nights(con, "m0:7b")
    changed, following = nights[10], nights[11]
    con.execute("UPDATE llm_runs SET decode_tps = decode_tps * 1.3 WHERE partition = ? AND "
                "model = 'm0:7b'", [changed])
    later = days[days.index(changed):]
    staged = _stage(con, later, tmp_path)
    assert changed not in staged.kept and following not in staged.kept
    assert len(staged.kept) >= 10, staged.kept
    incremental = _snapshot(con)
    _recomputed(con, later, tmp_path)  # the nights before it were not staged: they stay
    assert _snapshot(con) == incremental


def test_a_changed_previous_night_computes_the_day_again(built, tmp_path: Path) -> None:
    """Only the previous night's numbers change, and only the day after it is staged: its
    change facts read that night."""
    con, _ = built
    nights = _nights(con, "m0:7b")
    previous, day = nights[20], nights[21]
    con.execute("UPDATE llm_runs SET decode_tps = decode_tps * 0.7 WHERE partition = ? AND "
                "model = 'm0:7b'", [previous])
    staged = _stage(con, [day], tmp_path)
    assert staged.kept == []
    incremental = _snapshot(con, [day])
    assert _recomputed(con, [day], tmp_path) == incremental
    assert any(f"{previous}" in str(row) for row in incremental["facts"])


def test_a_night_deleted_before_the_day_computes_it_again(built, tmp_path: Path) -> None:
    """The previous night goes: the day's changes are now against the night before it."""
    con, _ = built
    nights = _nights(con, "m0:7b")
    gone, day = nights[20], nights[21]
    con.execute("DELETE FROM llm_runs WHERE partition = ?", [gone])
    assert _stage(con, [day], tmp_path).kept == []
    incremental = _snapshot(con, [day])
    assert _recomputed(con, [day], tmp_path) == incremental
    assert not any(f"change vs {gone}" in str(row) for row in incremental["facts"])


def test_a_verdict_that_changes_computes_the_day_again(built, tmp_path: Path) -> None:
    """A regressed night's baseline nights (not its previous night: its pairs stay) move to
    its level, so its verdict goes; its change facts state the verdict."""
    con, _ = built
    day, series = con.execute("SELECT partition, series FROM alerts WHERE verdict = "
                              "'regression' ORDER BY 1 LIMIT 1").fetchone()
    model = series.split(" ")[0]
    nights = _nights(con, model)
    at = nights.index(day)
    level = con.execute("SELECT avg(decode_tps) FROM llm_runs WHERE partition = ? AND model = ?",
                        [day, model]).fetchone()[0]
    before = con.execute("SELECT * FROM alerts WHERE partition = ? ORDER BY ALL",
                         [day]).fetchall()
    con.execute("UPDATE llm_runs SET decode_tps = ? * (0.99 + 0.02 * source_row / 5) WHERE "
                "model = ? AND partition IN (SELECT unnest(?::VARCHAR[]))",
                [level, model, nights[max(0, at - 12):at - 1]])
    staged = _stage(con, [day], tmp_path)
    after = con.execute("SELECT * FROM alerts WHERE partition = ? ORDER BY ALL", [day]).fetchall()
    assert after != before  # the attack took: the night's verdicts are not what they were
    assert staged.kept == []
    incremental = _snapshot(con, [day])
    assert _recomputed(con, [day], tmp_path) == incremental


def test_a_tool_runs_requests_filed_under_another_day_are_read(con, tmp_path: Path) -> None:
    """A tool run's responses file dates to another day; the run's most common error,
    one of the day's facts, changes when those requests do."""
    day, other = "2025-10-01", "2025-10-02"
    series = {"tool": "llmperf", "model": "m", "engine": None, "hardware": None,
              "config": None, "test": "550/150 tokens concurrency=8"}
    results = [{"partition": day, "source_file": "r.json", "run_key": "run", **series,
                "metric": metric, "stat": "value", "value": value, "unit": "count",
                "locator": "[0]", "status": "ok"}
               for metric, value in (("failed", 3.0), ("completed", 7.0))]
    replace_partitions(con, [day], {"benchmark_results": to_arrow("benchmark_results",
                                                                  results)})
    requests = [{"partition": other, "source_file": "r_individual_responses.json",
                 "run_key": "run", "tool": "llmperf", "request_index": i, "ok": False,
                 "error": error, "has_summary": True}
                for i, error in enumerate(["429: Too Many Requests"] * 2 + ["500: boom"])]
    replace_partitions(con, [other], {"benchmark_requests": to_arrow("benchmark_requests",
                                                                     requests)})
    _stage(con, [day], tmp_path, reuse=False)
    con.execute("UPDATE benchmark_requests SET error = '500: boom' WHERE partition = ?",
                [other])
    assert _stage(con, [day], tmp_path).kept == []
    incremental = _snapshot(con, [day])
    assert any("500: boom" in str(row) for row in incremental["facts"])
    assert _recomputed(con, [day], tmp_path) == incremental


def test_another_version_of_the_code_computes_every_day(built, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    con, days = built
    days = days[:10]
    monkeypatch.setattr(inputs, "_CODE", b"another build")
    assert _stage(con, days, tmp_path).kept == []
    assert _stage(con, days, tmp_path).kept == days  # and then keeps them under it


def test_another_setting_computes_every_day(built, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    con, days = built
    days = days[:10]
    monkeypatch.setenv("CHIMERA_PERCENTILES", "p50,p99")
    assert _stage(con, days, tmp_path).kept == []
    monkeypatch.setenv("CHIMERA_LLM_MODEL", "another:model")  # the LLM's: no fact reads it
    assert _stage(con, days, tmp_path).kept == days


def test_a_tool_series_previous_night_is_read(con, tmp_path: Path) -> None:
    """A tool series' change is against its previous night, which changes alone."""
    series = {"tool": "llama-bench", "model": "llama 8B Q4_K - Medium",
              "engine": "llama.cpp CUDA", "hardware": "RTX 4090", "test": "tg128",
              "config": "ngl=99"}
    nights = {"2025-10-01": 100.0, "2025-10-02": 104.0}
    for day, mean in nights.items():
        rows = [{"partition": day, "source_file": "a.json", "run_key": f"{day}a", **series,
                 "metric": "decode_tps", "stat": stat, "value": value, "unit": unit,
                 "locator": "[0]", "status": "ok"}
                for stat, value, unit in (("mean", mean, "tok/s"), ("std", 1.0, "tok/s"),
                                          ("count", 5.0, "count"))]
        replace_partitions(con, [day], {"benchmark_results": to_arrow("benchmark_results",
                                                                      rows)})
    day = "2025-10-02"
    _stage(con, list(nights), tmp_path, reuse=False)
    alerts = con.execute("SELECT * FROM alerts").fetchall()
    con.execute("UPDATE benchmark_results SET value = 101 WHERE partition = '2025-10-01' AND "
                "stat = 'mean'")
    assert _stage(con, [day], tmp_path).kept == []
    assert con.execute("SELECT * FROM alerts").fetchall() == alerts  # no verdict moved
    incremental = _snapshot(con, [day])
    assert any(101.0 in row for row in incremental["facts"])
    assert _recomputed(con, [day], tmp_path) == incremental


def test_the_latest_date_of_the_warehouse_is_read(built, tmp_path: Path) -> None:
    """A day's inventory states the latest benchmark date as of that day, which a file of an
    earlier day changes when the day holds none."""
    con, days = built
    day = days[30]
    con.execute("INSERT INTO artifact_files (partition, path, benchmark_date) VALUES (?, ?, ?)",
                [days[29], "late.csv", days[29]])
    assert _stage(con, [day], tmp_path).kept == []
    incremental = _snapshot(con, [day])
    assert any(days[29] in str(row) for row in incremental["facts"])
    assert _recomputed(con, [day], tmp_path) == incremental


def test_a_day_whose_own_rows_change_is_computed_again(built, tmp_path: Path) -> None:
    """The first night of every series (no previous night to pair with) changes alone."""
    con, days = built
    con.execute("UPDATE llm_runs SET ttft_s = ttft_s * 1.5 WHERE partition = ?", [days[0]])
    assert _stage(con, [days[0]], tmp_path).kept == []
    incremental = _snapshot(con, [days[0]])
    assert _recomputed(con, [days[0]], tmp_path) == incremental


def test_a_zero_that_turns_negative_is_read(con, tmp_path: Path) -> None:
    """DuckDB hashes -0.0 as 0.0, and a fact displays the sign: a compile time read again
    as -0.0 (a delete-then-insert keeps it) computes the day again."""
    day = "2025-10-01"

    def compiled(seconds: str) -> None:
        con.execute("DELETE FROM compile_benchmarks")
        con.execute("INSERT INTO compile_benchmarks (partition, source_file, bench_id, backend, "
                    f"ok, compile_time_s, mean_ms) VALUES (?, 'c.json', 'b1', 'inductor', true, "
                    f"'{seconds}'::DOUBLE, 1.5)", [day])

    compiled("0.0")
    _stage(con, [day], tmp_path, reuse=False)
    compiled("-0.0")
    assert _stage(con, [day], tmp_path).kept == []
    incremental = _snapshot(con, [day])
    assert any("-0.000" in str(row) for row in incremental["facts"])
    assert _recomputed(con, [day], tmp_path) == incremental


@pytest.mark.parametrize("table", ["facts", "findings"])
def test_a_day_that_lost_its_rows_is_computed_again(built, tmp_path: Path, table: str) -> None:
    """A day's facts or findings deleted behind the pipeline's back, its digest left: the
    digest vouches for rows that are gone, so the day is computed again."""
    con, days = built
    before = _snapshot(con, [days[5]])
    con.execute(f"DELETE FROM {table} WHERE partition = ? AND rowid % 2 = 0", [days[5]])
    assert days[5] not in _stage(con, days[:10], tmp_path).kept
    assert _snapshot(con, [days[5]]) == before


def test_every_table_the_facts_query_is_in_the_digest() -> None:
    """The digest hashes the day's rows of ``inputs.OWN_TABLES`` only: a producer or a rule
    that starts querying another table must add it there (or the stage's own outputs)."""
    import re

    from chimera_pipeline.lib.config import PROJECT_ROOT
    from chimera_pipeline.lib.store.schema import TABLES

    lib = PROJECT_ROOT / "chimera_pipeline" / "lib"
    code = "\n".join(path.read_text() for folder in ("facts", "findings")
                     for path in sorted((lib / folder).glob("*.py")) if path.name != "inputs.py")
    code += (lib / "store" / "results.py").read_text()  # the facts' shared run de-duplication
    queried = {table for table in TABLES if re.search(
        rf"\b(?:FROM|JOIN)\s+{table}\b|[\"']{table}[\"']", code)}
    outputs = {"facts", "findings", "alerts", "facts_inputs"}  # the stage's own: rewritten
    assert queried - outputs <= set(inputs.OWN_TABLES), queried - outputs - set(
        inputs.OWN_TABLES)
    assert {"llm_runs", "benchmark_results", "artifact_files"} <= queried  # the scan works


def test_every_setting_the_facts_read_is_in_the_digest() -> None:
    """The digest hashes ``inputs.SETTINGS`` only: code of the facts or findings that starts
    reading another setting must add it there."""
    import dataclasses
    import re

    from chimera_pipeline.lib.config import PROJECT_ROOT, Settings

    lib = PROJECT_ROOT / "chimera_pipeline" / "lib"
    code = "\n".join(path.read_text() for folder in ("facts", "findings")
                     for path in sorted((lib / folder).glob("*.py")) if path.name != "inputs.py")
    fields = {f.name for f in dataclasses.fields(Settings)}
    read = {name for name in re.findall(r"settings(?:\(\))?\.([a-z_]+)", code)} & fields
    assert read <= set(inputs.SETTINGS), read - set(inputs.SETTINGS)
    assert {"percentiles", "regression_history"} <= read  # the scan works


def test_a_day_with_two_digests_is_computed_again(built, tmp_path: Path) -> None:
    """A second digest row for a day (none of the stage's writes leaves one): which of them
    counts would depend on the scan's order, so neither does, and the write leaves one."""
    con, days = built
    con.execute("INSERT INTO facts_inputs SELECT * FROM facts_inputs WHERE partition = ?",
                [days[3]])  # even the same digest twice: the rows are not what was written
    assert days[3] not in _stage(con, days[:5], tmp_path).kept
    assert con.execute("SELECT count(*) FROM facts_inputs WHERE partition = ?",
                       [days[3]]).fetchone()[0] == 1
