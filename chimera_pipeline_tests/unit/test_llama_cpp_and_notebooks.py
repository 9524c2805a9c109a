"""llama.cpp's batched-bench tables, depth tests and timing blocks, and Jupyter notebooks, on
real outputs from public repositories (``chimera_pipeline_tests/data``, sources in their
SOURCES.md; row counts there are the ground truth)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from chimera_pipeline.lib import formats
from chimera_pipeline.lib.formats import notebook
from chimera_pipeline.lib.inventory.scan import scan_tree
from chimera_pipeline.lib.parsing.parse_file import parse_files
from chimera_pipeline_tests.support import EXTS, parse_items

DATA = Path(__file__).resolve().parents[1] / "data"
LLAMA = DATA / "llama_cpp"
NOTEBOOKS = DATA / "notebooks"
VULKAN_LOG = ("llama-bench/1337hero+rx7900xtx-llama-bench-vulcan/benchmark-results/"
              "vulkan_benchmark_20251211_072744.txt")


def _read(path: Path, file_type: str | None = None):
    text = path.read_text()
    file_type = file_type or path.suffix.lstrip(".")
    found = formats.recognise(path.name, file_type, text)
    assert found is not None, path.name
    return found[0].kind, formats.extract(found[0].kind, path.name, file_type, text)


def _by_tool(extracted) -> Counter:
    return Counter(entry.tool for entry in extracted.entries)


@pytest.mark.parametrize(("name", "kind", "counts"), [
    ("batched_bench_exabit_qwen38_27b_q8_0.md", "llama_batched_bench_table",
     {"llama-batched-bench": 12}),
    ("batched_bench_ikawrakow_disc590_ryzen3400g.md", "llama_batched_bench_table",
     {"llama-batched-bench": 54}),
    ("bench_depth_exabit_qwen35moe_opt_d.md", "llama_bench_table",
     {"llama-bench": 8, "llama-batched-bench": 5 + 2}),
    ("bench_depth_exabit_qwen38_27b_q8_0.md", "llama_bench_table", {"llama-bench": 18}),
    ("bench_depth_ggml-org_dgx_spark.md", "llama_bench_table",
     {"llama-bench": 2 * 10, "llama-batched-bench": 2 * 18}),
])
def test_every_printed_row_is_one_result(name: str, kind: str, counts: dict) -> None:
    got_kind, extracted = _read(LLAMA / name)
    assert got_kind == kind
    assert _by_tool(extracted) == counts
    keys = [(e.run_key, e.model, e.test, e.config, e.concurrency, e.hardware)
            for e in extracted.entries]
    assert len(set(keys)) == len(keys)  # no two results read alike


def test_a_batched_bench_row_reads_as_the_tool_printed_it() -> None:
    _, extracted = _read(LLAMA / "batched_bench_exabit_qwen38_27b_q8_0.md")
    first, last = extracted.entries[0], extracted.entries[-1]
    assert (first.test, first.concurrency, first.input_tokens, first.output_tokens) == (
        "pp512+tg128", 1.0, 512.0, 128.0)
    values = {(r["metric"]): r["value"] for r in first.results}
    assert values == {"prefill_tps": 662.72, "decode_tps": 44.16, "total_tps": 174.33,
                      "prompt_eval_time": 0.773, "eval_time": 2.899, "run_time": 3.671}
    assert (last.test, last.concurrency) == ("pp2048+tg128", 32.0)
    assert "b=2048" in first.config and "fa=1" in first.config and "ngl=-1" in first.config


def test_quoted_tables_keep_their_command_and_section_apart() -> None:
    """Six tables of the same model in a GitHub discussion, each under the command that
    made it: the flags and the section (Vulkan or CPU build) tell them apart."""
    _, extracted = _read(LLAMA / "batched_bench_ikawrakow_disc590_ryzen3400g.md")
    configs = Counter(e.config for e in extracted.entries)
    assert configs == {
        "b=512 fa=1 ngl=0 ub=512 [Vulkan build]": 9, "b=512 fa=1 ngl=99 ub=512 [Vulkan build]": 9,
        "b=512 ngl=0 ub=512 [Vulkan build]": 9, "b=512 ngl=99 ub=512 [Vulkan build]": 9,
        "b=512 fa=1 ub=512 [CPU build]": 9, "b=512 ub=512 [CPU build]": 9}
    assert {e.model for e in extracted.entries} == {"Qwen_Qwen3-0.6B-Q6_K"}
    assert {e.hardware for e in extracted.entries} == {None}  # the thread names no device


def test_depth_tests_and_extra_columns_and_the_gpu_nvidia_smi_printed() -> None:
    _, extracted = _read(LLAMA / "bench_depth_ggml-org_dgx_spark.md")
    bench = [e for e in extracted.entries if e.tool == "llama-bench"]
    assert {e.hardware for e in extracted.entries} == {"NVIDIA GB10"}
    deep = next(e for e in bench if e.test == "pp2048 @ d32768")
    assert deep.results[0]["metric"] == "prefill_tps" and deep.config == \
        "ngl=99 n_ubatch=2048 fa=1 mmap=0"
    assert next(e for e in bench if e.test == "tg32 @ d4096").results[0]["metric"] == \
        "decode_tps"
    assert bench[0].tool_version == "2f68ce7cf (6918)"


@pytest.mark.parametrize(("name", "cells", "hardware", "model"), [
    ("langchain_chat_llamacpp_rtx_a2000.ipynb", [6, 9, 12, 15, 18], "NVIDIA RTX A2000 12GB",
     "Meta-Llama-3-8B-Instruct"),
    ("llamaindex_llama_2_llama_cpp_metal.ipynb", [11, 13, 20], None,
     "llama-2-13b-chat.ggmlv3.q4_0.bin"),
    ("langchain_llms_llamacpp.ipynb", [21, 25, 28, 35, 38], None, None),
])
def test_a_notebook_gives_one_result_per_timing_block_at_its_cell(
        name: str, cells: list[int], hardware: str | None, model: str | None) -> None:
    kind, extracted = _read(NOTEBOOKS / name)
    assert kind == "jupyter_notebook"
    assert [e.locator.split(":")[0] for e in extracted.entries] == [f"cell {c}" for c in cells]
    assert {(e.tool, e.hardware, e.model) for e in extracted.entries} == {
        ("llama.cpp", hardware, model)}
    for entry in extracted.entries:
        assert all(r["locator"].startswith(entry.locator.split(":")[0] + ":")
                   for r in entry.results)


def test_timing_values_and_the_old_format_without_tokens_per_second() -> None:
    _, extracted = _read(NOTEBOOKS / "langchain_llms_llamacpp.ipynb")
    first = {r["metric"]: r["value"] for r in extracted.entries[0].results}
    assert first["decode_tps"] == 25.12 and first["prefill_tps"] == 26.09
    assert first["eval_time"] == pytest.approx(10.15117) and first["run_time"] == \
        pytest.approx(11.33241)
    assert (extracted.entries[0].input_tokens, extracted.entries[0].output_tokens) == (16, 255)
    old = {r["metric"]: r["value"] for r in extracted.entries[1].results}  # cell 25
    assert "decode_tps" not in old and "prefill_tps" not in old
    assert old["tpot"] == pytest.approx(0.19811)


def _with_gpu(name: str, gpu: str) -> str:
    return (NOTEBOOKS / name).read_text().replace("NVIDIA RTX A2000 12GB", gpu)


def test_the_same_notebook_on_two_gpus_stays_apart() -> None:
    name = "langchain_chat_llamacpp_rtx_a2000.ipynb"
    rows = {}
    for gpu in ("NVIDIA RTX A2000 12GB", "Tesla T4"):
        extracted = formats.extract("jupyter_notebook", name, "ipynb", _with_gpu(name, gpu))
        rows[gpu] = {(e.test, e.locator, e.hardware) for e in extracted.entries}
    assert not rows["Tesla T4"] & rows["NVIDIA RTX A2000 12GB"]
    assert {h for _, _, h in rows["Tesla T4"]} == {"Tesla T4"}


def _notebook(*outputs: str, markdown: str = "") -> str:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": [markdown]}] if markdown else []
    cells += [{"cell_type": "code", "execution_count": i, "metadata": {},
               "source": ["!./llama-bench -m models/llama-2-7b.Q4_0.gguf -fa 0,1\n"],
               "outputs": [{"output_type": "stream", "name": "stdout", "text": text}]}
              for i, text in enumerate(outputs, start=1)]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_a_llama_bench_log_printed_in_a_cell_gives_its_rows_with_its_gpu(
        tools_corpus: Path) -> None:
    """A real llama-bench console log (three runs: GPU 0, GPU 1, both) printed in a cell:
    the rows the log gives as a file, each with its device, located at the cell."""
    log = (tools_corpus / VULKAN_LOG).read_text()
    as_file = formats.extract("llama_bench_table", "run.txt", "txt", log)
    text = _notebook(log, markdown="Benchmarks, Date: 2025-12-11")
    kind, extracted = formats.recognise("bench.ipynb", "ipynb", text)[0].kind, None
    extracted = formats.extract(kind, "bench.ipynb", "ipynb", text)
    assert kind == "jupyter_notebook" and len(extracted.entries) == len(as_file.entries) >= 12
    for cell_entry, file_entry in zip(extracted.entries, as_file.entries, strict=True):
        assert (cell_entry.test, cell_entry.hardware, cell_entry.config) == (
            file_entry.test, file_entry.hardware, file_entry.config)
        assert cell_entry.locator == f"cell 1: {file_entry.locator}"
    assert {e.hardware for e in extracted.entries} >= {"AMD Radeon RX 7900 XTX"}


def test_html_tables_in_outputs_become_pipe_tables() -> None:
    frame = ("<div><table border='1' class='dataframe'><thead><tr><th></th><th>model</th>"
             "<th>tokens/s</th></tr></thead><tbody><tr><th>0</th><td>gemma3:4b</td>"
             "<td>51.2</td></tr><tr><th>1</th><td>llama3 &amp; co</td><td>40.5</td></tr>"
             "</tbody></table></div>")
    text = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "df", "metadata": {}, "execution_count": 1,
         "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                      "data": {"text/html": frame}}]}]})
    [cell] = notebook.cell_texts(text)
    assert cell.text.splitlines() == ["|  | model | tokens/s |", "|---|---|---|",
                                      "| 0 | gemma3:4b | 51.2 |", "| 1 | llama3 & co | 40.5 |"]


def test_a_tree_of_notebooks_and_results_loads_and_a_broken_notebook_costs_only_itself(
        tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "notebooks").mkdir(parents=True)
    (root / "results").mkdir()
    for path in NOTEBOOKS.glob("*.ipynb"):
        (root / "notebooks" / path.name).write_text(path.read_text())
    (root / "results" / "dgx.md").write_text((LLAMA / "bench_depth_ggml-org_dgx_spark.md")
                                             .read_text())
    (root / "notebooks" / "broken.ipynb").write_text('{"cells": [{"outputs": [')
    records = scan_tree(root, (".",), EXTS)
    kinds = {r.path: r.kind for r in records}
    assert kinds["notebooks/langchain_llms_llamacpp.ipynb"] == "jupyter_notebook"
    dated = {r.path: (r.benchmark_date.isoformat(), r.date_source) for r in records}
    assert dated["notebooks/langchain_llms_llamacpp.ipynb"] == ("2024-01-09", "content")
    parsed = parse_files(root, parse_items(records))
    status = {s.path: (s.parse_status, s.parse_error) for s in parsed.statuses}
    assert status["notebooks/broken.ipynb"][0] == "error"
    assert {p: s for p, (s, _) in status.items() if p != "notebooks/broken.ipynb"} == \
        dict.fromkeys(set(status) - {"notebooks/broken.ipynb"}, "ok")
    results = parsed.all_rows("benchmark_results")
    per_file = Counter(r["source_file"] for r in results if r["stat"] == "mean" and
                       r["metric"] in ("decode_tps", "prefill_tps"))
    assert per_file["results/dgx.md"] == 36 * 2 + 20  # batched rows: both speeds
    assert per_file["notebooks/langchain_chat_llamacpp_rtx_a2000.ipynb"] == 5 * 2


def test_a_notebook_bigger_than_the_inventorys_first_mib_is_still_a_notebook() -> None:
    """Jupyter writes ``nbformat`` last, after a plot's megabytes of PNG."""
    nb = json.loads((NOTEBOOKS / "langchain_chat_llamacpp_rtx_a2000.ipynb").read_text())
    nb["cells"][0].setdefault("outputs", []).append(
        {"output_type": "display_data", "metadata": {}, "data": {"image/png": "A" * 1_300_000}})
    text = json.dumps(nb, indent=1)
    assert formats.recognise("big.ipynb", "ipynb", text[:1 << 20])[0].kind == "jupyter_notebook"
    assert len(formats.extract("jupyter_notebook", "big.ipynb", "ipynb", text).entries) == 5


