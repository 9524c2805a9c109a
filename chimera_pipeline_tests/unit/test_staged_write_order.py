"""Staged rows are inserted without keeping their order (DuckDB's setting for the whole
database, switched off around the write): whatever happens in the write, the setting is put
back as it was and a failed insert says its own error, with nothing of the write kept."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chimera_pipeline.lib.store.schema import arrow_schema
from chimera_pipeline.lib.store.warehouse import replace_partitions

ORDER = "SELECT current_setting('preserve_insertion_order')"


def _staged(path: Path, source_row: pa.Array) -> list[str]:
    schema = arrow_schema("llm_runs")
    columns = {name: pa.nulls(len(source_row), field.type) for name, field in
               zip(schema.names, schema, strict=True)}
    columns.update(partition=pa.array(["2025-10-01"] * len(source_row)), source_row=source_row,
                   measurement_key=pa.array([f"k{i}" for i in range(len(source_row))]))
    pq.write_table(pa.table(columns), path)
    return [str(path)]


@pytest.mark.parametrize("before", [True, False])
def test_the_setting_comes_back_after_a_write_and_after_a_failed_one(tmp_path, before) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(f"SET preserve_insertion_order = {before}")
    good = _staged(tmp_path / "good.parquet", pa.array(range(1, 2001), pa.int64()))
    replace_partitions(con, ["2025-10-01"], {"llm_runs": good})
    assert con.execute(ORDER).fetchone()[0] is before
    assert con.execute("SELECT count(*) FROM llm_runs").fetchone()[0] == 2000
    # a staged file whose row numbers are text: the insert fails inside the transaction
    bad = _staged(tmp_path / "bad.parquet", pa.array(["not a number"] * 3))
    with pytest.raises(duckdb.ConversionException):  # its own error, not the reset's
        replace_partitions(con, ["2025-10-01"], {"llm_runs": bad})
    assert con.execute(ORDER).fetchone()[0] is before
    assert con.execute("SELECT count(*) FROM llm_runs").fetchone()[0] == 2000  # rolled back
    other = duckdb.connect(str(tmp_path / "w.duckdb"))  # the database's setting, seen by all
    assert other.execute(ORDER).fetchone()[0] is before


@pytest.mark.parametrize("stored", [("F12", "F3"), ("F3", "F12")])
def test_facts_of_one_key_are_read_in_id_order_whatever_the_storage_order(
        con, stored: tuple[str, str]) -> None:
    """Two facts of one key and priority (requests without a model and a model named
    "unknown model"): the report and the LLM read them in id order, so a reader that keeps
    the last of a key keeps the same one whichever the load stored first."""
    from chimera_pipeline.lib.report.data import report_data
    from chimera_pipeline.lib.store.warehouse import FACT_ORDER, read_rows

    for fact_id in stored:
        con.execute("INSERT INTO facts (partition, fact_id, fact_key, priority, value) VALUES "
                    "('2025-10-01', ?, 'llm.unknown model.baseline.requests', 20, ?)",
                    [fact_id, float(fact_id[1:])])
    read = read_rows(con, "facts", ["2025-10-01"], order=FACT_ORDER)
    assert [row["fact_id"] for row in read] == ["F3", "F12"]
    assert [row["fact_id"] for row in report_data(con, "2025-10-01")["facts"]] == ["F3", "F12"]
