"""ray-project ``llmperf`` (token_benchmark_ray.py): the ``*_summary.json`` flat object, the
``*_individual_responses.json`` request list, its console text, and the llmperf-bench
wrapper's ``*_results.json`` (summaries keyed by concurrency).

Keys carry their unit (``ttft_s``: seconds, ``_token_per_s``: tokens/s); the
``number_*_tokens`` statistics are token counts (min/max written as strings). The configured
``mean_input_tokens``/``mean_output_tokens``/``num_concurrent_requests`` are settings, not
measurements. ``results_error_rate`` is a ratio.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from chimera_pipeline.lib.formats.model import Entry, Extracted, number, stat_name
from chimera_pipeline.lib.formats.text import Head

TOOL = "llmperf"
# llmperf's metric name -> (ours, unit written)
METRICS = {
    "ttft_s": ("ttft", "s"), "inter_token_latency_s": ("itl", "s"),
    "end_to_end_latency_s": ("e2e_latency", "s"),
    "request_output_throughput_token_per_s": ("request_output_tps", "tok/s"),
    "number_input_tokens": ("input_tokens", "tokens"),
    "number_output_tokens": ("output_tokens", "tokens"),
}
_KEY = re.compile(r"^results_(" + "|".join(METRICS) + r")_(.+)$")
_SUMMARY_KEYS = {"results_num_completed_requests", "num_concurrent_requests"}
_RESPONSE_KEYS = {"error_code", "ttft_s", "end_to_end_latency_s"}


def _is_summary(data: object) -> bool:
    return isinstance(data, dict) and set(data) >= _SUMMARY_KEYS


def recognise_summary(head: Head) -> bool:
    return head.file_type == "json" and "results_num_completed_requests" in head.text \
        and _is_summary(head.json)


def recognise_wrapper(head: Head) -> bool:
    data = head.json if head.file_type == "json" and "results_" in head.text else None
    return isinstance(data, dict) and bool(data) and all(_is_summary(v) for v in data.values())


def recognise_responses(head: Head) -> bool:
    if head.file_type != "json" or '"end_to_end_latency_s"' not in head.text:
        return False
    data = head.json
    if data is None and head.text.lstrip().startswith("["):  # the first MiB of a big file
        return all(f'"{key}"' in head.text[:65536] for key in _RESPONSE_KEYS)
    return isinstance(data, list) and bool(data) and isinstance(data[0], dict) \
        and set(data[0]) >= _RESPONSE_KEYS


def recognise_console(head: Head) -> bool:
    return head.file_type in ("txt", "log") and "Results for token benchmark" in head.text \
        and "Overall Output Throughput:" in head.text


def summary_date(head: Head) -> tuple[object, str] | None:
    data = head.json
    summaries = [data] if _is_summary(data) else list(data.values()) if isinstance(
        data, dict) else []
    for summary in summaries:
        if isinstance(summary, dict) and summary.get("timestamp"):
            return summary["timestamp"], f"timestamp={summary['timestamp']}"
    return None


def console_date(head: Head) -> tuple[object, str] | None:
    match = re.search(r"^(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}:\d{2}", head.text, re.MULTILINE)
    return (match.group(1), f"log line {match.group(0)}") if match else None


def run_key(path: str) -> str:
    """Summary and individual responses of one run share their name up to the suffix."""
    stem = str(PurePosixPath(path).with_suffix(""))
    for suffix in ("_summary", "_individual_responses"):
        stem = stem.removesuffix(suffix)
    return stem


def _entry(summary: dict, locator: str, key: str) -> Entry:
    entry = Entry(TOOL, locator, key, tool_version=summary.get("version"),
                  model=summary.get("model"),
                  test=f"{summary.get('mean_input_tokens')}/{summary.get('mean_output_tokens')}"
                       f" tokens concurrency={summary.get('num_concurrent_requests')}",
                  concurrency=number(summary.get("num_concurrent_requests")),
                  input_tokens=number(summary.get("mean_input_tokens")),
                  output_tokens=number(summary.get("mean_output_tokens")),
                  run_at=str(summary["timestamp"]) if summary.get("timestamp") else None)
    for name, value in summary.items():
        match = _KEY.match(name)
        if match:
            metric, unit = METRICS[match.group(1)]
            stat = stat_name(match.group(2))
            if stat:
                entry.add(metric, stat, value, unit, f".{name}")
    completed = number(summary.get("results_num_completed_requests"))
    entry.add("completed", "value", completed, "count", ".results_num_completed_requests")
    entry.add("failed", "value", summary.get("results_number_errors"), "count",
              ".results_number_errors")
    entry.add("error_rate", "value", summary.get("results_error_rate"), "ratio",
              ".results_error_rate")
    entry.add("output_tps", "value", summary.get("results_mean_output_throughput_token_per_s"),
              "tok/s", ".results_mean_output_throughput_token_per_s")
    entry.add("requests_per_s", "value", summary.get("results_num_completed_requests_per_min"),
              "req/min", ".results_num_completed_requests_per_min")
    entry.fail_if_nothing_completed(completed)
    return entry


def extract_summary(head: Head) -> Extracted:
    return Extracted([_entry(head.json, "", run_key(head.path))])


def extract_wrapper(head: Head) -> Extracted:
    base = run_key(head.path)
    return Extracted([_entry(summary, f"[{key!r}]", f"{base}#c{key}")
                      for key, summary in head.json.items()])


def extract_responses(head: Head) -> Extracted:
    """Each request with its error: a request with an ``error_code`` is a failure, whatever
    timings it carries, and never enters a recomputed statistic."""
    out = Extracted()
    key = run_key(head.path)
    for i, row in enumerate(head.json, start=1):
        if not isinstance(row, dict):
            continue
        error = row.get("error_code")
        ok = error is None
        out.request(TOOL, key, request_index=i, ok=ok,
                    error=None if ok else f"{error}: {row.get('error_msg') or ''}".strip(": "),
                    ttft_s=number(row.get("ttft_s")),
                    itl_s=number(row.get("inter_token_latency_s")),
                    e2e_latency_s=number(row.get("end_to_end_latency_s")),
                    output_tps=number(row.get("request_output_throughput_token_per_s")),
                    input_tokens=number(row.get("number_input_tokens")),
                    output_tokens=number(row.get("number_output_tokens")))
    return out


_BLOCK = re.compile(r"^(\w+)\n((?:[ \t]+\w+ = .+\n?)+)", re.MULTILINE)


def extract_console(head: Head) -> Extracted:
    text = head.text.replace("\r", "\n")
    model = re.search(r"Results for token benchmark for (\S+?) queried", text)
    entry = Entry(TOOL, "", run_key(head.path), model=model.group(1) if model else None,
                  test="token benchmark")
    for name, body in _BLOCK.findall(text):
        if name not in METRICS:
            continue
        metric, unit = METRICS[name]
        for line in body.strip().splitlines():
            label, _, value = line.strip().partition(" = ")
            stat = stat_name(label)
            if stat:
                entry.add(metric, stat, value, unit, f" {name} {label}")
    labels = {"Number Of Errored Requests": ("failed", "count"),
              "Overall Output Throughput": ("output_tps", "tok/s"),
              "Number Of Completed Requests": ("completed", "count"),
              "Completed Requests Per Minute": ("requests_per_s", "req/min")}
    completed = None
    for label, (metric, unit) in labels.items():
        match = re.search(rf"^{label}: (\S+)", text, re.MULTILINE)
        if match:
            entry.add(metric, "value", match.group(1), unit, f" {label}")
            completed = number(match.group(1)) if metric == "completed" else completed
    entry.fail_if_nothing_completed(completed)
    return Extracted([entry])
