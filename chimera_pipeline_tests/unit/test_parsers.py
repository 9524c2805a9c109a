"""Parsers on the corpus's traps: failed rows, units rows, glued tables, broken encodings."""

import hashlib
import os
from pathlib import Path

from chimera_pipeline.lib.parsing.item import ParseItem
from chimera_pipeline.lib.parsing.numbers import unit_from_name
from chimera_pipeline.lib.parsing.parse_file import (
    ParsedRows,
    max_parse_bytes,
    parse_file,
    parse_files,
)
from chimera_pipeline.lib.parsing.parsers import ParseContext, parse, values
from chimera_pipeline.lib.parsing.parsers.base import ParseError, ParseOutput
from chimera_pipeline.lib.parsing.parsers.llm_runs import model_from_filename
from chimera_pipeline.lib.parsing.parsers.tabular import LABEL_COLUMNS, is_units_header, read_csv
from chimera_pipeline.lib.parsing.reader import RootReader
from chimera_pipeline.lib.sample import write_corpus


def _ctx(path: str, kind: str, text: str) -> ParseContext:
    return ParseContext(path, kind, path.rsplit(".", 1)[1], "2025-10-02", text)


RUNS_HEADER = ("timestamp,model,prompt_index,prompt_text,ttft_s,tokens_s,load_s,prompt_eval_s,"
               "eval_s,prompt_eval_count,eval_count,response_chars,error,options\n")


def test_failed_rows_keep_their_error_and_lose_their_zeros() -> None:
    text = RUNS_HEADER + (
        '2025-10-02T19:12:04+00:00,m:q4_0,1,p,0.000000,0.00,0.000000,0.000000,0.000000,0,0,0,'
        'Failed to connect,"{""temperature"":0.3}"\n'
        '2025-10-02T19:12:04+00:00,m:q4_0,2,p,0.1,77.5,0.08,0.02,1.3,20,100,400,,'
        '"{""temperature"":0.3,""top_p"":0.9}"\n')
    runs = parse(_ctx("reports/ollama/x/prompt_suite_runs.csv", "ollama_prompt_suite_runs_csv",
                      text)).rows["llm_runs"]
    failed, good = runs
    assert (failed["ok"], failed["error"], failed["decode_tps"], failed["ttft_s"]) == (
        False, "Failed to connect", None, None)
    assert good["ok"] and good["decode_tps"] == 77.5 and good["top_p"] == 0.9
    assert good["prefill_tps"] == 20 / 0.02 and good["quant"] == "q4_0"


def test_timed_out_and_negative_rows() -> None:
    text = ("num_gpu,num_ctx,temperature,config_name,ttft_s,tokens_s,load_s,prompt_eval_s,eval_s,"
            "eval_count,error\n60,1024,0.2,g60_c1024_t0.2,,,,,,,timed out\n"
            "80,1024,0.2,g80_c1024_t0.2,-1.0,280.0,0.1,0.01,1.0,280,\n")
    runs = parse(_ctx("reports/gemma3/gemma3_270m_param_tuning.csv", "gemma3_param_tuning_csv",
                      text)).rows["llm_runs"]
    assert [(r["ok"], r["error"]) for r in runs] == [
        (False, "timed out"), (False, "impossible negative value: ttft_s")]
    assert runs[1]["ttft_s"] is None and runs[0]["model"] == "gemma3:270m"


def test_model_names_from_file_names() -> None:
    assert model_from_filename("gemma3_1b-it-qat_param_tuning_summary") == "gemma3:1b-it-qat"
    assert model_from_filename("gemma3_baseline") == "gemma3:latest"
    assert model_from_filename("prompt_suite_runs") is None


def test_units_row_and_digit_grouping() -> None:
    text = ('"ID","Kernel Name","device__attribute_clock_rate","gpu__time_duration.sum"\n'
            '"","","","us"\n"0","k","22,80,000","9.408000"\n')
    values = parse(_ctx("reports/ncu_ollama_raw.csv", "nsight_compute_raw_csv",
                        text)).all_rows("metric_values")
    by_metric = {v["metric"]: v for v in values}
    assert by_metric["device__attribute_clock_rate"]["value"] == 2280000.0
    duration = by_metric["gpu__time_duration.sum"]
    assert (duration["unit"], duration["raw_unit"]) == ("s", "us")
    assert abs(duration["value"] - 9.408e-6) < 1e-15 and duration["entity"] == "k"


def test_markdown_table_glued_to_the_previous_line() -> None:
    text = ("# Compilation Benchmark Report - Generated: 2025-10-02T21:21:05+00:00\n- Model: conv\n"
            "- DType: torch.float32 | Backend | Success | Compile Time (s) | Mean (ms) |\n"
            "| --- | --- | --- | --- |\n| tensorrt | yes | 17.1626 | 0.431 |\n")
    values = parse(_ctx("reports/compilation/c.md", "compilation_bench_md",
                        text)).all_rows("metric_values")
    cells = {(v["entity"], v["metric"]): (v["value"], v["unit"]) for v in values}
    assert cells[("tensorrt", "Compile Time (s)")] == (17.1626, "s")
    assert cells[("tensorrt", "Mean (ms)")][1] == "s"
    assert abs(cells[("tensorrt", "Mean (ms)")][0] - 0.000431) < 1e-12


