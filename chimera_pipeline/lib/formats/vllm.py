"""vLLM's benchmarks: ``vllm bench serve --save-result`` / ``benchmark_serving.py`` JSON
(one object, or a sweep's array of them), ``bench throughput`` and ``bench latency`` JSON,
and the console block ("Mean TTFT (ms): 44.19") when a log is all there is.

Units are in vLLM's key names (``_ms``; ``request_throughput`` req/s; ``output_throughput``
and ``total_token_throughput`` tok/s; ``duration`` s; ``total_*_tokens`` token counts).
``request_rate`` is a number or "inf"; ``date`` is the client's local "YYYYMMDD-HHMMSS".
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from chimera_pipeline.lib.formats.model import Entry, Extracted, number, stat_name
from chimera_pipeline.lib.formats.text import Head

TOOL = "vllm"
_LATENCY = re.compile(r"^(mean|median|std|p\d+(?:\.\d+)?)_(ttft|tpot|itl|e2el)_ms$")
_OURS = {"ttft": "ttft", "tpot": "tpot", "itl": "itl", "e2el": "e2e_latency"}
_SERVE_KEYS = {"num_prompts", "request_rate"}
_COUNTS = (("completed", "completed", "count"), ("failed", "failed", "count"),
           ("total_input_tokens", "total_input_tokens", "tokens"),
           ("total_output_tokens", "total_output_tokens", "tokens"),
           ("duration", "duration", "s"), ("request_throughput", "requests_per_s", "req/s"),
           ("output_throughput", "output_tps", "tok/s"),
           ("total_token_throughput", "total_tps", "tok/s"),
           ("max_output_tokens_per_s", "peak_output_tps", "tok/s"),
           ("request_goodput", "goodput", "req/s"), ("request_goodput:", "goodput", "req/s"))


def _is_serve(data: object) -> bool:
    return isinstance(data, dict) and set(data) >= _SERVE_KEYS and any(
        _LATENCY.match(k) for k in data)


def _serve_results(head: Head) -> list[dict] | None:
    data = head.json
    if _is_serve(data):
        return [data]
    if isinstance(data, list) and data and all(_is_serve(d) for d in data):
        return data
    return None


def recognise_serve(head: Head) -> bool:
    return head.file_type == "json" and "_ttft_ms" in head.text and bool(_serve_results(head))


def recognise_throughput(head: Head) -> bool:
    data = head.json if head.file_type == "json" else None
    return isinstance(data, dict) and {"elapsed_time", "requests_per_second",
                                       "tokens_per_second"} <= set(data)


def recognise_latency(head: Head) -> bool:
    data = head.json if head.file_type == "json" else None
    return isinstance(data, dict) and {"avg_latency", "percentiles"} <= set(data) \
        and isinstance(data["percentiles"], dict)


def recognise_console(head: Head) -> bool:
    return head.file_type in ("txt", "log") and "Serving Benchmark Result" in head.text \
        and "TTFT (ms):" in head.text


def serve_date(head: Head) -> tuple[object, str] | None:
    for result in _serve_results(head) or ():
        match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})",
                             str(result.get("date", "")))
        if match:
            y, mo, d, h, mi, s = match.groups()
            return f"{y}-{mo}-{d}T{h}:{mi}:{s}", f"date={result['date']}"
    return None


def _rate_label(value: object) -> str | None:
    """The configured rate as the test names it: ``inf`` (every request at once) or the
    number; the column holds only finite rates (``request_rate`` NULL for ``inf``)."""
    if str(value).strip().lower() == "inf":
        return "inf"
    rate = number(value)
    return f"{rate:g}" if rate is not None else None


def _serve_entry(result: dict, locator: str, key: str) -> Entry:
    rate = number(result.get("request_rate"))
    label_rate = _rate_label(result.get("request_rate"))
    concurrency = number(result.get("max_concurrency"))
    label = result.get("label") or result.get("dataset_name")
    test = "serve" + (f" {label}" if label else "") + (
        f" rate={label_rate}" if label_rate is not None else "") + (
        f" concurrency={concurrency:g}" if concurrency is not None else "")
    entry = Entry(TOOL, locator, key, tool_version=result.get("vllm_version"),
                  model=str(result.get("model_id") or "") or None,
                  engine=result.get("backend"), test=test, concurrency=concurrency,
                  request_rate=rate, run_at=result.get("date"))
    for name, value in result.items():
        match = _LATENCY.match(name)
        if match:
            stat = stat_name(match.group(1))
            entry.add(_OURS[match.group(2)], stat or match.group(1), value, "ms", f".{name}")
    for name, metric, unit in _COUNTS:
        if name in result:
            entry.add(metric, "value", result[name], unit, f".{name}")
    if "num_prompts" in result:
        entry.add("requests", "value", result["num_prompts"], "count", ".num_prompts")
    if "completed" in result and "failed" in result:
        total = (number(result["completed"]) or 0) + (number(result["failed"]) or 0)
        if total:
            entry.add("error_rate", "value", (number(result["failed"]) or 0) / total, "ratio",
                      ".failed/(completed+failed)")
    entry.fail_if_nothing_completed(number(result.get("completed")))
    return entry


def extract_serve(head: Head) -> Extracted:
    results = _serve_results(head) or []
    base = str(PurePosixPath(head.path).with_suffix(""))
    if len(results) == 1:
        return Extracted([_serve_entry(results[0], "", base)])
    return Extracted([_serve_entry(r, f"[{i}]", f"{base}#{i}") for i, r in enumerate(results)])


def extract_throughput(head: Head) -> Extracted:
    data = head.json
    entry = Entry(TOOL, "", str(PurePosixPath(head.path).with_suffix("")),
                  model=data.get("model"), test="throughput")
    entry.add("requests", "value", data.get("num_requests"), "count", ".num_requests")
    entry.add("duration", "value", data.get("elapsed_time"), "s", ".elapsed_time")
    entry.add("requests_per_s", "value", data.get("requests_per_second"), "req/s",
              ".requests_per_second")
    entry.add("total_tps", "value", data.get("tokens_per_second"), "tok/s", ".tokens_per_second")
    return Extracted([entry])


def extract_latency(head: Head) -> Extracted:
    data = head.json
    entry = Entry(TOOL, "", str(PurePosixPath(head.path).with_suffix("")),
                  model=data.get("model"), test="latency")
    entry.add("e2e_latency", "mean", data.get("avg_latency"), "s", ".avg_latency")
    for label, value in data["percentiles"].items():
        stat = stat_name(str(label))
        if stat:
            entry.add("e2e_latency", stat, value, "s", f".percentiles[{label!r}]")
    latencies = data.get("latencies")
    if isinstance(latencies, list):
        entry.add("e2e_latency", "count", len(latencies), "count", ".latencies")
    return Extracted([entry])


_CONSOLE = {  # label -> (metric, stat, unit written)
    "Successful requests": ("completed", "value", "count"),
    "Failed requests": ("failed", "value", "count"),
    "Benchmark duration (s)": ("duration", "value", "s"),
    "Total input tokens": ("total_input_tokens", "value", "tokens"),
    "Total generated tokens": ("total_output_tokens", "value", "tokens"),
    "Request throughput (req/s)": ("requests_per_s", "value", "req/s"),
    "Output token throughput (tok/s)": ("output_tps", "value", "tok/s"),
    "Peak output token throughput (tok/s)": ("peak_output_tps", "value", "tok/s"),
    "Total token throughput (tok/s)": ("total_tps", "value", "tok/s"),
    "Maximum request concurrency": ("concurrency", "value", "count"),
}
_CONSOLE_LATENCY = re.compile(r"^(Mean|Median|P\d+(?:\.\d+)?|Std) (TTFT|TPOT|ITL|E2EL) \(ms\)$")


def extract_console(head: Head) -> Extracted:
    """One entry per "Serving Benchmark Result" block; runs that ended without one (an
    argparse error) give nothing."""
    text = head.text.replace("\r", "\n")
    out = Extracted()
    base = str(PurePosixPath(head.path).with_suffix(""))
    blocks = re.findall(r"=+ Serving Benchmark Result =+\n(.*?)\n=+\s*$", text,
                        re.MULTILINE | re.DOTALL)
    model = re.search(r"\bmodel='([^']+)'", text)
    rate = re.search(r"^Traffic request rate: (\S+)", text, re.MULTILINE)
    for i, block in enumerate(blocks, start=1):
        values: dict[str, str] = {}
        for line in block.splitlines():
            label, sep, value = line.partition(":")
            if sep and value.strip():
                values.setdefault(label.strip(), value.strip())
        concurrency = number(values.get("Maximum request concurrency"))
        entry = Entry(TOOL, f"block {i}", f"{base}#{i}",
                      model=model.group(1) if model else None,
                      test="serve" + (f" rate={rate.group(1)}" if rate else "") + (
                          f" concurrency={concurrency:g}" if concurrency is not None else ""),
                      concurrency=concurrency,
                      request_rate=number(rate.group(1)) if rate else None)
        for label, value in values.items():
            if label in _CONSOLE:
                metric, stat, unit = _CONSOLE[label]
                if metric != "concurrency":
                    entry.add(metric, stat, value, unit, f" {label}")
            elif match := _CONSOLE_LATENCY.match(label):
                stat = stat_name(match.group(1))
                entry.add(_OURS[match.group(2).lower()], stat or "mean", value, "ms",
                          f" {label}")
        entry.fail_if_nothing_completed(number(values.get("Successful requests")))
        out.entries.append(entry)
    return out
