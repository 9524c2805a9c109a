"""One reading of a number for every reader: the decisions of ``lib.common.numbers``, the
DuckDB macros that repeat them, and the same hostile cells through every reader path
(Python and DuckDB per-request readers, the tool readers, the generic extractors), with
no infinity or NaN reaching any table."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from chimera_pipeline.lib.common.numbers import DUCKDB_MACROS, is_non_finite, parse_number
from chimera_pipeline.lib.formats.model import number
from chimera_pipeline.lib.inventory.scan import scan_tree
from chimera_pipeline.lib.parsing import numbers as parsing_numbers
from chimera_pipeline.lib.parsing import staging
from chimera_pipeline.lib.parsing.parsers import ParseContext, parse
from chimera_pipeline_tests.support import parse_items

# text -> the number it is (None: not a number); the decisions the module docstring states
DECISIONS: dict[str, float | None] = {
    "42": 42.0, " 42 ": 42.0, "\t7\n": 7.0, "-0": -0.0, "+.5e-3": 0.0005, "1.": 1.0,
    "1,024": 1024.0, "2,156.03": 2156.03, "22,80,000": 2280000.0,
    "1,5": None, "1.234,5": None, "12,3456": None, "1_000": None,
    "inf": None, "Infinity": None, "-inf": None, "NaN": None, "nan": None, "1e309": None,
    "\u0661\u0662": None, "\uff13": None, "12a": None, "": None, "1e5 x": None,
}


@pytest.mark.parametrize("text", sorted(DECISIONS))
def test_the_decisions(text: str) -> None:
    got = parse_number(text)
    assert got == DECISIONS[text] and (got is None or math.isfinite(got))


def test_every_python_reader_uses_the_one_parser() -> None:
    assert parsing_numbers.parse_number is parse_number
    for text in DECISIONS:
        assert number(text) == parse_number(text), text
    for value in (True, None, float("inf"), float("nan"), 10 ** 400, 3, 2.5):
        assert number(value) == parse_number(value)
    assert parse_number(10 ** 400) is None and parse_number(True) is None
    assert is_non_finite("1e309") and is_non_finite(float("nan")) and not is_non_finite("1,5")


def test_duckdb_reads_text_as_the_python_parser_does() -> None:
    con = duckdb.connect()
    con.execute(DUCKDB_MACROS)
    for text, expected in DECISIONS.items():
        got = con.execute("SELECT finite_number(?)", [text]).fetchall()[0][0]
        assert got == expected, text
    assert con.execute("SELECT finite('inf'::DOUBLE), finite('nan'::DOUBLE), finite(2.0)"
                       ).fetchall() == [(None, None, 2.0)]


LOAD_HEADER = ("model,context_size,run,timestamp_utc,status,load_time_s,total_time_s,"
               "wall_time_s,prompt_eval_time_s,eval_time_s,prompt_tokens,generated_tokens,"
               "vram_gb,total_size_gb,vram_pct,error_message")


def test_hostile_cells_give_the_same_requests_through_python_and_duckdb(tmp_path: Path
                                                                        ) -> None:
    """A load-test CSV (the shape of a real one in the tools corpus) whose timing cells
    hold every hostile form: both per-request readers store the same rows, none infinite."""
    rows = [f"qwen3:8b,8192,{i},2026-08-11T19:22:01+00:00,ok,\"{text}\",\"{text}\",1.0,"
            f"0.5,2.0,13,\"{text}\",7.0,7.0,100.0," for i, text in enumerate(DECISIONS)]
    root = tmp_path / "root"
    (root / "runs").mkdir(parents=True)
    (root / "runs" / "ollama_load_benchmark_results.csv").write_text(
        LOAD_HEADER + "\n" + "\n".join(rows) + "\n")
    items = parse_items(scan_tree(root, (".",), ("csv",)))
    assert [i.kind for i in items] == ["ollama_load_test_csv"]
    got = {}
    for name, threshold in (("python", 1 << 40), ("duckdb", 0)):
        stage = tmp_path / name
        stage.mkdir()
        statuses, staged = staging.parse_in_chunks(root, items, stage, columnar_bytes=threshold)
        assert statuses["parse_status"].to_pylist() == ["ok"]
        table = pq.ParquetDataset(staged["benchmark_requests"]).read()
        got[name] = sorted(((r["request_index"], r["load_s"], r["e2e_latency_s"],
                             r["output_tokens"]) for r in table.to_pylist()), key=repr)
    assert got["python"] == got["duckdb"]
    expected = [(i + 1, value, value, value) for i, value in enumerate(DECISIONS.values())]
    assert sorted(expected, key=repr) == got["python"]


def test_generic_extractors_store_no_guessed_or_infinite_value() -> None:
    cells = ["1,5", "1_000", "Infinity", "NaN", "1e309", "2,156.03"]
    texts = {
        "csv": "model,ttft_ms\n" + "\n".join(f'm{i},"{c}"' for i, c in enumerate(cells)),
        "json": json.dumps({"runs": [{"ttft_ms": c} for c in cells]}),
        "md": "| model | ttft (ms) |\n|---|---|\n" + "\n".join(
            f"| m{i} | {c} |" for i, c in enumerate(cells)),
    }
    for file_type, text in texts.items():
        out = parse(ParseContext(f"x.{file_type}", f"generic_{file_type}", file_type, "d", text))
        values = [row["value"] for row in out.all_rows("metric_values")]
        assert values == [pytest.approx(2.15603)], (file_type, values)  # 2,156.03 ms in s


def test_a_negative_value_in_a_tools_file_costs_that_value_never_the_run(tmp_path: Path
                                                                         ) -> None:
    """A community table with -1 tokens/s and an llmperf responses file with a negative
    TTFT, through both per-request readers: the values are left out with a warning and
    every row passes the frame checks that would otherwise fail the metrics step."""
    from chimera_pipeline.defs.metrics.frames import check_arrow

    root = tmp_path / "root"
    (root / "runs").mkdir(parents=True)
    (root / "runs" / "results.md").write_text(
        "| Model | tokens/s | TTFT (ms) |\n|---|---|---|\n| phi3:mini | -1 | -1 |\n"
        "| gemma3:4b | 51.2 | 120 |\n")
    responses = [{"error_code": None, "error_msg": "", "ttft_s": -0.002,
                  "inter_token_latency_s": 0.01, "end_to_end_latency_s": 1.0,
                  "request_output_throughput_token_per_s": 50.0, "number_input_tokens": 10,
                  "number_output_tokens": -1}]
    (root / "runs" / "m_10_10_individual_responses.json").write_text(json.dumps(responses))
    items = parse_items(scan_tree(root, (".",), ("md", "json")))
    for name, threshold in (("python", 1 << 40), ("duckdb", 0)):
        stage = tmp_path / name
        stage.mkdir()
        statuses, staged = staging.parse_in_chunks(root, items, stage, check=check_arrow,
                                                   columnar_bytes=threshold)
        assert set(statuses["parse_status"].to_pylist()) == {"ok"}, name
        requests = pq.ParquetDataset(staged["benchmark_requests"]).read().to_pylist()
        assert [(r["ttft_s"], r["output_tokens"]) for r in requests] == [(None, None)], name
    results = pq.ParquetDataset(staged["benchmark_results"]).read().to_pylist()
    assert {r["value"] for r in results if r["metric"] == "decode_tps"} == {51.2}
    warnings = " ".join(w or "" for w in statuses["parse_error"].to_pylist())
    assert "negative" in warnings
