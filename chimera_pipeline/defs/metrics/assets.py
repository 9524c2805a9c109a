"""``benchmark_metrics``: the partition's files parsed into typed DuckDB tables."""

import tempfile
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import pyarrow.compute as pc
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.metrics.frames import check_arrow
from chimera_pipeline.defs.partitions import daily_asset, work_keys
from chimera_pipeline.lib.common.memory import give_back_memory
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.parsing.staging import parse_in_chunks
from chimera_pipeline.lib.parsing.version import parser_version, reusable
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.schema import METRIC_TABLES
from chimera_pipeline.lib.store.warehouse import (
    read_inventory,
    record_stage,
    write_staged_metrics,
)

LOGGED_ERRORS = 20


def _row_counts(con, keys: set[str]) -> dict[str, int]:
    """Each metric table's rows for the days: those parsed now and those kept."""
    return {t: con.execute(f"SELECT count(*) FROM {t} WHERE partition IN "
                           "(SELECT unnest(?::VARCHAR[]))", [sorted(keys)]).fetchone()[0]
            for t in METRIC_TABLES}


@daily_asset(
    deps=[stages.INVENTORY.asset],
    pool="duckdb_writer",
    group_name="warehouse",
    kinds={"duckdb", "pandas"},
    description="Typed, unit-normalised measurements with provenance: llm_runs, "
    "sweep_summaries, compile_benchmarks, timing_baselines, system_telemetry, "
    "benchmark_results and benchmark_requests (llama-bench, llmperf, vLLM, GuideLLM, "
    "GenAI-Perf, Ollama and the project's suites in one model), metric_values.",
)
def benchmark_metrics(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    began = time.perf_counter()
    settings = load_settings()
    keys = set(work_keys(context))
    version = parser_version()
    with warehouse.get_connection() as con:
        inventory = read_inventory(con, keys)
    reuse = reusable(inventory, version)
    kept_files = inventory.filter(reuse)
    kept = kept_files["path"].to_pylist()
    inventory = inventory.filter(pc.invert(reuse))
    with tempfile.TemporaryDirectory(prefix="chimera_stage_", dir=settings.data_dir) as staging:
        # parse outside the warehouse lock, a chunk of files at a time per worker process
        # (bounded memory); the inventory is dropped before the DuckDB load, where memory peaks
        statuses, staged = parse_in_chunks(settings.artifact_root, inventory, Path(staging),
                                            check=check_arrow)
        del inventory
        give_back_memory()  # the parse's leftovers, before the load's peak
        with warehouse.get_connection() as con:
            write_staged_metrics(con, keys, staged, statuses, kept, version)
            counts = _row_counts(con, keys)
            record_stage(con, keys, stages.METRICS.label, time.perf_counter() - began,
                         context.run_id)
    give_back_memory()  # the load's leftovers, before the next step (in-process runs)
    outcome = Counter(statuses["parse_status"].to_pylist()
                      + kept_files["parse_status"].to_pylist())
    errors = statuses.filter(pc.equal(statuses["parse_status"], "error"))
    # each log line is an event in the instance's storage: a thousand broken copies of one
    # file would cost more than parsing them; the warehouse keeps every file's error
    shown = errors.slice(0, LOGGED_ERRORS)
    for path, error in zip(shown["path"].to_pylist(), shown["parse_error"].to_pylist(),
                           strict=True):
        context.log.warning(f"{path}: {error}")
    if errors.num_rows > LOGGED_ERRORS:
        context.log.warning(f"... and {errors.num_rows - LOGGED_ERRORS} more files that failed "
                            "to parse: SELECT path, parse_error FROM artifact_files WHERE "
                            "parse_status = 'error'")
    return dg.MaterializeResult(
        metadata={
            "files": statuses.num_rows + len(kept),
            "files_parsed": statuses.num_rows,
            "files_kept": len(kept),
            "parse_status": dict(sorted(outcome.items())),
            **{f"rows.{t}": counts.get(t, 0) for t in METRIC_TABLES},
        }
    )