TIMINGS = ("llama_print_timings:        load time =  1204.19 ms\n"
           "llama_print_timings:      sample time =   106.79 ms /   146 runs   (    0.73 ms per "
           "token,  1367.14 tokens per second)\n"
           "llama_print_timings: prompt eval time =  1204.14 ms /    81 tokens (   14.87 ms per "
           "token,    67.27 tokens per second)\n"
           "llama_print_timings:        eval time =  7468.88 ms /   145 runs   (   51.51 ms per "
           "token,    19.41 tokens per second)\n"
           "llama_print_timings:       total time =  8993.90 ms\n")


def test_timing_lines_beside_other_outputs_take_nothing_from_them() -> None:
    """An Ollama --verbose log stays an Ollama log; a community results table next to a
    timing block is read too."""
    verbose = ("$ ollama run gemma3:4b --verbose\ntotal duration:       2.1s\n"
               "load duration:        50ms\nprompt eval count:    26 token(s)\n"
               "prompt eval duration: 120ms\nprompt eval rate:     216.67 tokens/s\n"
               "eval count:           120 token(s)\neval duration:        1.9s\n"
               "eval rate:            63.16 tokens/s\n")
    kind = formats.recognise("a.log", "log", verbose + TIMINGS)[0].kind
    assert kind == "ollama_verbose"
    table = "| Model | tokens/s | TTFT (ms) |\n|---|---|---|\n| gemma3:4b | 51.2 | 120 |\n"
    kind = formats.recognise("r.md", "md", table + "\n" + TIMINGS)[0].kind
    tools = Counter(e.tool for e in formats.extract(kind, "r.md", "md",
                                                    table + "\n" + TIMINGS).entries)
    assert tools == {"llama.cpp": 1, "table": 1}


