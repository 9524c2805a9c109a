"""What lets a file keep its parsed rows: the same file (path, day, sha256, kind, duplicate
link) read by the same parser version; anything else is parsed again."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from chimera_pipeline.lib.parsing import version
from chimera_pipeline.lib.parsing.parse_file import CHANGED
from chimera_pipeline.lib.store.warehouse import read_inventory, write_inventory

DAY = "2025-10-02"


def _row(path: str, sha: str = "a" * 64, status: str = "pending", **extra) -> dict:
    return {"partition": DAY, "path": path, "type": "csv", "kind": "ollama_quant_bench_csv",
            "sha256": sha, "duplicate_of": None, "parse_status": status, "rows_loaded": 0,
            "values_loaded": 0, **extra}


def _parsed(con: duckdb.DuckDBPyConnection, status: str = "ok", error: str | None = None,
            parsed_with: str = "v1") -> None:
    con.execute("UPDATE artifact_files SET parser = 'p', parse_status = ?, parse_error = ?, "
                "rows_loaded = 5, parsed_with = ?", [status, error, parsed_with])


def _state(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    return {p: (s, w, n) for p, s, w, n in con.execute(
        "SELECT path, parse_status, parsed_with, rows_loaded FROM artifact_files").fetchall()}


def test_the_same_file_keeps_its_parse_state_and_a_changed_one_loses_it() -> None:
    con = duckdb.connect()
    write_inventory(con, [DAY], [_row("same.csv"), _row("edited.csv"), _row("moved.csv"),
                                 _row("now_a_copy.csv"), _row("now_unreadable.csv")])
    _parsed(con)
    write_inventory(con, [DAY], [
        _row("same.csv"), _row("edited.csv", sha="b" * 64),
        {**_row("moved.csv"), "kind": "gemma3_baseline_csv"},
        _row("now_a_copy.csv", duplicate_of="same.csv"),
        _row("now_unreadable.csv", status="unreadable"), _row("new.csv")])
    state = _state(con)
    assert state["same.csv"] == ("ok", "v1", 5)
    for path in ("edited.csv", "moved.csv", "now_a_copy.csv", "new.csv"):
        assert state[path] == ("pending", None, 0), path
    assert state["now_unreadable.csv"] == ("unreadable", None, 0)


def test_a_failure_worth_another_try_is_never_kept() -> None:
    con = duckdb.connect()
    for status, error in (("unreadable", "cannot read: EIO"), ("error", CHANGED)):
        write_inventory(con, [DAY], [_row("f.csv")])
        _parsed(con, status, error)
        write_inventory(con, [DAY], [_row("f.csv")])
        inventory = read_inventory(con, [DAY])
        assert not any(version.reusable(inventory, "v1").to_pylist()), status
        assert inventory["scan_error"].to_pylist() == [None], status


def test_only_the_current_parser_version_is_reused() -> None:
    con = duckdb.connect()
    write_inventory(con, [DAY], [_row("ok.csv"), _row("broken.csv")])
    _parsed(con)
    con.execute("UPDATE artifact_files SET parse_status = 'error', parse_error = 'bad' "
                "WHERE path = 'broken.csv'")
    write_inventory(con, [DAY], [_row("ok.csv"), _row("broken.csv")])
    inventory = read_inventory(con, [DAY])
    assert version.reusable(inventory, "v1").to_pylist() == [True, True]  # an error stays
    assert version.reusable(inventory, "v2").to_pylist() == [False, False]


def test_the_version_moves_with_the_code_and_the_parse_settings(monkeypatch) -> None:
    first = version.parser_version()
    version.parser_version.cache_clear()
    monkeypatch.setenv("CHIMERA_MAX_PARSE_MB", "7")
    try:
        assert version.parser_version() != first
    finally:
        version.parser_version.cache_clear()
    monkeypatch.delenv("CHIMERA_MAX_PARSE_MB")
    assert version.parser_version() == first
    version.parser_version.cache_clear()
    monkeypatch.setattr(version, "_SOURCES", version._SOURCES[:-1])
    assert version.parser_version() != first
    version.parser_version.cache_clear()


def test_an_empty_inventory_reuses_nothing() -> None:
    con = duckdb.connect()
    write_inventory(con, [DAY], [])
    inventory = read_inventory(con, [DAY])
    assert version.reusable(inventory, "v1").to_pylist() == []
    assert isinstance(inventory, pa.Table)


def test_a_failure_of_the_machine_is_tried_again_not_kept() -> None:
    """A file that failed for want of memory, a permission or a vanished path is parsed
    again next run; a failure of its content stays."""
    con = duckdb.connect()
    errors = ["PermissionError: [Errno 13] Permission denied: 'x.csv'",
              "MemoryError: MemoryError", "DuckDB could not read it: Out of Memory Error: x",
              "FileNotFoundError: [Errno 2] No such file", "invalid JSON: Expecting value"]
    write_inventory(con, [DAY], [_row(f"f{i}.csv") for i in range(len(errors))])
    for i, error in enumerate(errors):
        con.execute("UPDATE artifact_files SET parse_status = 'error', parse_error = ?, "
                    "parsed_with = 'v1' WHERE path = ?", [error, f"f{i}.csv"])
    write_inventory(con, [DAY], [_row(f"f{i}.csv") for i in range(len(errors))])
    assert version.reusable(read_inventory(con, [DAY]), "v1").to_pylist() == [
        False, False, False, False, True]
