"""Big Ollama request CSVs typed in SQL (DuckDB) give the rows the Python parser gives.

Floats are compared exactly: the SQL path reads each number with the same correctly rounded
conversion, and ``prefill_tps`` is the same IEEE division of the same two doubles.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import shutil
import struct
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from chimera_pipeline.lib.inventory.scan import scan_tree
from chimera_pipeline.lib.parsing import llm_runs_sql
from chimera_pipeline.lib.parsing.parse_file import parse_files
from chimera_pipeline.lib.parsing.staging import parse_in_chunks
from chimera_pipeline.lib.store.schema import column_names
from chimera_pipeline_tests.support import REAL_CORPUS_ROOTS, parse_items

COLUMNS = column_names("llm_runs")


def _items(root: Path, roots: tuple[str, ...] = ("runs",)) -> list:
    return parse_items(scan_tree(root, roots, ("csv", "json")))


def _python_rows(root: Path, items: list) -> list[dict]:
    rows = parse_files(root, items).tables["llm_runs"]
    return sorted(({c: r.get(c) for c in COLUMNS} for r in rows),
                  key=lambda r: (r["source_file"], r["source_row"]))


def _sql(root: Path, items: list, stage: Path) -> tuple[pa.Table, list[dict]]:
    """Statuses and llm_runs rows of ``items`` staged with the SQL path's threshold at 0."""
    statuses, staged = parse_in_chunks(root, items, stage, columnar_bytes=0)
    rows = [r for p in staged.get("llm_runs", ()) for r in pq.read_table(p).to_pylist()]
    return statuses, sorted(({c: r[c] for c in COLUMNS} for r in rows),
                            key=lambda r: (r["source_file"], r["source_row"]))


def test_every_real_request_csv_gives_the_python_rows(real_corpus: Path,
                                                      tmp_path: Path) -> None:
    items = [i for i in _items(real_corpus, tuple(REAL_CORPUS_ROOTS.split(",")))
             if i.kind in llm_runs_sql.KINDS and i.type == "csv" and not i.duplicate_of]
    assert len(items) >= 18 and {i.kind for i in items} == llm_runs_sql.KINDS
    statuses, got = _sql(real_corpus, items, tmp_path / "stage")
    assert set(statuses["parser"].to_pylist()) == {llm_runs_sql.NAME}
    assert set(statuses["parse_status"].to_pylist()) == {"ok"}
    expected = _python_rows(real_corpus, items)
    assert len(got) == len(expected) == 274
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == theirs
    assert {r["ok"] for r in got} == {True, False}  # failed rows are in the comparison too


HOSTILE = '''timestamp,model,tag,prompt_index,prompt_text,ttft_s,tokens_s,load_s,prompt_eval_s,\
eval_s,prompt_eval_count,eval_count,response_chars,error,options
2025-10-02T10:00:00,gemma3:4b-it-q4_K_M,q4_K_M,1,"say ""hi""
on two lines",0.25,101.5,0.1,0.02,2.5,20,250,1000,,"{""temperature"":0.3,""top_p"":0.9}"
2025-10-02T10:00:01,,,2,empty cells,,,,,,,,,,
2025-10-02T10:00:02,gemma3:4b,,3,not a number,NaN,inf,-inf,1e309,nan,1_000,x,,,"{""num_gpu"": 999}"
2025-10-02T10:00:03,gemma3:4b,,4,decimal comma,"1,5","1,024",0.1,0.02,2.5,"1,000",20,5,,not json
2025-10-02T10:00:04,gemma3:4b,,5,negative,-0.5,90.0,0.1,0.02,2.5,20,250,5,,
2025-10-02T10:00:05,gemma3:4b,,6,error text,0.000000,0.00,0.0,0.0,0.0,0,0,0,"  Failed to connect, retry  ",
 ,  , , , , , , , , , , , , ,
2025-10-02T10:00:06,gemma3:4b,,7,absurd, 0.5 ,2e7,400000000,0.0,2.5,-3,250,5,,"{""temperature"": ""0.7"", ""top_k"": 40.9}"
2025-10-02T10:00:07,gemma3:4b,,8,short row,0.5
2025-10-02T10:00:08,gemma3:4b,,9,zero throughput,0.5,0,0.1,0.02,2.5,20,250,5,,
'''


def _write(root: Path, name: str, text: str) -> None:
    (root / "runs").mkdir(parents=True, exist_ok=True)
    (root / "runs" / name).write_text(text, newline="")


