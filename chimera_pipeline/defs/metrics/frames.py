"""dagster-pandas types at the parser -> warehouse boundary.

Parsers already drop impossible values (negative durations) from the rows they mark
failed; these types prove it. A violation here is a parser bug, and it fails the step
with the constraint that broke instead of landing bad rows.
"""

import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dagster_pandas import PandasColumn, create_dagster_pandas_dataframe_type

from chimera_pipeline.lib.formats.model import METRIC_UNITS

FINITE = sys.float_info.max  # an upper bound no infinity meets
CHECK_BATCH_ROWS = 100_000  # a staged file is checked in batches: memory stays bounded


def _non_negative(*names: str, non_nullable: bool = False) -> list[PandasColumn]:
    """Finite and >= 0 (a missing value passes unless ``non_nullable``)."""
    return [PandasColumn.float_column(n, min_value=0.0, max_value=FINITE,
                                      non_nullable=non_nullable,
                                      ignore_missing_vals=not non_nullable) for n in names]


LlmRunsFrame = create_dagster_pandas_dataframe_type(
    name="LlmRunsFrame",
    description="llm_runs rows: non-negative durations and throughputs, known suites.",
    columns=[
        PandasColumn.exists("source_file", non_nullable=True),
        PandasColumn.boolean_column("ok", non_nullable=True),
        PandasColumn.categorical_column(
            "suite", {"baseline", "param_tuning", "quant_bench", "prompt_suite", "banter"}
        ),
        *_non_negative("ttft_s", "decode_tps", "prefill_tps", "e2e_tps", "load_s",
                       "prompt_eval_s", "eval_s", "total_s"),
    ],
)

CompileBenchmarksFrame = create_dagster_pandas_dataframe_type(
    name="CompileBenchmarksFrame",
    description="compile_benchmarks rows: non-negative compile times and latencies.",
    columns=[
        PandasColumn.exists("backend", non_nullable=True),
        *_non_negative("compile_time_s", "mean_ms", "std_ms", "min_ms", "max_ms"),
    ],
)

TimingBaselinesFrame = create_dagster_pandas_dataframe_type(
    name="TimingBaselinesFrame",
    description="timing_baselines rows: non-negative latency statistics.",
    columns=_non_negative("mean_ms", "stdev_ms", "min_ms", "max_ms", "p50_ms", "p95_ms", "p99_ms"),
)

BenchmarkResultsFrame = create_dagster_pandas_dataframe_type(
    name="BenchmarkResultsFrame",
    description="benchmark_results rows: a tool, a known metric in its canonical unit, a finite "
    "non-negative value, status ok or failed.",
    columns=[
        PandasColumn.exists("tool", non_nullable=True),
        PandasColumn.categorical_column("metric", set(METRIC_UNITS), non_nullable=True),
        PandasColumn.exists("stat", non_nullable=True),
        PandasColumn.categorical_column("unit", set(METRIC_UNITS.values()) | {"count"},
                                        non_nullable=True),
        *_non_negative("value", non_nullable=True),
        *_non_negative("concurrency", "request_rate", "input_tokens", "output_tokens"),
        PandasColumn.categorical_column("status", {"ok", "failed"}, non_nullable=True),
    ],
)

BenchmarkRequestsFrame = create_dagster_pandas_dataframe_type(
    name="BenchmarkRequestsFrame",
    description="benchmark_requests rows: a source and tool, a position from 1, ok set, finite "
    "non-negative latencies, throughputs and token counts.",
    columns=[
        PandasColumn.exists("source_file", non_nullable=True),
        PandasColumn.exists("tool", non_nullable=True),
        PandasColumn.integer_column("request_index", min_value=1, non_nullable=True),
        PandasColumn.boolean_column("ok", non_nullable=True),
        *_non_negative("ttft_s", "itl_s", "tpot_s", "e2e_latency_s", "output_tps",
                       "decode_tps", "prefill_tps", "load_s", "input_tokens", "output_tokens"),
    ],
)

FRAME_TYPES = {
    "llm_runs": LlmRunsFrame,
    "compile_benchmarks": CompileBenchmarksFrame,
    "timing_baselines": TimingBaselinesFrame,
    "benchmark_results": BenchmarkResultsFrame,
    "benchmark_requests": BenchmarkRequestsFrame,
}


def validate(table: str, frame: pd.DataFrame) -> None:
    """Type-check a table's rows; raise ``dg.Failure`` naming the broken constraint.

    Calls the type's own check rather than ``dg.check_dagster_type``: that helper builds an
    ephemeral Dagster instance (SQLite + migrations) per call, which costs more than
    the parsing itself once it ran for every staged chunk. dagster-pandas' checks do not
    read the context.
    """
    dagster_type = FRAME_TYPES.get(table)
    if dagster_type is None or frame.empty:
        return
    result = dagster_type.type_check(None, frame)
    if not result.success:
        raise dg.Failure(f"{table} rows failed {dagster_type.display_name}: {result.description}")


class ArrowCheck:
    """:func:`validate` for a staged chunk (a pyarrow Table, or a staged Parquet file read
    in batches: a per-request file can hold millions of rows). ``tables`` tells the staging
    code which tables to hand over, so the large ``metric_values`` is never converted."""

    tables = frozenset(FRAME_TYPES)

    def __call__(self, table: str, rows: pa.Table | Path) -> None:
        if table not in self.tables:
            return
        batches = (pq.ParquetFile(rows).iter_batches(CHECK_BATCH_ROWS)
                   if isinstance(rows, Path) else rows.to_batches(CHECK_BATCH_ROWS))
        for batch in batches:
            validate(table, batch.to_pandas())


check_arrow = ArrowCheck()
