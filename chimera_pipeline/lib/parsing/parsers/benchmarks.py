"""Non-LLM benchmark kinds: compilation backends, timing baselines, system/GPU telemetry."""

from __future__ import annotations

import re

from chimera_pipeline.lib.parsing.numbers import parse_number
from chimera_pipeline.lib.parsing.parsers.base import ParseContext, ParseError, ParseOutput

_STAMP_SUFFIX = re.compile(r"_\d{8}(?:[-_]\d{6})?$")


def _load_object(ctx: ParseContext) -> dict:
    data = ctx.json
    if not isinstance(data, dict):
        raise ParseError(f"expected a JSON object, found {type(data).__name__}")
    return data


def _obj(data: dict, key: str) -> dict:
    """The sub-object at ``key``, or an empty one when it is missing or not an object."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _positive(value: object) -> float | None:
    """A latency of 0.0 ms from a failed backend is "no measurement", not 0 ms."""
    number = parse_number(value)
    return number if number is not None and number > 0 else None


def parse_compilation(ctx: ParseContext) -> ParseOutput:
    """One row per backend of a compilation benchmark (eager, jit, torch_compile...)."""
    data = _load_object(ctx)
    model, settings = _obj(data, "model"), _obj(data, "settings")
    backends = data.get("backends")
    if not isinstance(backends, dict):
        raise ParseError("'backends' is not an object")
    out = ParseOutput()
    for name, entry in backends.items():
        entry = entry if isinstance(entry, dict) else {}
        compilation = _obj(entry, "compilation") or None
        bench = _obj(entry, "benchmark")
        success = None if compilation is None else bool(compilation.get("success"))
        mean = _positive(bench.get("mean_time_ms")) if success is not False else None
        out.add(
            "compile_benchmarks", ctx, bench_id=_STAMP_SUFFIX.sub("", ctx.stem),
            model_name=model.get("name"), device=model.get("device"), dtype=model.get("dtype"),
            batch_size=_int(model.get("batch_size")), runs=_int(settings.get("runs")),
            warmup_runs=_int(settings.get("warmup_runs")), backend=name,
            compiler=(compilation or {}).get("backend"), success=success,
            compile_time_s=_positive((compilation or {}).get("compile_time_s")),
            mean_ms=mean,
            std_ms=parse_number(bench.get("std_time_ms")) if mean is not None else None,
            min_ms=_positive(bench.get("min_time_ms")) if mean is not None else None,
            max_ms=_positive(bench.get("max_time_ms")) if mean is not None else None,
            error=(compilation or {}).get("error"), ok=mean is not None,
            generated_at=data.get("generated_at"),
        )
    return out


def _int(value: object) -> int | None:
    number = parse_number(value)
    return int(number) if number is not None else None


def _gpu_name(data: dict) -> str | None:
    env = data.get("environment")
    return env.get("gpu_name") if isinstance(env, dict) else None


def _timing_row(out: ParseOutput, ctx: ParseContext, stats: dict, **fields: object) -> None:
    out.add("timing_baselines", ctx, samples=_int(stats.get("samples")),
            mean_ms=parse_number(stats.get("mean_ms", stats.get("mean_time_ms"))),
            stdev_ms=parse_number(stats.get("stdev_ms", stats.get("std_time_ms"))),
            min_ms=parse_number(stats.get("min_ms", stats.get("min_time_ms"))),
            max_ms=parse_number(stats.get("max_ms", stats.get("max_time_ms"))),
            p50_ms=parse_number(stats.get("p50_ms")), p95_ms=parse_number(stats.get("p95_ms")),
            p99_ms=parse_number(stats.get("p99_ms")), **fields)


def parse_timing_baseline(ctx: ParseContext) -> ParseOutput:
    """An overall row (with the file's percentiles) plus one row per run."""
    data = _load_object(ctx)
    stats = data.get("timing_stats")
    if not isinstance(stats, dict):
        raise ParseError("'timing_stats' is not an object")
    name, gpu = data.get("test_name") or ctx.stem, _gpu_name(data)
    pct = _obj(stats, "latency_percentiles")
    runs, per_run = _int(data.get("runs")), _int(data.get("samples_per_run"))
    out = ParseOutput()
    overall = {"mean_ms": stats.get("overall_mean_ms"), "stdev_ms": stats.get("overall_stdev_ms"),
               "p50_ms": pct.get("p50"), "p95_ms": pct.get("p95"), "p99_ms": pct.get("p99"),
               "samples": runs * per_run if runs and per_run else None}
    _timing_row(out, ctx, overall, test_name=name, scope="overall", run_index=None,
                cv_percent=parse_number(stats.get("cv_percent")),
                outliers=_int(stats.get("outliers_detected")), gpu_name=gpu)
    for i, run in enumerate(stats.get("run_results") or [], start=1):
        if isinstance(run, dict):
            _timing_row(out, ctx, run, test_name=name, scope="run", run_index=i,
                        cv_percent=None, outliers=None, gpu_name=gpu)
    return out


def parse_demo_timing(ctx: ParseContext) -> ParseOutput:
    data = _load_object(ctx)
    if not isinstance(data.get("timing"), dict):
        raise ParseError("'timing' is not an object")
    out = ParseOutput()
    _timing_row(out, ctx, data["timing"], test_name=data.get("benchmark_name") or ctx.stem,
                scope="overall", run_index=None, cv_percent=None, outliers=None,
                gpu_name=_gpu_name(data))
    return out


def parse_kernel_benchmarks(ctx: ParseContext) -> ParseOutput:
    """``{group: {kernel: {mean_time_ms, std_time_ms, min_time_ms, max_time_ms}}}``."""
    out = ParseOutput()
    for group, kernels in _load_object(ctx).items():
        for kernel, stats in (kernels or {}).items():
            if isinstance(stats, dict):
                _timing_row(out, ctx, stats, test_name=f"{group}/{kernel}", scope="kernel",
                            run_index=None, cv_percent=None, outliers=None, gpu_name=None)
    return out


def parse_system_metrics(ctx: ParseContext) -> ParseOutput:
    """One row per sample and GPU; a sample without GPU data keeps one row with NULL GPU."""
    data = _load_object(ctx)
    samples = data.get("metrics")
    if not isinstance(samples, list):
        raise ParseError("'metrics' is not a list")
    out = ParseOutput()
    for i, sample in enumerate(samples, start=1):
        if not isinstance(sample, dict):
            continue
        system, ollama = _obj(sample, "system"), _obj(sample, "ollama")
        gpus = [g for g in sample.get("gpu") or [] if isinstance(g, dict)] or [{}]
        for gpu in gpus:
            out.add("system_telemetry", ctx, sample_index=i,
                    sampled_at=sample.get("datetime") or str(sample.get("timestamp", "")) or None,
                    cpu_percent=parse_number(system.get("cpu_percent")),
                    memory_percent=parse_number(system.get("memory_percent")),
                    memory_used_gb=parse_number(system.get("memory_used_gb")),
                    memory_total_gb=parse_number(system.get("memory_total_gb")),
                    disk_usage_percent=parse_number(system.get("disk_usage_percent")),
                    gpu_id=_int(gpu.get("gpu_id")), gpu_name=gpu.get("name"),
                    gpu_temperature_c=parse_number(gpu.get("temperature")),
                    gpu_power_w=parse_number(gpu.get("power_draw")),
                    gpu_utilization_percent=parse_number(gpu.get("utilization_gpu")),
                    gpu_memory_used_mb=parse_number(gpu.get("memory_used_mb")),
                    gpu_memory_total_mb=parse_number(gpu.get("memory_total_mb")),
                    ollama_process_count=_int(ollama.get("process_count")))
    return out