def test_hostile_cells_give_the_python_rows(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _write(root, "prompt_suite_runs.csv", HOSTILE)
    _write(root, "x[1].csv", HOSTILE.replace("prompt_text,", "prompt,").replace(
        ",options\n", ",num_gpu\n").replace("\n", "\r\n"))  # glob characters, CRLF, no options
    _write(root, "x1.csv", "timestamp,prompt_index,options,tokens_s\n")  # what x[1] would glob
    # missing columns (no ttft_s, no model: the file name's model)
    _write(root, "gemma3_1b-it-qat_param_tuning.csv",
           "num_gpu,num_ctx,temperature,config_name,tokens_s,load_s,eval_count,error\n"
           '999,1024,0.2,,101.4,2.29,967,\n80,2048,"0,4",g80,abc,-1,5,\n\n999,4096,0.8,,0,,,\n')
    items = [i for i in _items(root) if i.kind in llm_runs_sql.KINDS]
    assert len(items) == 4
    statuses, got = _sql(root, items, tmp_path / "stage")
    assert set(statuses["parse_status"].to_pylist()) == {"ok"}, statuses.to_pylist()
    expected = _python_rows(root, items)
    assert len(got) == len(expected) == 2 * 9 + 3
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == theirs
    by_prompt = {(r["source_file"], r["prompt_id"]): r for r in got}
    quoted = by_prompt[("runs/prompt_suite_runs.csv", "1")]
    assert quoted["prompt_text"] == 'say "hi"\non two lines' and quoted["ok"]
    assert by_prompt[("runs/prompt_suite_runs.csv", "7")]["decode_tps"] is None  # absurd
    assert {r["model"] for r in got if "param_tuning" in r["source_file"]} == {
        "gemma3:1b-it-qat"}


def test_a_csv_and_its_json_twin_get_the_same_measurement_keys(tmp_path: Path) -> None:
    root = tmp_path / "root"
    results = [{"prompt": "banter prompt", "ttft_s": 2.3260788, "tokens_s": 101.04101744413546,
                "load_s": 2.0236465, "prompt_eval_s": 0.3024323, "eval_s": 7.9670615,
                "eval_count": 805, "response_chars": 3263},
               {"prompt": "a quote, \"quoted\"", "ttft_s": 1e-05, "tokens_s": 1e16,
                "load_s": 0.1, "prompt_eval_s": 0.0170646, "eval_s": 3.1135433,
                "eval_count": 320, "response_chars": 1031, "error": "timed out"}]
    header = "prompt,ttft_s,tokens_s,load_s,prompt_eval_s,eval_s,eval_count,response_chars,error"
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header.split(","))
    writer.writerows([[repr(r[k]) if isinstance(r.get(k), float) else r.get(k, "")
                       for k in header.split(",")] for r in results])
    _write(root, "gemma3_baseline.csv", text.getvalue())
    (root / "runs" / "gemma3_baseline.json").write_text(json.dumps(
        {"model": "gemma3:latest", "results": results}))
    items = _items(root)
    assert {i.kind for i in items} == {"gemma3_baseline_csv", "gemma3_baseline_json"}
    _, csv_rows = _sql(root, [i for i in items if i.type == "csv"], tmp_path / "stage")
    json_rows = _python_rows(root, [i for i in items if i.type == "json"])
    assert len(csv_rows) == len(json_rows) == 2
    assert [r["measurement_key"] for r in csv_rows] == [r["measurement_key"]
                                                         for r in json_rows]
    assert len({r["measurement_key"] for r in csv_rows}) == 2


def test_duckdb_writes_a_double_as_python_repr_does() -> None:
    """The measurement key's float text: DuckDB's cast to VARCHAR must stay Python's repr."""
    rng = random.Random(7)
    values = [0.1, 1e-05, 1e16, 1e15, 100.0, -0.0, 5e-324, 1.7976931348623157e308, 1 / 3]
    values += [v for v in (struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
                           for _ in range(20_000)) if math.isfinite(v)]
    values += [round(rng.uniform(0, 10 ** rng.randint(-6, 9)), rng.randint(0, 9))
               for _ in range(20_000)]
    con = duckdb.connect()
    con.register("v", pa.table({"i": range(len(values)), "x": pa.array(values, pa.float64())}))
    text = [t for (t,) in con.execute("SELECT CAST(x AS VARCHAR) FROM v ORDER BY i").fetchall()]
    assert text == [repr(v) for v in values]


