"""Ollama: ``ollama run --verbose`` statistics (in a log or pasted in Markdown), saved
``/api/generate``/``/api/chat`` responses (JSON or JSON lines), CSVs of those response fields,
and the JSON written by community benchmark scripts around Ollama.

The API reports durations in integer nanoseconds and counts in tokens; decode tokens/s is
``eval_count / eval_duration`` and prefill tokens/s ``prompt_eval_count /
prompt_eval_duration``, as Ollama's own ``--verbose`` output computes them. The verbose
block writes Go durations ("25m35.616323214s", "470ms") and "N token(s)".
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import PurePosixPath

from chimera_pipeline.lib.formats.model import Entry, Extracted, number
from chimera_pipeline.lib.formats.text import Head, go_duration

TOOL = "ollama"
_VERBOSE = {  # label -> (metric, unit written); durations are Go durations
    "total duration": ("e2e_latency", "go"), "load duration": ("load_time", "go"),
    "prompt eval count": ("input_tokens", "tokens"),
    "prompt eval duration": ("prompt_eval_time", "go"),
    "prompt eval rate": ("prefill_tps", "tok/s"), "eval count": ("output_tokens", "tokens"),
    "eval duration": ("eval_time", "go"), "eval rate": ("decode_tps", "tok/s"),
}
_VERBOSE_LINE = re.compile(r"^\s*(total duration|load duration|prompt eval count|prompt eval "
                           r"duration|prompt eval rate|eval count|eval duration|eval rate):"
                           r"\s*(.+?)\s*$", re.MULTILINE)
_API_FIELDS = {"eval_count", "eval_duration", "total_duration"}
_LOAD_TEST = {"model", "status", "eval_time_s", "generated_tokens"}


def recognise_verbose(head: Head) -> bool:
    return head.file_type in ("md", "txt", "log") and "eval rate:" in head.text \
        and "eval duration:" in head.text


def _api_rows(head: Head) -> list[dict]:
    if head.file_type == "jsonl" or (head.file_type in ("log", "txt") and head.json is None):
        rows = head.json_lines
    else:
        data = head.json
        rows = data if isinstance(data, list) else [data]
    return [r for r in rows if isinstance(r, dict) and set(r) >= _API_FIELDS]


def recognise_api(head: Head) -> bool:
    if head.file_type == "csv":
        first = head.text.split("\n", 1)[0].lower()
        return all(f in first for f in ("eval_count", "eval_duration", "prompt_eval_count"))
    if head.file_type not in ("json", "jsonl") or '"eval_duration"' not in head.text:
        return False
    return bool(_api_rows(head))


def api_date(head: Head) -> tuple[object, str] | None:
    if head.file_type == "csv":
        return None
    for row in _api_rows(head):
        if row.get("created_at"):
            return row["created_at"], f"created_at={row['created_at']}"
    return None


def recognise_script_json(head: Head) -> bool:
    data = head.json if head.file_type == "json" else None
    if isinstance(data, dict) and isinstance(data.get("results"), list) and data["results"]:
        first = data["results"][0]
        return isinstance(first, dict) and {"model", "toks_per_s"} <= set(first)
    return isinstance(data, list) and bool(data) and isinstance(data[0], dict) and {
        "model", "runs", "summary"} <= set(data[0]) and "mean_tps" in (data[0]["summary"] or {})


def script_date(head: Head) -> tuple[object, str] | None:
    data = head.json
    if isinstance(data, dict) and data.get("run_started_at"):
        return data["run_started_at"], f"run_started_at={data['run_started_at']}"
    return None


def recognise_load_csv(head: Head) -> bool:
    if head.file_type != "csv":
        return False
    first = {c.strip().lower() for c in head.text.split("\n", 1)[0].split(",")}
    return first >= _LOAD_TEST


def load_csv_date(head: Head) -> tuple[object, str] | None:
    match = re.search(r",(\d{4}-\d{2}-\d{2}T[0-9:.]+(?:\+00:00|Z)?),", head.text)
    return (match.group(1), f"timestamp_utc={match.group(1)}") if match else None


def _key(head: Head) -> str:
    return str(PurePosixPath(head.path).with_suffix(""))


def _model_above(text: str, end: int) -> str | None:
    """The model an ``ollama ps`` table or an ``ollama run`` command names before a block."""
    before = text[:end]
    run = list(re.finditer(r"ollama run (\S+)", before))
    table = list(re.finditer(r"^NAME\s+ID\s+SIZE.*\n(\S+)", before, re.MULTILINE))
    found = [m for m in (run[-1:] + table[-1:])]
    return max(found, key=lambda m: m.start()).group(1) if found else None


def extract_verbose(head: Head) -> Extracted:
    out = Extracted()
    text = head.text.replace("\r", "\n")
    blocks: list[list[re.Match]] = []
    for match in _VERBOSE_LINE.finditer(text):
        if match.group(1) == "total duration" or not blocks:
            blocks.append([])
        blocks[-1].append(match)
    for i, block in enumerate(blocks, start=1):
        entry = Entry(TOOL, f"block {i}", f"{_key(head)}#{i}",
                      model=_model_above(text, block[0].start()), engine="ollama",
                      test="run --verbose")
        for match in block:
            metric, unit = _VERBOSE[match.group(1)]
            raw = match.group(2)
            if unit == "go":
                entry.add(metric, "value", go_duration(raw), "s", f" {match.group(1)}",
                          as_written=(raw, "Go duration"))
            else:
                value = re.match(r"[0-9.]+", raw)
                entry.add(metric, "value", value.group(0) if value else None, unit,
                          f" {match.group(1)}")
        out.entries.append(entry)
    return out


def _seconds(ns: object) -> float | None:
    value = number(ns)
    return None if value is None else value / 1e9


def _rate(count: object, ns: object) -> float | None:
    tokens, seconds = number(count), _seconds(ns)
    return tokens / seconds if tokens is not None and seconds else None


def _api_request(out: Extracted, key: str, i: int, row: dict, test: str | None = None,
                 ok: bool = True, error: str | None = None) -> None:
    out.request(TOOL, key, request_index=i, ok=ok, error=error, model=row.get("model"),
                test=test or "api", e2e_latency_s=_seconds(row.get("total_duration")
                                                           or row.get("total_duration_ns")),
                decode_tps=_rate(row.get("eval_count"), row.get("eval_duration")
                                 or row.get("eval_duration_ns")),
                prefill_tps=_rate(row.get("prompt_eval_count"), row.get(
                    "prompt_eval_duration") or row.get("prompt_eval_duration_ns")),
                load_s=_seconds(row.get("load_duration") or row.get("load_duration_ns")),
                input_tokens=number(row.get("prompt_eval_count")),
                output_tokens=number(row.get("eval_count")),
                started_at=row.get("created_at"), has_summary=False)


def extract_api(head: Head) -> Extracted:
    out = Extracted()
    if head.file_type == "csv":
        rows = list(csv.DictReader(io.StringIO(head.text)))
    else:
        rows = _api_rows(head)
    for i, row in enumerate(rows, start=1):
        _api_request(out, _key(head), i, row)
    return out


def extract_script_json(head: Head) -> Extracted:
    out = Extracted()
    data = head.json
    key = _key(head)
    if isinstance(data, dict):  # one result per model, seconds and tokens/s as written
        details = data.get("host_details") or {}
        gpus = " + ".join(str(g.get("Name")) for g in details.get("gpus") or () if g.get("Name"))
        version = re.search(r"[0-9]+\.[0-9]+\.[0-9]+", str(details.get("ollama_version") or ""))
        for i, row in enumerate(data["results"]):
            entry = Entry(TOOL, f".results[{i}]", f"{key}#{i}",
                          tool_version=version.group(0) if version else None,
                          model=row.get("model"), engine="ollama",
                          hardware=gpus or details.get("processor"),
                          test=str(data.get("benchmark") or "generate"),
                          output_tokens=number(data.get("num_predict")),
                          run_at=data.get("run_started_at"))
            entry.add("decode_tps", "value", row.get("toks_per_s"), "tok/s", ".toks_per_s")
            entry.add("eval_time", "value", row.get("eval_s"), "s", ".eval_s")
            entry.add("e2e_latency", "value", row.get("total_s"), "s", ".total_s")
            entry.add("load_time", "value", row.get("load_s"), "s", ".load_s")
            entry.add("output_tokens", "value", row.get("eval_count"), "tokens", ".eval_count")
            out.entries.append(entry)
        return out
    index = 0
    for i, group in enumerate(data):  # runs per (model, prompt) with the script's summary
        summary = group.get("summary") or {}
        test = f"prompt {i + 1}"
        entry = Entry(TOOL, f"[{i}]", f"{key}#{i}", model=group.get("model"), engine="ollama",
                      test=test, config=str(group.get("prompt") or "")[:80] or None)
        entry.add("decode_tps", "mean", summary.get("mean_tps"), "tok/s", ".summary.mean_tps")
        entry.add("e2e_latency", "mean", summary.get("mean_duration_ms"), "ms",
                  ".summary.mean_duration_ms")
        entry.add("requests", "value", summary.get("runs_total"), "count", ".summary.runs_total")
        entry.add("completed", "value", summary.get("runs_ok"), "count", ".summary.runs_ok")
        entry.fail_if_nothing_completed(number(summary.get("runs_ok")))
        out.entries.append(entry)
        for run in group.get("runs") or ():
            index += 1
            ok = run.get("ok") is not False
            out.request(TOOL, entry.run_key, request_index=index, ok=ok,
                        error=None if ok else str(run.get("error") or "not ok"),
                        model=run.get("model") or group.get("model"), test=test,
                        e2e_latency_s=_seconds(run.get("total_duration_ns")),
                        decode_tps=_rate(run.get("eval_count"), run.get("eval_duration_ns")),
                        prefill_tps=_rate(run.get("prompt_eval_count"),
                                          run.get("prompt_eval_duration_ns")),
                        load_s=_seconds(run.get("load_duration_ns")),
                        input_tokens=number(run.get("prompt_eval_count")),
                        output_tokens=number(run.get("eval_count")))
    return out


def extract_load_csv(head: Head) -> Extracted:
    """One request per row; a row whose status is not ``ok`` is a failure with its error. A
    decode time of 0 with one generated token gives no rate (undefined, not infinite)."""
    out = Extracted()
    for i, row in enumerate(csv.DictReader(io.StringIO(head.text)), start=1):
        row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        ok = row.get("status", "").lower() == "ok"
        eval_s, tokens = number(row.get("eval_time_s")), number(row.get("generated_tokens"))
        prompt_s, prompt_tokens = number(row.get("prompt_eval_time_s")), number(
            row.get("prompt_tokens"))
        out.request(TOOL, _key(head), request_index=i, ok=ok,
                    error=None if ok else (row.get("error_message") or row.get("status")),
                    model=row.get("model"),
                    test=f"num_ctx={row['context_size']}" if row.get("context_size") else "load",
                    e2e_latency_s=number(row.get("total_time_s")),
                    load_s=number(row.get("load_time_s")),
                    decode_tps=tokens / eval_s if tokens and eval_s else None,
                    prefill_tps=prompt_tokens / prompt_s if prompt_tokens and prompt_s else None,
                    input_tokens=prompt_tokens, output_tokens=tokens,
                    started_at=row.get("timestamp_utc") or None, has_summary=False)
    return out
