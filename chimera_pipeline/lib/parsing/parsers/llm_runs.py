"""LLM request measurements (Ollama sweeps, baselines, prompt suites) into ``llm_runs``.

Rules that keep the statistics honest:

* a row with an error, or with no positive decode measurement, is kept with ``ok = false``;
* the zeros a failed row carries are "no measurement", stored as NULL, never as 0 s;
* a negative duration or rate is impossible, so the row is kept, marked failed, and the
  value dropped, instead of landing in an average.
"""

from __future__ import annotations

import json
import re

from chimera_pipeline.lib.parsing.numbers import parse_number
from chimera_pipeline.lib.parsing.parsers.base import (
    ParseContext,
    ParseError,
    ParseOutput,
    measurement_key,
)
from chimera_pipeline.lib.parsing.parsers.tabular import integer, num, records

_QUANT = re.compile(r"(?i)(?:^|[-_:])(q\d(?:_[0-9a-z]+)*|qat|fp16|f16|bf16|int8|fp8)(?=$|[-_])")
_NAME_SUFFIX = re.compile(r"_(param_tuning(_summary)?|baseline|benchmark(_fixed)?)$")
MEASURED = ("ttft_s", "decode_tps", "load_s", "prompt_eval_s", "eval_s", "prompt_tokens",
             "output_tokens", "e2e_tps", "total_s")


def model_from_filename(stem: str) -> str | None:
    """``gemma3_1b-it-qat_param_tuning`` -> ``gemma3:1b-it-qat``; ``gemma3_baseline`` ->
    ``gemma3:latest`` (Ollama's name for an untagged model)."""
    base = _NAME_SUFFIX.sub("", stem)
    if base == stem or not base:
        return None
    family, _, tag = base.partition("_")
    return f"{family}:{tag or 'latest'}"


def quant_of(model: str | None, tag: str | None = None) -> str | None:
    for text in (tag, (model or "").partition(":")[2]):
        if text:
            match = _QUANT.search(text)
            if match:
                return match.group(1)
    return None


def _options(raw: str | None) -> dict:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _config_name(num_gpu: int | None, num_ctx: int | None, temperature: float | None) -> str | None:
    if None in (num_gpu, num_ctx, temperature):
        return None
    return f"g{num_gpu}_c{num_ctx}_t{temperature:g}"


def add_run(out: ParseOutput, ctx: ParseContext, row_number: int, suite: str,
            **fields: object) -> None:
    """Sanitise one request measurement and add it to ``llm_runs``."""
    error = str(fields.pop("error", "") or "").strip() or None
    prompt_tokens, prompt_eval_s = fields.get("prompt_tokens"), fields.get("prompt_eval_s")
    if prompt_tokens and prompt_eval_s and prompt_eval_s > 0:
        fields["prefill_tps"] = prompt_tokens / prompt_eval_s
    negatives = [k for k in (*MEASURED, "prefill_tps") if (fields.get(k) or 0) < 0]
    rate = fields.get("decode_tps") or fields.get("e2e_tps")
    if error is None and negatives:
        error = "impossible negative value: " + ", ".join(negatives)
    elif error is None and not (rate and rate > 0):
        error = "no measurement: throughput empty or zero"
    ok = error is None
    if not ok:  # a failed row's zeros and impossible values are not measurements
        for key in (*MEASURED, "prefill_tps"):
            value = fields.get(key)
            if value is not None and value <= 0:
                fields[key] = None
    key = measurement_key(fields.get("model"), fields.get("config_name"), fields.get("prompt_id"),
                          fields.get("prompt_text"), fields.get("started_at"), error,
                          *(fields.get(k) for k in MEASURED))
    out.add("llm_runs", ctx, run_id=f"{ctx.path}#{row_number}", source_row=row_number,
            suite=suite, error=error, ok=ok, measurement_key=key, **fields)


# the columns of a request row that say which model and options ran it: they repeat from
# row to row, so the SQL reader (:mod:`..llm_runs_sql`) reads them once per distinct value
CONTEXT_COLUMNS = ("model", "tag", "options", "config_name", "num_gpu", "num_ctx",
                   "temperature", "top_p", "top_k", "repeat_penalty")


def run_context(row: dict, model: str | None) -> dict:
    """The model, quantisation and options of one request row (``model``: the file name's
    model, for rows that do not name one). Depends on :data:`CONTEXT_COLUMNS` only."""
    options = _options(row.get("options"))
    for name in ("num_gpu", "num_ctx", "temperature", "top_p", "top_k", "repeat_penalty"):
        if row.get(name) not in (None, ""):
            options.setdefault(name, parse_number(row[name]))
    num_gpu = integer(options, "num_gpu")
    num_ctx = integer(options, "num_ctx")
    temperature = parse_number(options.get("temperature"))
    model = row.get("model") or model
    return dict(
        model=model, quant=quant_of(model, row.get("tag")),
        config_name=row.get("config_name") or _config_name(num_gpu, num_ctx, temperature),
        num_gpu=num_gpu, num_ctx=num_ctx, temperature=temperature,
        top_p=parse_number(options.get("top_p")), top_k=integer(options, "top_k"),
        repeat_penalty=parse_number(options.get("repeat_penalty")),
        options_json=json.dumps(options, sort_keys=True) if options else None,
    )


