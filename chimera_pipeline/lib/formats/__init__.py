"""Readers for the output of the benchmark tools people use: llama-bench, llmperf, vLLM,
GuideLLM, GenAI-Perf/AIPerf and Ollama (and Markdown tables of community scripts).

Each reader is a recogniser (keys, header, shape: what the file *is*, never the folder it
sits in), the date its content states, and an extractor into the measurement model
(:mod:`.model`). The inventory asks :func:`recognise` for a file's kind and date; the parser
asks :func:`extract` for its rows. Order matters only where two shapes could overlap: the
more specific reader comes first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from chimera_pipeline.lib.formats import (
    columnar,
    genai_perf,
    guidellm,
    llama_bench,
    llama_cpp,
    llmperf,
    notebook,
    ollama,
    tables,
    vllm,
)
from chimera_pipeline.lib.formats.model import Entry, Extracted
from chimera_pipeline.lib.formats.text import Head, printed_hardware, printed_model

Dated = tuple[object, str] | None  # (epoch seconds or ISO text, the stamp as written)


def _merged(head: Head, *extractors: Callable[[Head], Extracted]) -> Extracted:
    out = Extracted()
    for extract in extractors:
        found = extract(head)
        out.entries += found.entries
        out.requests += found.requests
        out.notes += found.notes
    return out


def _llama_cpp_text(head: Head) -> Extracted:
    """Every llama.cpp output in a text: one log or page often holds a llama-bench table, a
    batched-bench table and timing blocks together, and each reader finds only its own."""
    return _merged(head, llama_bench.extract_table, llama_cpp.extract_batched,
                   llama_cpp.extract_timings)


def _llama_cpp_other(head: Head) -> Extracted:
    """A text whose llama.cpp output is batched-bench tables or timing blocks (no
    llama-bench table, whose reader comes first): those, and a community results table
    beside them (these readers come after every other tool's, so an Ollama ``--verbose``
    log with timing lines pasted in stays an Ollama log)."""
    extractors = [llama_cpp.extract_batched, llama_cpp.extract_timings]
    if tables.recognise(head):
        extractors.append(tables.extract)
    return _merged(head, *extractors)


@dataclass(frozen=True)
class Reader:
    """One output format of one tool."""

    kind: str
    tool: str
    recognise: Callable[[Head], bool]
    extract: Callable[[Head], Extracted]
    run_date: Callable[[Head], Dated] = lambda head: None
    formats: str = ""  # what the docs' Supported formats table says it reads


READERS: tuple[Reader, ...] = (
    Reader("llama_bench_results", "llama-bench", llama_bench.recognise_rows,
           llama_bench.extract_rows, llama_bench.row_date, "`-o json`, `-o jsonl`, `-o csv`"),
    Reader("llama_bench_table", "llama-bench", llama_bench.recognise_table,
           _llama_cpp_text, formats="default Markdown table, alone or in a log"),
    Reader("llmperf_summary_json", "llmperf", llmperf.recognise_summary,
           llmperf.extract_summary, llmperf.summary_date, "`*_summary.json`"),
    Reader("llmperf_responses_json", "llmperf", llmperf.recognise_responses,
           llmperf.extract_responses, formats="`*_individual_responses.json`"),
    Reader("llmperf_bench_results_json", "llmperf", llmperf.recognise_wrapper,
           llmperf.extract_wrapper, llmperf.summary_date,
           "llmperf-bench `*_results.json` (summaries by concurrency)"),
    Reader("llmperf_console", "llmperf", llmperf.recognise_console, llmperf.extract_console,
           llmperf.console_date, "token_benchmark_ray.py console output"),
    Reader("vllm_serve_json", "vllm", vllm.recognise_serve, vllm.extract_serve,
           vllm.serve_date, "`bench serve --save-result`, `benchmark_serving.py`, sweeps"),
    Reader("vllm_throughput_json", "vllm", vllm.recognise_throughput, vllm.extract_throughput,
           formats="`bench throughput` JSON"),
    Reader("vllm_latency_json", "vllm", vllm.recognise_latency, vllm.extract_latency,
           formats="`bench latency` JSON"),
    Reader("vllm_serve_console", "vllm", vllm.recognise_console, vllm.extract_console,
           formats="the \"Serving Benchmark Result\" console block"),
    Reader("guidellm_report", "guidellm", guidellm.recognise, guidellm.extract,
           guidellm.run_date, "`benchmarks.json`/`.yaml`, 0.3-era and v2 layouts"),
    Reader("genai_perf_json", "genai-perf", genai_perf.recognise_json,
           genai_perf.extract_json, formats="`profile_export_genai_perf.json`"),
    Reader("aiperf_csv", "aiperf", lambda h: genai_perf.recognise_csv(h)
           and genai_perf.is_aiperf(h), genai_perf.extract_csv, genai_perf.aiperf_date,
           "`profile_export_aiperf.csv`"),
    Reader("genai_perf_csv", "genai-perf", genai_perf.recognise_csv, genai_perf.extract_csv,
           formats="`profile_export_genai_perf.csv`"),
    Reader("genai_perf_analyze_csv", "genai-perf", genai_perf.recognise_analyze,
           genai_perf.extract_analyze, formats="`analyze_export_genai_perf.csv`"),
    Reader("ollama_verbose", "ollama", ollama.recognise_verbose, ollama.extract_verbose,
           formats="`ollama run --verbose` statistics, in a log or pasted in Markdown"),
    Reader("ollama_api_responses", "ollama", ollama.recognise_api, ollama.extract_api,
           ollama.api_date, "saved `/api/generate`/`/api/chat` responses (JSON, JSON lines) "
           "and CSVs of their fields"),
    Reader("ollama_script_json", "ollama", ollama.recognise_script_json,
           ollama.extract_script_json, ollama.script_date,
           "community scripts' JSON (per-run `*_ns` fields with a summary; per-model seconds "
           "and tokens/s)"),
    Reader("ollama_load_test_csv", "ollama", ollama.recognise_load_csv, ollama.extract_load_csv,
           ollama.load_csv_date, "load/context tests: one row per run with `status`"),
    Reader("llama_batched_bench_table", llama_cpp.BATCHED_TOOL, llama_cpp.recognise_batched,
           _llama_cpp_other, formats="the PP/TG/B table, alone, in a log or quoted"),
    Reader("llama_cpp_timings", llama_cpp.TIMINGS_TOOL, llama_cpp.recognise_timings,
           _llama_cpp_other, formats="`llama_print_timings` / `llama_perf_context_print` "
           "blocks"),
    Reader("benchmark_table_md", "table", tables.recognise, tables.extract,
           formats="Markdown tables of community scripts (model + tokens/s, TTFT (ms)...)"),
)
SCANNED_TYPES = frozenset({"json", "jsonl", "csv", "md", "txt", "log", "yaml", "yml",
                           notebook.NOTEBOOK_TYPE})
FALLBACK_KIND = "benchmark_table_md"


def _cell_reader(head: Head) -> Reader | None:
    """The reader of one cell's output, tried as a log (the tools' readers), then as text
    (the community tables', which read Markdown and text files)."""
    for file_type, fallback in (("log", False), ("txt", True)):
        found = recognise(head.path, file_type, head.text, fallback=fallback)
        if found is not None:
            return found[0]
    return None


def _recognise_notebook(head: Head) -> bool:
    return head.file_type == notebook.NOTEBOOK_TYPE and notebook.looks_like(head.text)


def _notebook_date(head: Head) -> Dated:
    try:
        cells = notebook.cell_texts(head.text)
    except ValueError:  # the first MiB of a bigger notebook: dated from its text instead
        return None
    for cell in cells:
        found = recognise(head.path, "log", cell.text)
        if found is not None and found[1] is not None:
            return found[1]
    return None


def _extract_notebook(head: Head) -> Extracted:
    """Each cell's output through the reader that recognises it, located at its cell; a
    result whose own lines name no device or model takes the last ones the notebook printed
    up to its cell (``nvidia-smi``, llama.cpp's ``Device 0:`` and ``general.name`` lines),
    so the same test on two GPUs stays apart."""
    out = Extracted()
    cells = notebook.cell_texts(head.text)
    hardware = model = None
    for cell in cells:
        # the last device and model the notebook printed up to this cell
        hardware = printed_hardware(cell.text, last=True) or hardware
        model = printed_model(cell.text) or model
        cell_head = Head(head.path, "log", cell.text)
        reader = _cell_reader(cell_head)
        if reader is None:
            continue
        found = reader.extract(cell_head if reader.kind != FALLBACK_KIND
                               else Head(head.path, "txt", cell.text))
        for entry in found.entries:
            entry.locator = f"cell {cell.index}: {entry.locator}"
            entry.run_key = f"{entry.run_key}@cell{cell.index}"
            entry.hardware = entry.hardware or hardware
            entry.model = entry.model or model
            for result in entry.results:
                result["locator"] = f"cell {cell.index}: {result['locator']}"
            out.entries.append(entry)
        for request in found.requests:
            request["run_key"] = f"{request['run_key']}@cell{cell.index}"
            out.requests.append(request)
        out.notes.extend(f"cell {cell.index}: {note}" for note in found.notes)
    return out


READERS += (Reader("jupyter_notebook", "notebook", _recognise_notebook, _extract_notebook,
                   _notebook_date, "`.ipynb`: every cell's output through the readers above"),)
BY_KIND = {reader.kind: reader for reader in READERS}


def recognise(path: str, file_type: str, text: str, fallback: bool = False
              ) -> tuple[Reader, Dated] | None:
    """The reader for a file and the date its content states, or None. ``fallback``: only
    the generic Markdown-table reader is tried (a file the project's own kinds did not
    claim)."""
    if file_type not in SCANNED_TYPES or "\x00" in text[:4096]:
        return None
    head = Head(path, file_type, text)
    for reader in READERS:
        if (reader.kind == FALLBACK_KIND) != fallback:
            continue
        if (file_type == notebook.NOTEBOOK_TYPE) != (reader.kind == "jupyter_notebook"):
            continue  # a notebook is read cell by cell, never as a JSON document
        try:
            if reader.recognise(head):
                return reader, reader.run_date(head)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
                OverflowError):
            continue  # a malformed file is not this format
    return None


def columnar_source(kind: str, file_type: str, path: str) -> tuple[str, str, str] | None:
    """(query, tool, run key) of a per-request file DuckDB reads whole, or None when its
    kind has no columnar reader (:mod:`.columnar`)."""
    if not columnar.reads(kind, file_type):
        return None
    run_key = (llmperf.run_key(path) if kind == "llmperf_responses_json"
               else str(PurePosixPath(path).with_suffix("")))
    return columnar.requests_sql(kind, file_type), BY_KIND[kind].tool, run_key


def extract(kind: str, path: str, file_type: str, text: str) -> Extracted | None:
    """The measurements of a file of a recognised ``kind``; None for other kinds."""
    reader = BY_KIND.get(kind)
    if reader is None:
        return None
    return reader.extract(Head(path, file_type, text))


__all__ = ["BY_KIND", "READERS", "Entry", "Extracted", "Reader", "columnar_source", "extract",
           "recognise"]
