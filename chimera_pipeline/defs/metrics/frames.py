"""dagster-pandas types at the parser -> warehouse boundary.

Parsers already drop impossible values (negative durations) from the rows they mark
failed; these types prove it. A violation here is a parser bug, and it fails the step
with the constraint that broke instead of landing bad rows.
"""

import dagster as dg
import pandas as pd
import pyarrow as pa
from dagster_pandas import PandasColumn, create_dagster_pandas_dataframe_type


def _non_negative(*names: str) -> list[PandasColumn]:
    return [PandasColumn.float_column(n, min_value=0.0, ignore_missing_vals=True) for n in names]


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

FRAME_TYPES = {
    "llm_runs": LlmRunsFrame,
    "compile_benchmarks": CompileBenchmarksFrame,
    "timing_baselines": TimingBaselinesFrame,
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
    """:func:`validate` for a staged chunk (a pyarrow Table). ``tables`` tells the staging
    code which tables to hand over, so the large ``metric_values`` is never converted."""

    tables = frozenset(FRAME_TYPES)

    def __call__(self, table: str, rows: pa.Table) -> None:
        if table in self.tables:
            validate(table, rows.to_pandas())


check_arrow = ArrowCheck()
