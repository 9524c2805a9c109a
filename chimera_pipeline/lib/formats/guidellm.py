"""GuideLLM reports (``benchmarks.json``/``.yaml``), the 0.3-era layout (``args``, ``worker``)
and the v2 layout (``metadata.version``, ``config.spec``).

Each ``benchmarks[]`` item is one strategy or rate. Statistics are read from the
``successful`` block of each metric: ``incomplete`` ones include zeros and ``errored`` ones
are empty (count 0), so neither is a measurement. Units are GuideLLM's metric names
(``_ms`` milliseconds, ``request_latency`` seconds, ``*_per_second`` rates, ``*_count``
tokens). Request lists, where the report keeps them, go to ``benchmark_requests``.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from chimera_pipeline.lib.formats.model import Entry, Extracted, number, stat_name
from chimera_pipeline.lib.formats.text import Head

TOOL = "guidellm"
METRICS = {  # GuideLLM metric -> (ours, unit written)
    "time_to_first_token_ms": ("ttft", "ms"), "inter_token_latency_ms": ("itl", "ms"),
    "time_per_output_token_ms": ("tpot", "ms"), "request_latency": ("e2e_latency", "s"),
    "requests_per_second": ("requests_per_s", "req/s"),
    "output_tokens_per_second": ("output_tps", "tok/s"),
    "tokens_per_second": ("total_tps", "tok/s"),
    "prompt_token_count": ("input_tokens", "tokens"),
    "output_token_count": ("output_tokens", "tokens"),
    "request_concurrency": ("concurrency", "count"),
}
_STATS = ("mean", "median", "std_dev", "min", "max", "count")
_START = re.compile(r'"?start_time"?\s*:\s*([0-9]{10}(?:\.[0-9]+)?)')


def recognise(head: Head) -> bool:
    if head.file_type not in ("json", "yaml", "yml"):
        return False
    text = head.text
    return "time_to_first_token_ms" in text and re.search(
        r'(^|[{,\s])"?benchmarks"?\s*:', text[:4096]) is not None and (
        "generative_benchmark" in text or '"guidellm_version"' in text
        or "guidellm_version:" in text or "request_totals" in text)


def run_date(head: Head) -> tuple[object, str] | None:
    match = _START.search(head.text)
    return (float(match.group(1)), f"start_time={match.group(1)}") if match else None


def _document(head: Head) -> dict:
    if head.file_type == "json":
        data = head.json
    else:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(head.text, Loader=loader)  # noqa: S506 - a safe loader
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise ValueError("GuideLLM report without a benchmarks list")
    return data


def _model(document: dict, benchmark: dict) -> str | None:
    candidates = (
        (benchmark.get("worker") or {}).get("backend_model"),
        ((benchmark.get("config") or {}).get("backend") or {}).get("model"),
        (((document.get("config") or {}).get("spec") or {}).get("backend") or {}).get("model"),
    )
    return next((str(c) for c in candidates if c), None)


def _strategy(benchmark: dict) -> dict:
    args = benchmark.get("args") or {}
    return (args.get("strategy") or (benchmark.get("config") or {}).get("strategy") or {})


def _totals(benchmark: dict) -> dict:
    totals = benchmark.get("request_totals") or (benchmark.get("metrics") or {}).get(
        "request_totals") or {}
    return totals if isinstance(totals, dict) else {}


def extract(head: Head) -> Extracted:
    document = _document(head)
    version = ((document.get("metadata") or {}).get("guidellm_version"))
    out = Extracted()
    base = str(PurePosixPath(head.path).with_suffix(""))
    for i, benchmark in enumerate(document["benchmarks"]):
        strategy = _strategy(benchmark)
        kind = strategy.get("type_") or strategy.get("kind") or "benchmark"
        rate = number(strategy.get("rate"))
        streams = number(strategy.get("streams"))
        test = kind + (f" rate={rate:g}" if rate is not None else "") + (
            f" streams={streams:g}" if streams is not None else "")
        start = benchmark.get("start_time")
        entry = Entry(TOOL, f".benchmarks[{i}]", f"{base}#{i}", tool_version=version,
                      model=_model(document, benchmark), test=test,
                      concurrency=streams, request_rate=rate,
                      run_at=str(start) if start is not None else None)
        metrics = benchmark.get("metrics") or {}
        for name, (metric, unit) in METRICS.items():
            block = (metrics.get(name) or {}).get("successful")
            if not isinstance(block, dict) or not block.get("count"):
                continue
            where = f".metrics.{name}.successful"
            for key in _STATS:
                entry.add(metric, stat_name(key), block.get(key),
                          "count" if key == "count" else unit, f"{where}.{key}")
            for label, value in (block.get("percentiles") or {}).items():
                stat = stat_name(label)
                if stat:
                    entry.add(metric, stat, value, unit, f"{where}.percentiles.{label}")
        totals = _totals(benchmark)
        entry.add("completed", "value", totals.get("successful"), "count",
                  ".request_totals.successful")
        entry.add("failed", "value", totals.get("errored"), "count", ".request_totals.errored")
        entry.add("incomplete", "value", totals.get("incomplete"), "count",
                  ".request_totals.incomplete")
        total = number(totals.get("total"))
        if total:
            entry.add("error_rate", "value", (number(totals.get("errored")) or 0) / total,
                      "ratio", ".request_totals.errored/total")
        entry.fail_if_nothing_completed(number(totals.get("successful")))
        out.entries.append(entry)
        _requests(out, benchmark, entry)
    return out


def _requests(out: Extracted, benchmark: dict, entry: Entry) -> None:
    lists = benchmark.get("requests")
    if not isinstance(lists, dict):
        return
    index = 0
    for status in ("successful", "errored", "incomplete"):
        for request in lists.get(status) or ():
            if not isinstance(request, dict):
                continue
            index += 1
            ok = status == "successful"
            latency_ms = {k: number(request.get(k)) for k in (
                "time_to_first_token_ms", "inter_token_latency_ms", "time_per_output_token_ms")}
            out.request(TOOL, entry.run_key, request_index=index, ok=ok,
                        error=None if ok else (request.get("error") or status),
                        ttft_s=_s(latency_ms["time_to_first_token_ms"]),
                        itl_s=_s(latency_ms["inter_token_latency_ms"]),
                        tpot_s=_s(latency_ms["time_per_output_token_ms"]),
                        e2e_latency_s=number(request.get("request_latency")),
                        output_tps=number(request.get("output_tokens_per_second")),
                        input_tokens=number(request.get("prompt_tokens")),
                        output_tokens=number(request.get("output_tokens")),
                        started_at=str(request.get("start_time") or "") or None,
                        model=entry.model, test=entry.test)


def _s(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000.0
