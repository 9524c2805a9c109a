"""No file is read as another: names with glob characters, spaces, quotes and line breaks,
each beside the decoys a glob would match, through every reader path (DuckDB's columnar
readers, the whole-file and streamed Python parsers) and a data dir whose own path holds
glob characters (the staged Parquet files)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from chimera_pipeline.lib.inventory.scan import scan_tree
from chimera_pipeline.lib.parsing import staging
from chimera_pipeline.lib.parsing.reader import RootReader
from chimera_pipeline.lib.store.warehouse import replace_partitions
from chimera_pipeline_tests.support import parse_items

LLMPERF = ("llmperf/HongxuanZhang+LLMPerf/result_outputs/"
           "llama2-7b-chat_3500_150_individual_responses.json")
LOAD_TEST = "ollama/rohilrao+ollama-benchmark/scripts/ollama_load_benchmark_results_np20_mlm3_kvq8.csv"
# each hostile stem, and a decoy a glob of it would match
STEMS = {"x[1]": "x1", "y*": "yy", "q?": "qq", "b{a,b}": "ba", "sp ace": None,
         "quo'te\"": None, "new\nline": None}


def _tree(tools_corpus: Path, root: Path) -> dict[str, int]:
    """Each hostile file with its own number of requests (decoys get one more each): the
    rows a reader returns say which file it read."""
    responses = json.loads((tools_corpus / LLMPERF).read_text())
    load_lines = (tools_corpus / LOAD_TEST).read_text().splitlines()
    folder = root / "runs"
    folder.mkdir(parents=True)
    expected: dict[str, int] = {}
    for n, (stem, decoy) in enumerate(STEMS.items(), start=2):
        for name, count in ((stem, n), (decoy, n + 20)):
            if name is None:
                continue
            (folder / f"{name}_individual_responses.json").write_text(
                json.dumps(responses[:count]))
            (folder / f"{name}_ollama_load_benchmark_results.csv").write_text(
                "\n".join(load_lines[:count + 1]) + "\n")
            expected[f"runs/{name}_individual_responses.json"] = count
            expected[f"runs/{name}_ollama_load_benchmark_results.csv"] = count
    return expected


@pytest.mark.parametrize("path", ["duckdb", "python", "streamed"])
def test_every_reader_reads_the_file_it_was_given(tools_corpus: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  path: str) -> None:
    root = tmp_path / "root"
    expected = _tree(tools_corpus, root)
    items = parse_items(scan_tree(root, ("runs",), ("csv", "json")))
    assert {i.path for i in items} == set(expected)
    if path == "streamed":  # every CSV in chunks of rows
        monkeypatch.setattr(staging, "stream_threshold", lambda: 0)
    (tmp_path / "stage").mkdir()
    statuses, staged = staging.parse_in_chunks(
        root, items, tmp_path / "stage", columnar_bytes=0 if path == "duckdb" else 1 << 40)
    by_path = {r["path"]: r for r in statuses.to_pylist()}
    assert {p: r["parse_status"] for p, r in by_path.items()} == dict.fromkeys(expected, "ok")
    if path == "duckdb":
        assert all(r["parser"].endswith("+duckdb") for r in by_path.values())
    rows = pq.ParquetDataset(staged["benchmark_requests"]).read().to_pylist()
    got: dict[str, int] = {}
    for row in rows:
        got[row["source_file"]] = got.get(row["source_file"], 0) + 1
    assert got == expected


def test_a_file_swapped_for_a_link_after_the_hash_is_not_read(tools_corpus: Path,
                                                              tmp_path: Path) -> None:
    """DuckDB is handed the open file, not its name: what the name leads to afterwards
    does not matter."""
    root = tmp_path / "root"
    _tree(tools_corpus, root)
    reader = RootReader(root)
    rel = "runs/x[1]_individual_responses.json"
    with reader.pinned(rel) as (pinned, _):
        moved = root / "runs" / "moved.json"
        (root / rel).rename(moved)
        (root / rel).symlink_to(root / "runs" / "x1_individual_responses.json")
        count = duckdb.sql(f"SELECT count(*) FROM read_json('{pinned.path}', "
                           "format = 'array')").fetchall()[0][0]
    assert count == 2


def test_staged_parquet_under_a_data_dir_with_glob_characters(tmp_path: Path) -> None:
    from chimera_pipeline.lib.store.warehouse import ensure_schema, to_arrow

    row = {"partition": "2025-10-01", "path": "a.csv"}
    good, decoy = tmp_path / "data[1]" / "stage", tmp_path / "data1" / "stage"
    for folder, name in ((good, "a.csv"), (decoy, "decoy.csv")):
        folder.mkdir(parents=True)
        pq.write_table(to_arrow("artifact_files", [{**row, "path": name}]),
                       folder / "artifact_files_0.parquet")
    con = duckdb.connect()
    ensure_schema(con)
    replace_partitions(con, ["2025-10-01"], {
        "artifact_files": [str(good / "artifact_files_0.parquet")]})
    assert con.execute("SELECT path FROM artifact_files").fetchall() == [("a.csv",)]
