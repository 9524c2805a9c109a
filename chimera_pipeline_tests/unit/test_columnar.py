"""Per-request files read by DuckDB give the same rows as the Python readers (real files),
and a big one is staged without going through Python objects."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from chimera_pipeline.lib.inventory.scan import scan_tree
from chimera_pipeline.lib.parsing.parse_file import parse_files
from chimera_pipeline.lib.parsing.staging import parse_in_chunks
from chimera_pipeline.lib.store.warehouse import to_arrow
from chimera_pipeline_tests.support import parse_items

FILES = [
    "llmperf/HongxuanZhang+LLMPerf/result_outputs/llama2-7b-chat_3500_150_individual_responses.json",
    "llmperf/johnsonafool+llmperf-test/result_outputs/gpt-4.1-nano_20260120_165625/raw_data/"
    "performance/50/gpt-4-1-nano_550_150_individual_responses.json",
    "ollama/S1M0N38+my-ollama-notes/benchmarks/A6000/benchmarks_eval.csv",
    "ollama/S1M0N38+my-ollama-notes/benchmarks/M1MAX/benchmarks_prompt_eval.csv",
    "ollama/rohilrao+ollama-benchmark/scripts/ollama_load_benchmark_results_np20_mlm3_kvq8.csv",
]


def _tree(tools_corpus: Path, tmp_path: Path, files: list[str]) -> Path:
    root = tmp_path / "root"
    for rel in files:
        (root / "runs" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(tools_corpus / rel, root / "runs" / rel)
    return root


def _items(root: Path) -> list:
    return parse_items(scan_tree(root, ("runs",), ("csv", "json", "jsonl")))


def _rows(table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: (r["source_file"], r["request_index"]))


def test_duckdb_and_python_readers_give_the_same_requests(tools_corpus: Path,
                                                          tmp_path: Path) -> None:
    root = _tree(tools_corpus, tmp_path, FILES)
    (root / "runs" / "api.jsonl").write_text("\n".join([
        "time=2025-01-02 level=INFO msg=loading",
        json.dumps({"model": "gemma3:4b", "created_at": "2025-01-02T10:00:00Z", "done": True,
                    "total_duration": 2_000_000_000, "load_duration": 1_000,
                    "prompt_eval_count": 10, "prompt_eval_duration": 100_000_000,
                    "eval_count": 50, "eval_duration": 1_000_000_000}),
        json.dumps({"model": "gemma3:4b", "created_at": "2025-01-02T10:00:01Z", "done": False}),
    ]) + "\n")
    items = _items(root)
    assert len(items) == len(FILES) + 1
    python = parse_files(root, items)
    assert {s.parse_status for s in python.statuses} == {"ok"}
    expected = to_arrow("benchmark_requests", python.tables["benchmark_requests"])
    statuses, staged = parse_in_chunks(root, items, tmp_path / "stage", columnar_bytes=0)
    assert set(statuses["parse_status"].to_pylist()) == {"ok"}
    assert all(p.startswith("formats.") and p.endswith("+duckdb")
               for p in statuses["parser"].to_pylist())
    got = pq.read_table(staged["benchmark_requests"]).cast(expected.schema)
    assert got.num_rows == expected.num_rows == 80 + 10 + 280 + 200 + 75 + 1
    assert _rows(got) == _rows(expected)
    assert "metric_values" not in staged  # the numbers are the requests, once


def test_a_big_per_request_file_goes_through_duckdb(tools_corpus: Path, tmp_path: Path) -> None:
    """Above the threshold a responses file is staged by DuckDB (its status says so); a
    broken one is an error of that file only."""
    rel = FILES[0]
    root = _tree(tools_corpus, tmp_path, [rel])
    rows = json.loads((root / "runs" / rel).read_text())
    (root / "runs" / rel).write_text(json.dumps(rows * 400))  # ~12 MB, 32,000 requests
    broken = root / "runs" / "other_individual_responses.json"
    broken.write_text('[{"error_code": null, "ttft_s": 1.0, "end_to_end_latency_s": 2.0}, {')
    items = _items(root)
    statuses, staged = parse_in_chunks(root, items, tmp_path / "stage")
    by_path = {p: (s, e) for p, s, e in zip(statuses["path"].to_pylist(),
                                            statuses["parse_status"].to_pylist(),
                                            statuses["parse_error"].to_pylist(), strict=True)}
    assert by_path["runs/" + rel][0] == "ok" and "columnar" in by_path["runs/" + rel][1]
    assert by_path["runs/other_individual_responses.json"][0] == "error"
    table = pq.read_table(staged["benchmark_requests"])
    assert table.num_rows == 80 * 400
    assert table.column("ttft_s").to_pylist()[:80] == pytest.approx([r["ttft_s"] for r in rows])
