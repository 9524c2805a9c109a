"""Parser registry: which typed parser reads which artifact kind.

Every file also goes through the generic value extractor for its type, so a kind without
a typed parser still lands in ``metric_values``.
"""

from __future__ import annotations

from collections.abc import Callable

from chimera_pipeline.lib import formats
from chimera_pipeline.lib.parsing.parsers import benchmarks, llm_runs
from chimera_pipeline.lib.parsing.parsers.base import ParseContext, ParseError, ParseOutput
from chimera_pipeline.lib.parsing.parsers.values import EXTRACTOR_NAMES, EXTRACTORS

Parser = Callable[[ParseContext], ParseOutput]

TYPED_PARSERS: dict[str, Parser] = {
    "ollama_prompt_suite_runs_csv": llm_runs.parse_ollama_csv,
    "gemma3_baseline_csv": llm_runs.parse_ollama_csv,
    "gemma3_param_tuning_csv": llm_runs.parse_ollama_csv,
    "ollama_param_tuning_csv": llm_runs.parse_ollama_csv,
    "ollama_quant_bench_csv": llm_runs.parse_ollama_csv,
    "gemma3_baseline_json": llm_runs.parse_baseline_json,
    "banter_baseline_summary_csv": llm_runs.parse_banter_csv,
    "banter_baseline_test_results_json": llm_runs.parse_banter_json,
    "gemma3_param_tuning_summary_csv": llm_runs.parse_sweep_summary,
    "ollama_param_tuning_summary_csv": llm_runs.parse_sweep_summary,
    "compilation_bench_json": benchmarks.parse_compilation,
    "timing_baseline_json": benchmarks.parse_timing_baseline,
    "demo_inference_timing_json": benchmarks.parse_demo_timing,
    "kernel_benchmarks_json": benchmarks.parse_kernel_benchmarks,
    "system_metrics_json": benchmarks.parse_system_metrics,
}


def parser_name(kind: str, file_type: str) -> str:
    typed = TYPED_PARSERS.get(kind)
    generic = f"{EXTRACTOR_NAMES.get(file_type, file_type)}_values"
    if kind in formats.BY_KIND:
        return f"formats.{formats.BY_KIND[kind].tool}+{generic}"
    return f"{typed.__module__.rsplit('.', 1)[-1]}.{typed.__name__}+{generic}" if typed else generic


def tool_results(ctx: ParseContext, out: ParseOutput) -> None:
    """A benchmark tool's file (:mod:`chimera_pipeline.lib.formats`) into
    ``benchmark_results`` and ``benchmark_requests``."""
    extracted = formats.extract(ctx.kind, ctx.path, ctx.file_type, ctx.text)
    if extracted is None:
        return
    for entry in extracted.entries:
        for row in entry.rows():
            out.add("benchmark_results", ctx, **row)
    for request in extracted.requests:
        out.add("benchmark_requests", ctx, **request)
    out.warnings.extend(extracted.notes)


def parse(ctx: ParseContext) -> ParseOutput:
    """Run the typed parser for the kind (if any), then the generic value extractor."""
    typed = TYPED_PARSERS.get(ctx.kind)
    out = typed(ctx) if typed else ParseOutput()
    tool_results(ctx, out)
    extractor = EXTRACTORS.get(ctx.file_type)
    if extractor is None:
        raise ParseError(f"no parser for .{ctx.file_type} files")
    extractor(ctx, out)
    return out


__all__ = ["ParseContext", "ParseError", "ParseOutput", "parse", "parser_name"]
