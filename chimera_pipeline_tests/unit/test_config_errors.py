"""Configuration mistakes end in one line that names the setting and the fix."""

from __future__ import annotations

import pytest

from chimera_pipeline_tests.support import chimera

BAD_VALUES = [
    ("CHIMERA_PARTITION_START", "yesterday", "YYYY-MM-DD"),
    ("CHIMERA_LLM_MAX_TOKENS", "lots", "whole number"),
    ("CHIMERA_LLM_TIMEOUT", "-5", "at least"),
    ("CHIMERA_LLM_TEMPERATURE", "nan", "finite"),
    ("CHIMERA_LLM_BACKEND", "gpt", "auto, ollama or embedded"),
    ("CHIMERA_GPU_SLOTS", "0", "at least 1"),
    ("CHIMERA_GROUNDING_THRESHOLD", "high", "number"),
    ("CHIMERA_SCHEDULE_TIMEZONE", "Mars/Base", "IANA"),
    ("CHIMERA_SCAN_ROOTS", "../../etc", "leaves the artifact root"),
    ("CHIMERA_MAX_PARSE_MB", "0", "at least 1"),
]


def _one_clear_line(result, *needles: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chimera: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize(("name", "value", "fix"), BAD_VALUES, ids=[b[0] for b in BAD_VALUES])
def test_a_bad_setting_is_one_line_naming_it(tmp_path, name, value, fix) -> None:
    result = chimera(["run"], {name: value, "CHIMERA_DATA_DIR": str(tmp_path)})
    _one_clear_line(result, name, fix)


def test_missing_artifact_root(tmp_path) -> None:
    result = chimera(["run"], {"CHIMERA_ARTIFACT_ROOT": str(tmp_path / "nope"),
                               "CHIMERA_DATA_DIR": str(tmp_path)})
    _one_clear_line(result, "CHIMERA_ARTIFACT_ROOT", str(tmp_path / "nope"))


def test_data_dir_that_cannot_be_written(tmp_path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    result = chimera(["run"], {"CHIMERA_DATA_DIR": str(blocker / "data")})
    _one_clear_line(result, "CHIMERA_DATA_DIR", "not a writable folder")


def test_a_warehouse_that_is_not_a_duckdb_file(tmp_path) -> None:
    (tmp_path / "warehouse.duckdb").write_bytes(b"this is not a database" * 100)
    result = chimera(["run"], {"CHIMERA_DATA_DIR": str(tmp_path)})
    _one_clear_line(result, "warehouse.duckdb", "move it away")


def test_a_misspelt_setting_is_warned_about(tmp_path) -> None:
    result = chimera(["dates"], {"CHIMERA_LLM_MAXTOKENS": "10", "CHIMERA_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0
    assert "did you mean CHIMERA_LLM_MAX_TOKENS?" in result.stderr


def test_a_read_only_connection_reads_no_other_file(tmp_path) -> None:
    import duckdb
    import pytest

    from chimera_pipeline.lib.store.warehouse import connect_read_only

    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).execute("CREATE TABLE t AS SELECT 1 AS a").close()
    con = connect_read_only(path, files=False)
    assert con.execute("SELECT a FROM t").fetchall() == [(1,)]
    with pytest.raises(duckdb.Error, match="disabled"):
        con.execute(f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'")
    con.close()