def test_failed_compile_backend_has_no_latency() -> None:
    text = ('{"generated_at": "x", "model": {"name": "conv", "device": "cuda"}, "settings": {}, '
            '"backends": {"torch_compile": {"compilation": {"success": false, "error": "no triton"},'
            ' "benchmark": {"mean_time_ms": 0.0}}, "tensorrt": {"compilation": {"success": true, '
            '"compile_time_s": 17.16}, "benchmark": {"mean_time_ms": 0.43}}}}')
    rows = parse(_ctx("reports/compilation/conv_cuda_bench_20251002-172037.json",
                      "compilation_bench_json", text)).rows["compile_benchmarks"]
    by_backend = {r["backend"]: r for r in rows}
    assert by_backend["torch_compile"]["mean_ms"] is None
    assert by_backend["torch_compile"]["ok"] is False
    assert by_backend["tensorrt"]["compile_time_s"] == 17.16
    assert by_backend["tensorrt"]["bench_id"] == "conv_cuda_bench"


def test_a_broken_file_is_recorded_and_the_rest_still_loads(tmp_path: Path) -> None:
    import hashlib

    files = {"reports/bad.json": b'{"truncated": ', "reports/ncu_summary.csv":
             "ÿþ".encode() + "==ERROR== bad".encode("utf-16-le"),
             "reports/good.json": b'{"a": {"latency_ms": 5}}'}
    inventory = []
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
        inventory.append(ParseItem(rel, "generic", rel.rsplit(".", 1)[1], "2025-10-02",
                                   hashlib.sha256(data).hexdigest()))
    result = parse_files(tmp_path, inventory)
    status = {s.path: s for s in result.statuses}
    assert status["reports/bad.json"].parse_status == "error"
    assert "invalid JSON" in status["reports/bad.json"].parse_error
    assert status["reports/ncu_summary.csv"].parse_status == "error"
    assert "==ERROR== bad" in status["reports/ncu_summary.csv"].parse_error
    assert status["reports/good.json"].parse_status == "ok"
    assert [(v["metric"], v["value"]) for v in result.all_rows("metric_values")] == [
        ("latency_ms", 0.005)]


def test_a_file_changed_after_the_inventory_is_not_loaded(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports/x.json").write_text('{"a": 1}')
    rows = ParsedRows()
    status = parse_file(RootReader(tmp_path), ParseItem("reports/x.json", "generic_json", "json",
                                                        "d", "0" * 64), rows, max_parse_bytes())
    assert (status.parse_status, dict(rows.tables)) == ("error", {})
    assert "changed since the inventory" in status.parse_error


def test_files_swapped_for_links_or_fifos_after_the_inventory_are_not_read(
        tmp_path: Path) -> None:
    """The walk saw plain files; by parse time one is a link out of the root, one a folder
    swapped for a link out of it, one a FIFO (reading it would block). None is read."""
    root, secret = tmp_path / "root", tmp_path / "secret"
    (root / "reports/sub").mkdir(parents=True)
    secret.mkdir()
    (secret / "x.json").write_text('{"password": 1234}')
    os.symlink(secret / "x.json", root / "reports/leak.json")
    os.symlink(secret, root / "reports/moved")
    os.mkfifo(root / "reports/pipe.json")
    (root / "reports/sub/inside.json").write_text('{"a": 1}')
    os.symlink(root / "reports/sub/inside.json", root / "reports/link_in.json")
    digest = hashlib.sha256(b'{"a": 1}').hexdigest()
    items = [ParseItem(p, "generic_json", "json", "d", digest) for p in ("reports/leak.json", "reports/moved/x.json",
                                          "reports/pipe.json", "reports/link_in.json")]
    result = parse_files(root, items)
    status = {s.path: s for s in result.statuses}
    for rel in ("reports/leak.json", "reports/moved/x.json"):
        assert status[rel].parse_status == "unreadable"
        assert "outside the artifact root" in status[rel].parse_error
    assert status["reports/pipe.json"].parse_status == "unreadable"
    assert "no longer a regular file" in status["reports/pipe.json"].parse_error
    assert status["reports/link_in.json"].parse_status == "ok"  # a link inside is followed
    assert [v["value"] for v in result.all_rows("metric_values")] == [1.0]


def _reference_csv_values(ctx: ParseContext, out: ParseOutput) -> None:
    """The plain per-cell path (``_add`` for every cell): what ``csv_values`` must equal."""
    header, rows = read_csv(ctx.text)
    units: list[str] = []
    if is_units_header(rows):
        units, rows = [c.strip() for c in rows[0]], rows[1:]
    lowered = [h.lower() for h in header]
    label = next((lowered.index(c) for c in LABEL_COLUMNS if c in lowered), None)
    for r, row in enumerate(rows, start=1):
        entity = row[label] if label is not None and label < len(row) else None
        for c, cell in enumerate(row[: len(header)]):
            unit = (units[c] if c < len(units) and units[c] else None) or unit_from_name(
                header[c])
            values._add(out, ctx, f"row{r}.{header[c]}", header[c], cell, unit, entity)


def test_the_hoisted_csv_extractor_stores_what_the_per_cell_path_does(
        tmp_path: Path, real_corpus: Path) -> None:
    write_corpus(tmp_path)
    hostile = ("model,ttft_s,tokens_s,note\nm1,-1,5,x\nm2,1e309,NaN,y\nm3,\"1,024\",2e8,z\n"
               "m4,400000000,12.5\nm5, 7 ,1_000,0.5,extra\n")
    texts = [p.read_text(errors="replace") for root in (tmp_path, real_corpus)
             for p in sorted(root.rglob("*.csv"))] + [hostile, "a_ms,b\nms,%\n1,2\n3,4\n"]
    compared = 0
    for text in texts:
        ctx = ParseContext("x.csv", "generic_csv", "csv", "d", text)
        fast, slow = ParseOutput(), ParseOutput()
        try:
            values.csv_values(ctx, fast)
        except ParseError:
            continue
        _reference_csv_values(ctx, slow)
        assert fast.all_rows("metric_values") == slow.all_rows("metric_values")
        assert +fast.counts == +slow.counts
        compared += len(slow.rows.get("metric_values", []))
    assert compared > 5_000
