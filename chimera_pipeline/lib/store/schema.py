"""The warehouse contract: table names, columns and types.

Users query these tables directly, so names are stable. One list of columns per table drives
the DDL, the Arrow schema used to hand rows to DuckDB, and the table reference in
``docs/warehouse-tables.md``, so the three cannot drift apart. Every table carries
``partition`` (the benchmark date as ``YYYY-MM-DD``) because materializing a partition
replaces exactly those rows.
"""

from __future__ import annotations

import functools

import pyarrow as pa

Column = tuple[str, str, str]  # name, DuckDB type, description

_ARROW = {
    "VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(), "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us"),
}

TABLES: dict[str, list[Column]] = {
    "artifact_files": [
        ("partition", "VARCHAR", "benchmark date partition, YYYY-MM-DD"),
        ("path", "VARCHAR", "path relative to the artifact root"),
        ("folder", "VARCHAR", "top-level folder under the artifact root"),
        ("type", "VARCHAR", "file extension: csv, json, jsonl, md, txt, log, yaml..."),
        ("kind", "VARCHAR", "recognised artifact kind (docs/pipeline.md)"),
        ("size_bytes", "BIGINT", "file size"),
        ("mtime", "TIMESTAMP", "modification time, UTC"),
        ("sha256", "VARCHAR", "content hash; NULL when the file could not be read"),
        ("benchmark_date", "DATE", "the day the benchmark ran"),
        ("date_source", "VARCHAR", "tool (the run time a benchmark tool wrote), path, content "
         "or mtime"),
        ("date_raw", "VARCHAR", "the stamp the date was read from"),
        ("duplicate_of", "VARCHAR", "path of the identical file this one copies"),
        ("parser", "VARCHAR", "parser that read the file"),
        ("parse_status", "VARCHAR", "ok, duplicate, error, unreadable or pending"),
        ("parse_error", "VARCHAR", "why the file did not parse"),
        ("rows_loaded", "BIGINT", "typed rows written from this file"),
        ("values_loaded", "BIGINT", "metric_values rows written from this file"),
        ("parsed_with", "VARCHAR", "parser version (a digest of the parsing code and settings) "
         "the file's rows were read with; a file whose path, sha256 and parser version are "
         "unchanged keeps its rows instead of being parsed again"),
    ],
    "llm_runs": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("run_id", "VARCHAR", "source_file#row"),
        ("source_file", "VARCHAR", "artifact path"),
        ("source_row", "BIGINT", "1-based data row or list index in the source"),
        ("suite", "VARCHAR", "baseline, param_tuning, quant_bench, prompt_suite or banter"),
        ("model", "VARCHAR", "Ollama model name, from content or file name"),
        ("quant", "VARCHAR", "quantisation tag (q4_0, q5_K_M, qat...)"),
        ("config_name", "VARCHAR", "parameter-sweep configuration label"),
        ("num_gpu", "BIGINT", "Ollama num_gpu option"),
        ("num_ctx", "BIGINT", "Ollama num_ctx option"),
        ("temperature", "DOUBLE", "sampling temperature"),
        ("top_p", "DOUBLE", "top_p option"),
        ("top_k", "BIGINT", "top_k option"),
        ("repeat_penalty", "DOUBLE", "repeat_penalty option"),
        ("options_json", "VARCHAR", "all request options as written"),
        ("prompt_id", "VARCHAR", "prompt index or test name"),
        ("prompt_text", "VARCHAR", "prompt text"),
        ("started_at", "VARCHAR", "request timestamp as written"),
        ("ttft_s", "DOUBLE", "time to first token, seconds"),
        ("decode_tps", "DOUBLE", "decode tokens/s = eval_count / eval_duration"),
        ("prefill_tps", "DOUBLE", "prefill tokens/s = prompt_eval_count / prompt_eval_duration"),
        ("e2e_tps", "DOUBLE", "output tokens / whole generation time (tools that only give that)"),
        ("load_s", "DOUBLE", "model load duration, seconds"),
        ("prompt_eval_s", "DOUBLE", "prompt evaluation duration, seconds"),
        ("eval_s", "DOUBLE", "decode duration, seconds"),
        ("total_s", "DOUBLE", "total request duration, seconds, when the file gives it"),
        ("prompt_tokens", "BIGINT", "prompt_eval_count"),
        ("output_tokens", "BIGINT", "eval_count"),
        ("response_chars", "BIGINT", "response length in characters"),
        ("error", "VARCHAR", "error text; failed and timed-out rows keep it"),
        ("ok", "BOOLEAN", "true when the request produced a measurement"),
        ("measurement_key", "VARCHAR", "hash of the measured values; equal rows in two files"),
    ],
    "sweep_summaries": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("source_file", "VARCHAR", "artifact path"),
        ("source_row", "BIGINT", "1-based data row"),
        ("model", "VARCHAR", "model, from the file name when the content lacks it"),
        ("config_name", "VARCHAR", "configuration label"),
        ("num_gpu", "BIGINT", "num_gpu"),
        ("num_ctx", "BIGINT", "num_ctx"),
        ("temperature", "DOUBLE", "temperature"),
        ("mean_tokens_s", "DOUBLE", "mean decode tokens/s as the tool summarised it"),
        ("mean_ttft_s", "DOUBLE", "mean TTFT, seconds"),
        ("mean_load_s", "DOUBLE", "mean load time, seconds"),
        ("mean_prompt_eval_s", "DOUBLE", "mean prompt-eval time, seconds"),
        ("mean_eval_s", "DOUBLE", "mean eval time, seconds"),
    ],
    "compile_benchmarks": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("source_file", "VARCHAR", "artifact path"),
        ("bench_id", "VARCHAR", "benchmark name: file stem without its time stamp"),
        ("model_name", "VARCHAR", "network benchmarked (conv, mlp, transformer)"),
        ("device", "VARCHAR", "cpu or cuda"),
        ("dtype", "VARCHAR", "tensor dtype"),
        ("batch_size", "BIGINT", "batch size"),
        ("runs", "BIGINT", "timed runs"),
        ("warmup_runs", "BIGINT", "warm-up runs"),
        ("backend", "VARCHAR", "eager, jit, torch_compile, onnx, tensorrt..."),
        ("compiler", "VARCHAR", "compilation backend reported"),
        ("success", "BOOLEAN", "compilation succeeded (NULL: nothing to compile)"),
        ("compile_time_s", "DOUBLE", "compile time, seconds; NULL when not compiled"),
        ("mean_ms", "DOUBLE", "mean latency, ms; NULL when the backend failed"),
        ("std_ms", "DOUBLE", "latency std, ms"),
        ("min_ms", "DOUBLE", "min latency, ms"),
        ("max_ms", "DOUBLE", "max latency, ms"),
        ("error", "VARCHAR", "compilation error"),
        ("ok", "BOOLEAN", "the backend produced a latency measurement"),
        ("generated_at", "VARCHAR", "generated_at as written"),
    ],
    "timing_baselines": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("source_file", "VARCHAR", "artifact path"),
        ("test_name", "VARCHAR", "baseline or kernel name"),
        ("scope", "VARCHAR", "overall, run or kernel"),
        ("run_index", "BIGINT", "run number within the baseline (scope=run)"),
        ("samples", "BIGINT", "samples behind the statistics"),
        ("mean_ms", "DOUBLE", "mean, ms"),
        ("stdev_ms", "DOUBLE", "standard deviation, ms"),
        ("min_ms", "DOUBLE", "minimum, ms"),
        ("max_ms", "DOUBLE", "maximum, ms"),
        ("p50_ms", "DOUBLE", "median, ms"),
        ("p95_ms", "DOUBLE", "95th percentile, ms"),
        ("p99_ms", "DOUBLE", "99th percentile, ms"),
        ("cv_percent", "DOUBLE", "coefficient of variation, %"),
        ("outliers", "BIGINT", "outliers detected"),
        ("gpu_name", "VARCHAR", "GPU of the environment"),
    ],
    "system_telemetry": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("source_file", "VARCHAR", "artifact path"),
        ("sample_index", "BIGINT", "sample number in the file"),
        ("sampled_at", "VARCHAR", "sample time as written"),
        ("cpu_percent", "DOUBLE", "CPU utilisation, %"),
        ("memory_percent", "DOUBLE", "memory utilisation, %"),
        ("memory_used_gb", "DOUBLE", "memory used, GB"),
        ("memory_total_gb", "DOUBLE", "memory total, GB"),
        ("disk_usage_percent", "DOUBLE", "disk usage, %"),
        ("gpu_id", "BIGINT", "GPU index; NULL when the sample has no GPU data"),
        ("gpu_name", "VARCHAR", "GPU name"),
        ("gpu_temperature_c", "DOUBLE", "GPU temperature, °C"),
        ("gpu_power_w", "DOUBLE", "GPU power draw, W"),
        ("gpu_utilization_percent", "DOUBLE", "GPU utilisation, %"),
        ("gpu_memory_used_mb", "DOUBLE", "GPU memory used, MB"),
        ("gpu_memory_total_mb", "DOUBLE", "GPU memory total, MB"),
        ("ollama_process_count", "BIGINT", "Ollama processes seen"),
    ],
    "metric_values": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("source_file", "VARCHAR", "artifact path"),
        ("locator", "VARCHAR", "JSON key path, CSV row.column or Markdown table.row.column"),
        ("metric", "VARCHAR", "key or column name"),
        ("entity", "VARCHAR", "row label (model, config, backend...) when there is one"),
        ("value", "DOUBLE", "value in the canonical unit"),
        ("unit", "VARCHAR", "canonical unit: s, B, tok/s, %, Hz... or as written"),
        ("raw_value", "VARCHAR", "the text as written"),
        ("raw_unit", "VARCHAR", "the unit as written or implied by the name"),
    ],
    "facts": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("fact_id", "VARCHAR", "F1, F2... in priority order; what the LLM cites as {F1}"),
        ("fact_key", "VARCHAR", "stable key, e.g. llm.gemma3:latest.baseline.decode_tps.mean"),
        ("label", "VARCHAR", "what the number is"),
        ("value", "DOUBLE", "the number (NULL for a label-only fact)"),
        ("text_value", "VARCHAR", "text value: best config name, date, verdict..."),
        ("unit", "VARCHAR", "tok/s, s, ms, %, files, requests, count, bytes"),
        ("category", "VARCHAR",
         "performance, sweep, compile, timing, document, inventory, quality, change"),
        ("subject", "VARCHAR", "model / config / backend the number is about"),
        ("context", "VARCHAR", "what the subject is compared within: suite, benchmark, document"),
        ("metric", "VARCHAR", "metric name"),
        ("priority", "BIGINT", "lower = more important; prompts are trimmed from the top number"),
        ("display", "VARCHAR", "the value as the report prints it"),
        ("provenance", "VARCHAR", "a read-only query over the warehouse that returns this "
         "value (`chimera query` runs it)"),
    ],
    "findings": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("rank", "BIGINT", "order in the report: summary sentences, findings, recommendations"),
        ("role", "VARCHAR", "summary (the opening sentence), finding or recommendation; each "
         "sentence once a day"),
        ("kind", "VARCHAR", "the rule behind a finding: change, errors, sweep_gain, ranking..."),
        ("template", "VARCHAR", "the sentence with {F12} where a fact's value stands"),
        ("text", "VARCHAR", "the sentence with every value filled in from facts"),
        ("fact_ids", "VARCHAR", "the facts it cites, comma-separated"),
        ("subjects", "VARCHAR", "the models, configs or backends it is about"),
        ("headline", "BOOLEAN", "the finding leads the executive summary (after the opening "
         "sentence, the summary row)"),
    ],
    "alerts": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("rank", "BIGINT", "order in the day's list: regressions first, largest change first"),
        ("verdict", "VARCHAR", "regression or improvement (a sustained step, or a large clear "
         "change before the history exists), or suspect (one night, unconfirmed: a warning)"),
        ("kind", "VARCHAR", "throughput, latency, error rate or compile"),
        ("series", "VARCHAR", "what was compared: model, suite or test, config, tool"),
        ("metric", "VARCHAR", "the measurement compared"),
        ("previous_day", "VARCHAR", "the last night of the baseline it was judged against"),
        ("previous", "DOUBLE", "the baseline: the median of its nights (or the previous "
         "night's value before the history exists)"),
        ("current", "DOUBLE", "the night judged (the two nights' mean of a sustained step)"),
        ("unit", "VARCHAR", "unit of previous and current"),
        ("change", "DOUBLE", "current against previous: % of previous, or points for a rate"),
        ("change_unit", "VARCHAR", "% or points"),
        ("noise_band", "DOUBLE", "the smallest change the test could call real, same unit"),
        ("detail", "VARCHAR", "the error of a failing compile; the counts behind a rate"),
        ("text", "VARCHAR", "the alert in one line, as the check, report and hook state it"),
        ("evidence", "VARCHAR", "the test that decided it: the nights judged, the baseline, "
         "p-values (docs/operations.md#the-regression-method)"),
        ("p_value", "DOUBLE", "the decisive test's p-value (before Benjamini-Hochberg)"),
        ("baseline_nights", "BIGINT", "the nights of the series' history it was judged "
         "against"),
        ("first_night", "VARCHAR", "the first night of the change (the step's start)"),
    ],
    "facts_inputs": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("digest", "VARCHAR", "digest of what the day's facts were computed from: its rows in "
         "the inventory and the measurement tables the facts read, what it reads of other days "
         "(previous nights, verdicts) and the code and settings; a run that finds the same "
         "digest keeps the day's facts and findings (docs/incremental.md#facts-kept)"),
        ("facts", "BIGINT", "facts written with it: a day holding another count is computed "
         "again"),
        ("findings", "BIGINT", "findings rows written with it"),
        ("version", "VARCHAR", "the facts' version (code and settings) in the digest: a stage "
         "whose days' digests are of another version computes them all"),
    ],
    "alert_deliveries": [
        ("partition", "VARCHAR", "the regressed day the notification was about"),
        ("digest", "VARCHAR", "digest of the day's regressions: the same list is sent once"),
        ("channel", "VARCHAR", "webhook or command (credentials redacted)"),
        ("sent_at", "TIMESTAMP", "UTC time of the attempt"),
        ("ok", "BOOLEAN", "delivered"),
        ("error", "VARCHAR", "why it was not"),
    ],
    "llm_calls": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("call_id", "VARCHAR", "unique id of the call"),
        ("started_at", "TIMESTAMP", "UTC start of the request"),
        ("backend", "VARCHAR", "ollama or embedded"),
        ("model", "VARCHAR", "model name (or GGUF file for embedded)"),
        ("options_json", "VARCHAR", "options actually sent (num_ctx, temperature, ...)"),
        ("num_ctx", "BIGINT", "context window sent"),
        ("max_output_tokens", "BIGINT", "answer budget (num_predict / max_tokens)"),
        ("prompt_tokens", "BIGINT", "prompt tokens as the backend counted them"),
        ("prompt_tokens_estimated", "BIGINT", "prompt tokens measured before sending"),
        ("output_tokens", "BIGINT", "generated tokens"),
        ("ttft_s", "DOUBLE", "client-side time to first non-empty chunk, s"),
        ("decode_tps", "DOUBLE", "output tokens / eval duration"),
        ("prefill_tps", "DOUBLE", "prompt tokens / prompt-eval duration"),
        ("load_s", "DOUBLE", "model load duration, s"),
        ("prompt_eval_s", "DOUBLE", "prompt evaluation duration, s"),
        ("eval_s", "DOUBLE", "generation duration, s"),
        ("total_s", "DOUBLE", "total request duration, s"),
        ("attempts", "BIGINT", "tries including retries"),
        ("status", "VARCHAR", "ok or failed"),
        ("error", "VARCHAR", "last error, if any"),
        ("facts_trimmed", "BIGINT", "findings left out of the prompt to fit num_ctx"),
        ("prompt_format", "VARCHAR", "chat (a chat template) or completion (a base model)"),
    ],
    "llm_analyses": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("call_id", "VARCHAR", "llm_calls row"),
        ("backend", "VARCHAR", "ollama or embedded"),
        ("model", "VARCHAR", "model"),
        ("system_prompt", "VARCHAR", "persona prompt sent as the system message"),
        ("user_prompt", "VARCHAR", "user message, or the whole completion prompt"),
        ("raw_response", "VARCHAR", "the model's text as received"),
        ("analysis_json", "VARCHAR", "the parsed sections (raw) and what the gate published"),
        ("parse_note", "VARCHAR", "how the response was parsed (json, completion, fallback)"),
        ("facts_in_prompt", "BIGINT", "findings the prompt carried"),
        ("trimmed_fact_ids", "VARCHAR", "findings left out to fit num_ctx, lowest ranked first"),
        ("prompt_format", "VARCHAR", "chat or completion, as detected for the model"),
        ("gate", "VARCHAR", "accepted, or rejected: the reason (the report then has no narrative)"),
        ("dropped_json", "VARCHAR", "sentences left out of the narrative, with the reason"),
    ],
    "analysis_inputs": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("digest", "VARCHAR", "digest of what the day's narrative was written from: its facts "
         "and findings, the settings that shape the prompt and the answer, what the step "
         "resolved them to (auto's backend, the model, the token counter), and the code; a run "
         "that finds the same digest keeps the day's narrative (docs/incremental.md"
         "#narratives-kept)"),
        ("call_id", "VARCHAR", "the llm_calls and llm_analyses rows written with it"),
        ("claims", "BIGINT", "report_claims rows written with it: a day holding another "
         "count is asked again"),
    ],
    "report_claims": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("claim_id", "BIGINT", "order of the number in the LLM text"),
        ("section", "VARCHAR", "summary, findings, recommendations..."),
        ("sentence", "VARCHAR", "the sentence the number stands in"),
        ("text", "VARCHAR", "the number as the LLM wrote it"),
        ("value", "DOUBLE", "its value"),
        ("unit", "VARCHAR", "its unit, if written"),
        ("fact_id", "VARCHAR", "the fact it matched, or NULL"),
        ("verified", "BOOLEAN", "true when a fact with that value and subject exists"),
        ("reason", "VARCHAR", "why it was or was not verified"),
        ("published", "BOOLEAN", "its sentence is in the published narrative"),
    ],
    "benchmark_results": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("source_file", "VARCHAR", "artifact path; NULL for rows aggregated over a day's "
         "requests"),
        ("locator", "VARCHAR", "where in the file: JSON key path, table row, console label"),
        ("run_key", "VARCHAR", "one tool run: files of the same run (a summary and its "
         "requests, a JSON and its CSV twin) share it"),
        ("tool", "VARCHAR", "llama-bench, llmperf, vllm, guidellm, genai-perf, aiperf, ollama, "
         "chimeraforge, table"),
        ("tool_version", "VARCHAR", "tool version or build as the file states it"),
        ("model", "VARCHAR", "model as the file names it"),
        ("engine", "VARCHAR", "inference engine / backend (llama.cpp Vulkan, vllm, ollama...)"),
        ("hardware", "VARCHAR", "GPU or CPU as the file states it"),
        ("test", "VARCHAR", "what was run: pp512, tg128 @ d4096, serve rate=inf, constant "
         "rate=10, suite and config..."),
        ("config", "VARCHAR", "settings that tell results of one test apart (fa=1 ngl=99...)"),
        ("concurrency", "DOUBLE", "configured concurrent requests"),
        ("request_rate", "DOUBLE", "configured request rate, req/s (NULL when unbounded: the "
         "test says rate=inf)"),
        ("input_tokens", "DOUBLE", "configured input (prompt) tokens per request"),
        ("output_tokens", "DOUBLE", "configured output tokens per request"),
        ("metric", "VARCHAR", "ttft, itl, tpot, e2e_latency, decode_tps, prefill_tps, "
         "output_tps, total_tps, requests_per_s, error_rate, completed, failed... "
         "(docs/formats.md)"),
        ("stat", "VARCHAR", "mean, median, p50..p99, std, min, max, count, or value"),
        ("value", "DOUBLE", "value in the canonical unit"),
        ("unit", "VARCHAR", "canonical unit: s, tok/s, req/s, tokens, count, ratio"),
        ("raw_value", "VARCHAR", "the value as written"),
        ("raw_unit", "VARCHAR", "the unit it was written in (from the tool's declared unit "
         "or documented key)"),
        ("run_at", "VARCHAR", "run time as the file states it"),
        ("status", "VARCHAR", "ok, or failed: no request completed (only counts kept)"),
        ("derived", "BOOLEAN", "true for statistics the pipeline computed from the day's "
         "benchmark_requests or llm_runs (recomputed with the day), NULL for rows a file "
         "holds"),
    ],
    "benchmark_requests": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("source_file", "VARCHAR", "artifact path"),
        ("run_key", "VARCHAR", "the run the request belongs to (see benchmark_results)"),
        ("tool", "VARCHAR", "tool that wrote the request"),
        ("model", "VARCHAR", "model, when the file names it per request or per run"),
        ("test", "VARCHAR", "test of the run, when known"),
        ("request_index", "BIGINT", "1-based position in the file"),
        ("ok", "BOOLEAN", "the request succeeded; failed ones never enter a statistic"),
        ("error", "VARCHAR", "error of a failed request"),
        ("ttft_s", "DOUBLE", "time to first token, s"),
        ("itl_s", "DOUBLE", "inter-token latency, s"),
        ("tpot_s", "DOUBLE", "time per output token, s"),
        ("e2e_latency_s", "DOUBLE", "end-to-end request latency, s"),
        ("output_tps", "DOUBLE", "output tokens/s of the request"),
        ("decode_tps", "DOUBLE", "decode tokens/s (Ollama: eval_count / eval_duration)"),
        ("prefill_tps", "DOUBLE", "prefill tokens/s"),
        ("load_s", "DOUBLE", "model load time, s"),
        ("input_tokens", "DOUBLE", "prompt tokens"),
        ("output_tokens", "DOUBLE", "generated tokens"),
        ("started_at", "VARCHAR", "request start as written"),
        ("has_summary", "BOOLEAN", "the tool wrote its own statistics of these requests; "
         "when false, benchmark_results gets statistics computed from them"),
    ],
    "stage_timings": [
        ("partition", "VARCHAR", "benchmark date partition"),
        ("stage", "VARCHAR", "ingest, parse, facts, analysis, report"),
        ("seconds", "DOUBLE", "duration of the step that produced this partition"),
        ("partitions_in_step", "BIGINT", "days that step covered (a backfill range)"),
        ("run_id", "VARCHAR", "Dagster run id"),
        ("upstream_run_id", "VARCHAR", "run id of the stage before this one when this stage ran "
         "(the chain the incremental plan checks; the run's own id for the inventory)"),
    ],
}