def _ollama_row(row: dict, model: str | None) -> dict:
    return dict(
        **run_context(row, model),
        prompt_id=row.get("prompt_index") or None,
        prompt_text=row.get("prompt_text") or row.get("prompt") or None,
        started_at=row.get("timestamp") or None,
        ttft_s=num(row, "ttft_s"), decode_tps=num(row, "tokens_s"), load_s=num(row, "load_s"),
        prompt_eval_s=num(row, "prompt_eval_s"), eval_s=num(row, "eval_s"),
        prompt_tokens=integer(row, "prompt_eval_count"), output_tokens=integer(row, "eval_count"),
        response_chars=integer(row, "response_chars"), error=row.get("error"),
    )


SUITES = {
    "ollama_prompt_suite_runs_csv": "prompt_suite",
    "gemma3_baseline_csv": "baseline",
    "gemma3_param_tuning_csv": "param_tuning",
    "ollama_param_tuning_csv": "param_tuning",
    "ollama_quant_bench_csv": "quant_bench",
}


def parse_ollama_csv(ctx: ParseContext) -> ParseOutput:
    """Every Ollama request CSV shape: prompt suites, baselines, sweeps, quant benches."""
    out = ParseOutput()
    model = model_from_filename(ctx.stem)
    for i, row in enumerate(records(ctx.text), start=ctx.first_row):
        add_run(out, ctx, i, SUITES[ctx.kind], **_ollama_row(row, model))
    return out


def parse_baseline_json(ctx: ParseContext) -> ParseOutput:
    """``{"model": ..., "results": [...]}``: the JSON twin of a baseline CSV."""
    data = ctx.json
    results = data.get("results")
    if not isinstance(results, list):
        raise ParseError("'results' is not a list")
    out = ParseOutput()
    model = data.get("model") or model_from_filename(ctx.stem)
    for i, item in enumerate(results, start=1):
        if isinstance(item, dict):
            row = {k.lower(): v for k, v in item.items()}
            add_run(out, ctx, i, "baseline", **_ollama_row(row, model))
    return out


def _banter_row(row: dict) -> dict:
    gen_ms = num(row, "generation time (ms)") or num(row, "generation_time_ms")
    success = str(row.get("success", "")).strip().lower() in ("true", "1", "yes")
    return dict(
        prompt_id=row.get("test name") or row.get("test_name"),
        prompt_text=row.get("context"),
        total_s=gen_ms / 1000.0 if gen_ms is not None else None,
        output_tokens=integer(row, "tokens"),
        e2e_tps=num(row, "tokens per second") or num(row, "tokens_per_second"),
        error=row.get("error") or (None if success else "test reported success = false"),
    )


def parse_banter_csv(ctx: ParseContext) -> ParseOutput:
    out = ParseOutput()
    for i, row in enumerate(records(ctx.text), start=ctx.first_row):
        add_run(out, ctx, i, "banter", **_banter_row(row))
    return out


def parse_banter_json(ctx: ParseContext) -> ParseOutput:
    data = ctx.json
    results = data.get("results")
    if not isinstance(results, list):
        raise ParseError("'results' is not a list")
    out = ParseOutput()
    for i, item in enumerate(results, start=1):
        if isinstance(item, dict):
            row = {k.lower(): v for k, v in item.items()}
            row["success"] = str(item.get("success"))
            add_run(out, ctx, i, "banter", started_at=data.get("test_datetime"),
                    **_banter_row(row))
    return out


def parse_sweep_summary(ctx: ParseContext) -> ParseOutput:
    """Per-config means a sweep tool wrote; kept beside the runs they summarise."""
    out = ParseOutput()
    model = model_from_filename(ctx.stem)
    for i, row in enumerate(records(ctx.text), start=ctx.first_row):
        num_gpu, num_ctx = integer(row, "num_gpu"), integer(row, "num_ctx")
        temperature = num(row, "temperature")
        out.add("sweep_summaries", ctx, source_row=i, model=row.get("model") or model,
                config_name=row.get("config_name") or _config_name(num_gpu, num_ctx, temperature),
                num_gpu=num_gpu, num_ctx=num_ctx, temperature=temperature,
                mean_tokens_s=num(row, "mean_tokens_s"), mean_ttft_s=num(row, "mean_ttft_s"),
                mean_load_s=num(row, "mean_load_s"),
                mean_prompt_eval_s=num(row, "prompt_eval") or num(row, "mean_prompt_eval_s"),
                mean_eval_s=num(row, "eval_s_mean") or num(row, "mean_eval_s"))
    return out
