"""Recognise what kind of benchmark artifact a file is.

Kinds are named as in the real corpus's ``file_index.csv`` so that the warehouse and the
corpus documentation speak the same language. CSV and JSON files are recognised by their
header or top-level keys (what the file *is*), the project's Markdown mostly by name and
title (Markdown has no schema). Benchmark tools' outputs (llama-bench, llmperf, vLLM,
GuideLLM, GenAI-Perf, Ollama) get their reader's kind (:mod:`chimera_pipeline.lib.formats`).
A file nobody wrote a recogniser for gets ``generic_<type>``; its numbers still reach
``metric_values``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import PurePosixPath

from chimera_pipeline.lib import formats
from chimera_pipeline.lib.inventory.dating import BenchmarkDate, parse_timestamp

# CSV header signatures: every listed column must be present (lower-cased, unquoted).
_CSV_SIGNATURES: tuple[tuple[str, frozenset[str]], ...] = (
    ("ollama_prompt_suite_runs_csv", frozenset({"prompt_index", "options", "tokens_s"})),
    ("ollama_quant_bench_csv", frozenset({"tag", "prompt_index", "tokens_s"})),
    ("ollama_param_tuning_csv", frozenset({"model", "num_gpu", "num_ctx", "tokens_s"})),
    ("gemma3_param_tuning_summary_csv", frozenset({"config_name", "mean_tokens_s"})),
    ("ollama_param_tuning_summary_csv", frozenset({"num_gpu", "num_ctx", "mean_tokens_s"})),
    ("gemma3_param_tuning_csv", frozenset({"config_name", "num_gpu", "tokens_s"})),
    ("gemma3_baseline_csv", frozenset({"prompt", "ttft_s", "tokens_s"})),
    ("banter_baseline_summary_csv", frozenset({"test name", "tokens per second"})),
    ("nsight_compute_raw_csv", frozenset({"id", "process id", "kernel name"})),
    ("artifact_multiagent_summary_csv", frozenset({"scenario", "speedup", "efficiency"})),
)

_MD_BY_NAME: tuple[tuple[str, str], ...] = (
    ("technical_report", "technical_report_md"),
    ("readme", "readme_md"),
    ("ollama_benchmark_summary", "ollama_benchmark_summary_md"),
    ("quantization_report", "quantization_report_md"),
    ("lessons", "lessons_md"),
)


def _csv_kind(name: str, text: str) -> str:
    if "\x00" in text:
        return ("nsight_compute_summary_csv_broken_utf16" if name.startswith("ncu")
                else "broken_utf16_csv")
    try:
        header = next(csv.reader(io.StringIO(text[:65536])), [])
    except csv.Error:
        return "generic_csv"
    columns = {h.strip().lower() for h in header}
    for kind, needed in _CSV_SIGNATURES:
        if needed <= columns:
            return kind
    return "generic_csv"


def _json_kind_of(data: object) -> str:
    if not isinstance(data, dict):
        return "generic_json"
    keys = set(data)
    if {"backends", "settings", "model"} <= keys:
        return "compilation_bench_json"
    if {"prompt_count", "models"} <= keys:
        return "ollama_prompt_suite_summary_json"
    if {"test_name", "timing_stats"} <= keys:
        return "timing_baseline_json"
    if {"benchmark_name", "timing"} <= keys:
        return "demo_inference_timing_json"
    if {"total_tests", "results"} <= keys:
        return "banter_baseline_test_results_json"
    if {"model", "results"} <= keys:
        return "gemma3_baseline_json"
    if {"metrics", "metrics_count"} <= keys:
        return "system_metrics_json"
    if {"total_inferences", "overall_performance"} <= keys:
        return "ml_metrics_json"
    if {"demo_timestamp", "cycles_completed"} <= keys:
        return "ascii_demo_json"
    if "anomalies_detected" in keys and isinstance(data.get("actions_taken"), list):
        return "self_healing_json"
    values = list(data.values())
    if values and all(isinstance(v, dict) and "accuracy" in v for v in values):
        return "quantization_report_json"
    if values and all(isinstance(v, dict) and v and all(
            isinstance(x, dict) and "mean_time_ms" in x for x in v.values()) for v in values):
        return "kernel_benchmarks_json"
    return "generic_json"


def _json_kind(text: str) -> str:
    try:
        return _json_kind_of(json.loads(text))
    except (ValueError, RecursionError):
        return "generic_json"


def _md_kind(rel_path: str, text: str) -> str:
    path = PurePosixPath(rel_path)
    name = path.stem.lower()
    head = text[:512]
    if path.parts[0] == "artifacts":
        return "artifact_summary_md"
    if head.startswith("# Compilation Benchmark Report"):
        return "compilation_bench_md"
    if "Performance Digest" in head:
        return "integration_digest_md"
    for needle, kind in _MD_BY_NAME:
        if needle in name:
            return kind
    if "compilation" in path.parts[:-1] and name.endswith("summary"):
        return "compilation_summary_md"
    if "gemma3" in (p.lower() for p in path.parts[:-1]):
        return "gemma3_report_md"
    return "generic_md"


def _project_kind(rel_path: str, file_type: str, text: str) -> str:
    if file_type == "csv":
        return _csv_kind(PurePosixPath(rel_path).name.lower(), text)
    if file_type == "json":
        return _json_kind(text)
    if file_type == "md":
        return _md_kind(rel_path, text)
    return f"generic_{file_type}"


def recognise_file(rel_path: str, file_type: str, text: str) -> tuple[str, BenchmarkDate | None]:
    """The artifact kind of a file, and the date a benchmark tool's output states inside it.

    CSV and JSON: the project's own signatures, then the benchmark tools' readers
    (:mod:`chimera_pipeline.lib.formats`). Markdown and text: the tools' readers first (a
    llama-bench table or an Ollama ``--verbose`` block is what the file is, wherever it
    sits), then the project's kinds, then a community script's results table.
    """
    content_first = file_type not in ("csv", "json")
    found = formats.recognise(rel_path, file_type, text) if content_first else None
    kind = _project_kind(rel_path, file_type, text) if found is None else found[0].kind
    if found is None and kind.startswith("generic_"):
        found = (formats.recognise(rel_path, file_type, text) if not content_first else None
                 ) or formats.recognise(rel_path, file_type, text, fallback=True)
        kind = found[0].kind if found else kind
    stated = None
    if found and found[1] is not None:
        value, raw = found[1]
        day = parse_timestamp(value)
        stated = BenchmarkDate(day, "tool", str(raw)[:120]) if day else None
    return kind, stated


def classify(rel_path: str, file_type: str, text: str) -> str:
    """Return the artifact kind of a file from its path and decoded text."""
    return recognise_file(rel_path, file_type, text)[0]
