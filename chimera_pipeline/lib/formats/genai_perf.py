"""NVIDIA GenAI-Perf ``profile_export_genai_perf.json``/``.csv``, ``analyze_export_genai_perf.csv``,
and AIPerf's ``profile_export_aiperf.csv`` (its successor, a close layout: its own tool name).

JSON: ``{metric: {"unit": ..., "avg": ..., "p99": ...}}`` plus ``input_config``. CSV: a
statistics table (``Metric,avg,min,max,p99,...``, the unit in the row label), a blank line,
a ``Metric,Value`` table, and for AIPerf a GPU telemetry table; numbers of 1,000 or more
are quoted with a thousands separator. The JSON is full precision, the CSV rounded to two
decimals: when both are present they are the same run (``run_key`` is the folder).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import PurePosixPath

from chimera_pipeline.lib.formats.model import UNIT_ALIASES, Entry, Extracted, number, stat_name
from chimera_pipeline.lib.formats.text import Head

# the metric's name (JSON key, or CSV label without its unit, lower case) -> (ours, unit)
METRICS: dict[str, tuple[str, str]] = {
    "time_to_first_token": ("ttft", "ms"), "time to first token": ("ttft", "ms"),
    "inter_token_latency": ("itl", "ms"), "inter token latency": ("itl", "ms"),
    "request_latency": ("e2e_latency", "ms"), "request latency": ("e2e_latency", "ms"),
    "output_sequence_length": ("output_tokens", "tokens"),
    "output sequence length": ("output_tokens", "tokens"),
    "input_sequence_length": ("input_tokens", "tokens"),
    "input sequence length": ("input_tokens", "tokens"),
    "output_token_throughput": ("output_tps", "tok/s"),
    "output token throughput": ("output_tps", "tok/s"),
    "avg. output token throughput": ("output_tps", "tok/s"),
    "output_token_throughput_per_request": ("request_output_tps", "tok/s"),
    "output token throughput per user": ("request_output_tps", "tok/s"),
    "prefill throughput": ("prefill_tps", "tok/s"),
    "request_throughput": ("requests_per_s", "req/s"),
    "request throughput": ("requests_per_s", "req/s"),
    "goodput": ("goodput", "req/s"), "request_goodput": ("goodput", "req/s"),
    "benchmark duration": ("duration", "s"), "request count": ("requests", "count"),
    "total input sequence length": ("total_input_tokens", "tokens"),
    "total output tokens": ("total_output_tokens", "tokens"),
}
_LABEL = re.compile(r"^(?:(p\d+|avg\.?)\s+)?(.+?)\s*(?:\(([^)]*)\))?$", re.IGNORECASE)


def _split(label: str) -> tuple[str | None, str, str | None]:
    """"p99 Time To First Token (ms)" -> ("p99", "time to first token", "ms")."""
    match = _LABEL.match(label.strip())
    stat, name, unit = match.groups() if match else (None, label, None)
    return stat, name.strip().lower(), unit


def _unit(metric_default: str, written: str | None) -> str:
    """The unit a label or ``unit`` field declares, where it is a unit we know; GenAI-Perf's
    "(per sec)" says only "per second", so the metric's own unit stands."""
    alias = UNIT_ALIASES.get((written or "").strip().lower())
    if alias is None or (written or "").strip().lower() == "per sec":
        return metric_default
    return alias


def recognise_json(head: Head) -> bool:
    data = head.json if head.file_type == "json" and '"input_config"' in head.text else None
    return isinstance(data, dict) and isinstance(data.get("input_config"), dict) and any(
        isinstance(v, dict) and "unit" in v for v in data.values())


def _tables(text: str) -> list[list[list[str]]]:
    """A multi-table CSV: tables separated by blank lines, each with its own header."""
    tables, current = [], []
    for row in csv.reader(io.StringIO(text)):
        if not any(cell.strip() for cell in row):
            if current:
                tables.append(current)
            current = []
        else:
            current.append(row)
    if current:
        tables.append(current)
    return tables


def recognise_csv(head: Head) -> bool:
    if head.file_type != "csv" or not head.text.startswith("Metric,avg,"):
        return False
    return "Metric,Value" in head.text and ("Time To First Token" in head.text
                                            or "Time to First Token" in head.text)