def test_each_block_takes_the_model_and_device_loaded_nearest_before_it() -> None:
    log = ("ggml_cuda_init: found 1 CUDA devices:\n  Device 0: Tesla T4, compute capability "
           "7.5, VMM: yes\nllm_load_print_meta: general.name     = LLaMA v2 7B\n" + TIMINGS
           + "  Device 0: NVIDIA A100-SXM4-80GB, compute capability 8.0, VMM: yes\n"
           "llm_load_print_meta: general.name     = Mistral 7B v0.1\n" + TIMINGS)
    entries = formats.extract("llama_cpp_timings", "a.log", "log", log).entries
    assert [(e.model, e.hardware) for e in entries] == [
        ("LLaMA v2 7B", "Tesla T4"), ("Mistral 7B v0.1", "NVIDIA A100-SXM4-80GB")]


def test_a_community_table_printed_in_a_cell_is_read() -> None:
    text = _notebook("| Model | tokens/s |\n|---|---|\n| gemma3:4b | 51.2 |\n")
    entries = formats.extract("jupyter_notebook", "n.ipynb", "ipynb", text).entries
    assert [(e.tool, e.model, e.locator.split(":")[0]) for e in entries] == [
        ("table", "gemma3:4b", "cell 0")]


def test_hostile_headings_and_html_cost_linear_time() -> None:
    import time

    text = "# x" + " " * 20_000 + "y\n" + (LLAMA / "batched_bench_exabit_qwen38_27b_q8_0.md"
                                          ).read_text()
    html = "<table>" + "<tr><td>x" * 50_000
    began = time.perf_counter()
    assert len(formats.extract("llama_batched_bench_table", "b.md", "md", text).entries) == 12
    notebook._html_tables(html)
    # a guard on complexity, not a speed target: cubic backtracking took minutes here
    assert time.perf_counter() - began < 30