def test_a_file_duckdb_cannot_read_gives_the_python_rows(tmp_path: Path) -> None:
    """An invalid UTF-8 byte, a UTF-16 file with its byte-order mark, an integer beyond
    int64: the file is read the Python way, as a smaller copy of it would be, never lost
    (review: DuckDB refused the first, read the second as junk rows)."""
    root = tmp_path / "root"
    _write(root, "prompt_suite_runs.csv", HOSTILE)
    (root / "runs" / "latin1_prompt_suite_runs.csv").write_bytes(
        b"timestamp,prompt_index,options,tokens_s\n2025-10-02,1,{},50\n\xff\xfe,2,{},\x9c\n")
    (root / "runs" / "wide_prompt_suite_runs.csv").write_bytes(
        "timestamp,prompt_index,options,tokens_s\n2025-10-02,1,{},50\n".encode("utf-16"))
    (root / "runs" / "huge_prompt_suite_runs.csv").write_text(
        "timestamp,prompt_index,options,tokens_s,eval_count\n2025-10-02,1,{},50,12\n"
        "2025-10-02,2,{},51,99999999999999999999\n")
    items = [i for i in _items(root) if i.kind in llm_runs_sql.KINDS]
    assert len(items) == 4
    statuses, got = _sql(root, items, tmp_path / "stage")
    status = {r["path"]: r for r in statuses.to_pylist()}
    assert len(status) == 4 and status["runs/prompt_suite_runs.csv"]["parser"] == \
        llm_runs_sql.NAME
    for name in ("latin1", "wide"):
        assert status[f"runs/{name}_prompt_suite_runs.csv"]["parser"] != llm_runs_sql.NAME
    python = {r["source_file"]: r for r in _python_rows(root, items)}
    mine = {r["source_file"]: r for r in got}
    for name in ("latin1", "wide", "huge"):
        path = f"runs/{name}_prompt_suite_runs.csv"
        assert mine[path] == python[path] and status[path]["parse_status"] == "ok", name
    huge = [r for r in got if r["source_file"] == "runs/huge_prompt_suite_runs.csv"]
    assert [r["output_tokens"] for r in huge] == [12, None]  # beyond BIGINT: no count


def test_a_big_request_csv_is_routed_to_sql_only(real_corpus: Path, tmp_path: Path) -> None:
    """Above the threshold the file is typed in SQL and nowhere else: no metric_values, no
    second copy of its rows from the Python parser."""
    root = tmp_path / "root"
    source = (real_corpus / "csv_data" / "ollama_quant_bench.csv").read_text()
    header, _, body = source.partition("\n")
    (root / "runs").mkdir(parents=True)
    (root / "runs" / "ollama_quant_bench.csv").write_text(header + "\n" + body * 3100)
    shutil.copy(real_corpus / "csv_data" / "ollama_param_tuning.csv", root / "runs")
    items = _items(root)
    assert (root / "runs" / "ollama_quant_bench.csv").stat().st_size > llm_runs_sql.COLUMNAR_BYTES
    statuses, staged = parse_in_chunks(root, items, tmp_path / "stage")
    parsers = dict(zip(statuses["path"].to_pylist(), statuses["parser"].to_pylist(),
                       strict=True))
    assert len(parsers) == 2 and statuses.num_rows == 2
    assert parsers["runs/ollama_quant_bench.csv"] == llm_runs_sql.NAME
    assert parsers["runs/ollama_param_tuning.csv"] != llm_runs_sql.NAME  # small: Python
    runs = pq.read_table(staged["llm_runs"])
    by_file = runs.group_by("source_file").aggregate([("source_row", "count")]).to_pylist()
    assert {r["source_file"]: r["source_row_count"] for r in by_file} == {
        "runs/ollama_quant_bench.csv": 46_500, "runs/ollama_param_tuning.csv": 36}
    values = pq.read_table(staged["metric_values"]) if "metric_values" in staged else None
    assert values is None or set(values["source_file"].to_pylist()) == {
        "runs/ollama_param_tuning.csv"}


def test_a_csv_with_only_a_header_has_no_rows(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _write(root, "prompt_suite_runs.csv", HOSTILE.split("\n", 1)[0] + "\n")
    items = _items(root)
    statuses, got = _sql(root, items, tmp_path / "stage")
    assert statuses["parse_status"].to_pylist() == ["ok"] and got == []