def recognise_analyze(head: Head) -> bool:
    first = head.text.split("\n", 1)[0]
    return head.file_type == "csv" and first.startswith("Config Name,Concurrency,") \
        and "Time To First Token" in first


def is_aiperf(head: Head) -> bool:
    return "Time to First Token" in head.text or "Prefill Throughput" in head.text


def aiperf_date(head: Head) -> tuple[object, str] | None:
    match = re.search(r"^Minimum Request Timestamp \(ns\),\"?([0-9.]+)", head.text, re.MULTILINE)
    if not match:
        return None
    return float(match.group(1)) / 1e9, f"Minimum Request Timestamp (ns)={match.group(1)}"


def run_key(path: str) -> str:
    """The export's folder: GenAI-Perf writes the JSON and the CSV of one run side by side."""
    return str(PurePosixPath(path).parent)


def extract_json(head: Head) -> Extracted:
    data = head.json
    config = data["input_config"]
    models = config.get("model")
    model = ", ".join(models) if isinstance(models, list) else models
    concurrency, rate = number(config.get("concurrency")), number(config.get("request_rate"))
    entry = Entry("genai-perf", "", run_key(head.path), model=model,
                  engine=config.get("backend") or config.get("service_kind"),
                  test=f"{config.get('endpoint_type') or 'profile'}"
                       + (f" concurrency={concurrency:g}" if concurrency is not None else "")
                       + (f" rate={rate:g}" if rate is not None else ""),
                  concurrency=concurrency, request_rate=rate,
                  input_tokens=number(config.get("synthetic_input_tokens_mean")),
                  output_tokens=number(config.get("output_tokens_mean")))
    for name, block in data.items():
        if name not in METRICS or not isinstance(block, dict):
            continue
        metric, default = METRICS[name]
        unit = _unit(default, block.get("unit"))
        if set(block) <= {"unit", "avg"}:  # one figure (a run's throughput), as the CSV's
            entry.add(metric, "value", block.get("avg"), unit, f".{name}.avg")  # Metric,Value
            continue
        for key, value in block.items():
            stat = stat_name(key) if key != "unit" else None
            if stat:
                entry.add(metric, stat, value, unit, f".{name}.{key}")
    return Extracted([entry])


def _stat_rows(entry: Entry, table: list[list[str]]) -> None:
    header = [h.strip() for h in table[0]]
    for row in table[1:]:
        _, name, written = _split(row[0])
        if name not in METRICS:
            continue
        metric, default = METRICS[name]
        unit = _unit(default, written)
        if header[:2] == ["Metric", "Value"]:
            entry.add(metric, "value", row[1] if len(row) > 1 else None, unit, f" {row[0]}")
            continue
        for column, value in zip(header[1:], row[1:], strict=False):
            stat = stat_name(column)
            if stat:
                entry.add(metric, stat, value, unit, f" {row[0]}.{column}")


def extract_csv(head: Head) -> Extracted:
    aiperf = is_aiperf(head)
    entry = Entry("aiperf" if aiperf else "genai-perf", "", run_key(head.path), test="profile")
    for table in _tables(head.text):
        if table and table[0] and table[0][0].strip() == "Metric":
            _stat_rows(entry, table)
    return Extracted([entry])


def extract_analyze(head: Head) -> Extracted:
    out = Extracted()
    table = _tables(head.text)[0]
    header = [h.strip() for h in table[0]]
    for i, row in enumerate(table[1:], start=1):
        cells = dict(zip(header, row, strict=False))
        name = cells.get("Config Name")
        concurrency = number(cells.get("Concurrency"))
        entry = Entry("genai-perf", f" row {i}", f"{run_key(head.path)}#{name}",
                      test=f"analyze {name}", config=name, concurrency=concurrency,
                      input_tokens=number(cells.get("ISL")))
        entry.add("requests", "value", cells.get("Num Prompts"), "count", " Num Prompts")
        for column, value in cells.items():
            stat, label, written = _split(column)
            if label not in METRICS:
                continue
            metric, default = METRICS[label]
            entry.add(metric, stat_name(stat or "avg") or "mean", value,
                      _unit(default, written), f" {column}")
        out.entries.append(entry)
    return out