METRIC_TABLES = ("llm_runs", "sweep_summaries", "compile_benchmarks", "timing_baselines",
                 "system_telemetry", "benchmark_requests", "benchmark_results", "metric_values")


def create_statements() -> list[str]:
    """DDL for every table, idempotent; a warehouse written by an older version gets the
    columns added since (NULL in its old rows) instead of failing the next insert."""
    statements = []
    for name, columns in TABLES.items():
        statements.append(f"CREATE TABLE IF NOT EXISTS {name} ("
                          + ", ".join(f'"{col}" {typ}' for col, typ, _ in columns) + ")")
        statements += [f'ALTER TABLE {name} ADD COLUMN IF NOT EXISTS "{col}" {typ}'
                       for col, typ, _ in columns]
    return statements


@functools.cache
def expected_columns() -> frozenset[tuple[str, str]]:
    """Every (table, column) the DDL creates."""
    return frozenset((name, col) for name, columns in TABLES.items() for col, _, _ in columns)


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema rows for ``table`` are converted to before they reach DuckDB."""
    return pa.schema([(col, _ARROW[typ]) for col, typ, _ in TABLES[table]])


def column_names(table: str) -> list[str]:
    return [col for col, _, _ in TABLES[table]]


def markdown_reference() -> str:
    """The table reference, generated so it cannot drift from the DDL."""
    parts = []
    for name, columns in TABLES.items():
        rows = "\n".join(f"| `{col}` | {typ} | {desc} |" for col, typ, desc in columns)
        parts.append(f"#### `{name}`\n\n| column | type | meaning |\n|---|---|---|\n{rows}\n")
    return "\n".join(parts)


TABLES_PAGE_HEADER = """# Warehouse tables

`$CHIMERA_DATA_DIR/warehouse.duckdb`. Every table has `partition` (the benchmark day,
`YYYY-MM-DD`): materializing a partition replaces exactly those rows, in one transaction. Open
it read-only while no run is writing: `duckdb -readonly data/warehouse.duckdb`, or
`chimera query "SELECT ..."` (which says so when a run holds the file).

This page is generated from `chimera_pipeline/lib/store/schema.py`
(`python -m chimera_pipeline.lib.store.schema`); a test fails when it is out of date.
"""


def markdown_page() -> str:
    """``docs/warehouse-tables.md``."""
    return TABLES_PAGE_HEADER + "\n" + markdown_reference()


if __name__ == "__main__":
    from chimera_pipeline.lib.config import PROJECT_ROOT

    (PROJECT_ROOT / "docs" / "warehouse-tables.md").write_text(markdown_page())
