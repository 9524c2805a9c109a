"""Per-request files read by DuckDB, not value by value in Python.

A per-request file (llmperf individual responses, CSVs of Ollama API fields, load tests,
JSON lines of API responses) can hold millions of requests. DuckDB's ``read_json`` and
``read_csv`` turn it into ``benchmark_requests`` rows in SQL and write them straight to
Parquet: no Python object per value, memory bounded by DuckDB's limit. The SQL gives the
same rows as the Python readers (a test compares them on the real files); text becomes a
number through ``finite_number``, a DuckDB macro that reads as
:func:`lib.common.numbers.parse_number` does (``DUCKDB_MACROS``): DuckDB's own cast would
take ``1_000``, ``Infinity`` and ``NaN``. JSON values are read as text first, so a number
written as a string (``" 7 "``, ``"1,024"``) is read as the Python readers read it, where a
DOUBLE column would reject the whole file.
"""

from __future__ import annotations

# kind -> the SELECT over {source} (a DuckDB reader of the file) giving the request columns
_LLMPERF = """
    SELECT row_number() OVER () AS request_index, error_code IS NULL AS ok,
           CASE WHEN error_code IS NOT NULL THEN
               trim(error_code || ': ' || coalesce(error_msg, ''), ': ') END AS error,
           finite_number(ttft_s) AS ttft_s, finite_number(inter_token_latency_s) AS itl_s,
           finite_number(end_to_end_latency_s) AS e2e_latency_s,
           finite_number(request_output_throughput_token_per_s) AS output_tps,
           finite_number(number_input_tokens) AS input_tokens,
           finite_number(number_output_tokens) AS output_tokens,
           true AS has_summary
    FROM read_json({path}, format = 'array', columns = {{
        error_code: 'VARCHAR', error_msg: 'VARCHAR', ttft_s: 'VARCHAR',
        inter_token_latency_s: 'VARCHAR', end_to_end_latency_s: 'VARCHAR',
        request_output_throughput_token_per_s: 'VARCHAR', number_input_tokens: 'VARCHAR',
        number_output_tokens: 'VARCHAR'}})
"""
# Ollama's API fields: durations in integer nanoseconds
_API_FIELDS = """
    model, finite_number(total_duration) / 1e9 AS e2e_latency_s,
    finite_number(eval_count) / nullif(finite_number(eval_duration) / 1e9, 0)
        AS decode_tps,
    finite_number(prompt_eval_count)
        / nullif(finite_number(prompt_eval_duration) / 1e9, 0) AS prefill_tps,
    finite_number(load_duration) / 1e9 AS load_s,
    finite_number(prompt_eval_count) AS input_tokens,
    finite_number(eval_count) AS output_tokens
"""
_OLLAMA_CSV = f"""
    SELECT row_number() OVER () AS request_index, true AS ok, NULL AS error, {_API_FIELDS},
           NULL AS started_at, 'api' AS test, false AS has_summary
    FROM read_csv({{path}}, header = true, all_varchar = true, normalize_names = true)
"""
_OLLAMA_JSONL = f"""
    SELECT row_number() OVER () AS request_index, true AS ok, NULL AS error, {_API_FIELDS},
           created_at AS started_at, 'api' AS test, false AS has_summary
    FROM read_json({{path}}, format = 'newline_delimited', ignore_errors = true, columns = {{{{
        model: 'VARCHAR', created_at: 'VARCHAR', total_duration: 'VARCHAR',
        load_duration: 'VARCHAR', prompt_eval_count: 'VARCHAR',
        prompt_eval_duration: 'VARCHAR', eval_count: 'VARCHAR', eval_duration: 'VARCHAR'}}}})
    WHERE eval_count IS NOT NULL AND eval_duration IS NOT NULL
      AND total_duration IS NOT NULL
"""
_LOAD_TEST = """
    SELECT row_number() OVER () AS request_index,
           coalesce(lower(trim(status)) = 'ok', false) AS ok,
           CASE WHEN lower(trim(status)) <> 'ok' THEN
               coalesce(nullif(trim(error_message), ''), trim(status)) END AS error,
           trim(model) AS model,
           CASE WHEN nullif(trim(context_size), '') IS NOT NULL
                THEN 'num_ctx=' || trim(context_size) ELSE 'load' END AS test,
           finite_number(total_time_s) AS e2e_latency_s,
           finite_number(load_time_s) AS load_s,
           nullif(finite_number(generated_tokens), 0)
               / nullif(finite_number(eval_time_s), 0) AS decode_tps,
           nullif(finite_number(prompt_tokens), 0)
               / nullif(finite_number(prompt_eval_time_s), 0) AS prefill_tps,
           finite_number(prompt_tokens) AS input_tokens,
           finite_number(generated_tokens) AS output_tokens,
           nullif(trim(timestamp_utc), '') AS started_at, false AS has_summary
    FROM read_csv({path}, header = true, all_varchar = true, normalize_names = true)
"""
SQL = {"llmperf_responses_json": _LLMPERF, "ollama_load_test_csv": _LOAD_TEST}
_BY_TYPE = {("ollama_api_responses", "csv"): _OLLAMA_CSV,
            ("ollama_api_responses", "jsonl"): _OLLAMA_JSONL}


def reads(kind: str, file_type: str) -> bool:
    """Whether files of this kind and type have a columnar reader."""
    return kind in SQL or (kind, file_type) in _BY_TYPE


def requests_sql(kind: str, file_type: str) -> str:
    """The query (parameters ``$path``, ``$tool``, ``$run_key``) giving one file's
    ``benchmark_requests`` columns; the caller adds the partition and the source file."""
    select = SQL.get(kind) or _BY_TYPE[(kind, file_type)]
    return f"SELECT $tool AS tool, $run_key AS run_key, * FROM ({select.format(path='$path')})"
