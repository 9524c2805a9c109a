"""A very large CSV is parsed in chunks of rows: same rows as a whole-file parse, and memory
that does not grow with the file."""

from __future__ import annotations

import duckdb

from chimera_pipeline.defs.metrics.frames import check_arrow
from chimera_pipeline.lib.inventory.records import inventory_row
from chimera_pipeline.lib.inventory.scan import scan_tree
from chimera_pipeline.lib.parsing import stream_csv
from chimera_pipeline.lib.parsing.item import ParseItem
from chimera_pipeline.lib.parsing.staging import parse_in_chunks
from chimera_pipeline.lib.sample import write_corpus
from chimera_pipeline.lib.store.warehouse import read_inventory, write_inventory
from chimera_pipeline_tests.support import EXTS, ROOTS, parse_items


def _rows(root, staging, monkeypatch, streamed: bool) -> tuple[dict, dict]:
    import pyarrow.parquet as pq

    monkeypatch.setenv("CHIMERA_STREAM_CSV_MB", "0.001" if streamed else "10000")
    monkeypatch.setattr(stream_csv, "ROWS_PER_CHUNK", 7)
    records = [r for r in scan_tree(root, ROOTS, EXTS) if r.file_type == "csv"]
    statuses, staged = parse_in_chunks(root, parse_items(records), staging)
    tables = {t: sorted(map(repr, pq.read_table([str(p) for p in paths]).to_pylist()))
              for t, paths in staged.items()}
    rows = statuses.to_pylist()
    streamed_files = sum(1 for s in rows if "streamed" in (s["parse_error"] or ""))
    assert (streamed_files > 5) == streamed
    return tables, {s["path"]: (s["parse_status"], s["rows_loaded"], s["values_loaded"])
                    for s in rows}


def test_streamed_csv_gives_the_rows_of_a_whole_file_parse(tmp_path, monkeypatch) -> None:
    root = tmp_path / "artifacts"
    write_corpus(root)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    whole, whole_status = _rows(root, tmp_path / "a", monkeypatch, streamed=False)
    streamed, streamed_status = _rows(root, tmp_path / "b", monkeypatch, streamed=True)
    assert whole["llm_runs"] and whole["metric_values"]
    assert streamed == whole  # units rows, row numbers, typed rows: identical
    assert streamed_status == whole_status






def test_chunks_of_files_give_the_rows_of_one_pass(tmp_path) -> None:
    """``benchmark_metrics`` parses a few hundred files per staged chunk to bound memory:
    the staged rows and statuses must not depend on where the chunks are cut."""
    import pyarrow.parquet as pq

    root = tmp_path / "artifacts"
    write_corpus(root)
    records = scan_tree(root, ROOTS, EXTS)
    inventory = parse_items(records)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:  # the asset's columnar read
        write_inventory(con, {r.partition for r in records}, [inventory_row(r) for r in records])
        columnar = read_inventory(con, {r.partition for r in records})
    assert [ParseItem.from_row(row) for row in columnar.to_pylist()] == sorted(
        inventory, key=lambda item: item.path)
    results = []
    # chunks in one process, one chunk, a process pool, a pool fed from the Arrow inventory
    for size, workers, source in ((7, 1, inventory), (10_000, 1, inventory), (7, 2, inventory),
                                  (7, 2, columnar)):
        staging = tmp_path / f"chunks_{len(results)}"
        staging.mkdir()
        statuses, staged = parse_in_chunks(root, source, staging, chunk_files=size,
                                            check=check_arrow, workers=workers)
        assert max(len(paths) for paths in staged.values()) > 1 or size > len(inventory)
        results.append(({t: sorted(map(repr, pq.read_table([str(p) for p in ps]).to_pylist()))
                         for t, ps in staged.items()},
                        sorted(statuses.to_pylist(), key=lambda s: s["path"])))
    assert results[0] == results[1] == results[2] == results[3]
