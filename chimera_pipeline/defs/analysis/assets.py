"""``llm_analysis``: one LLM call per day, writing from the facts; every number checked."""

import time

import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.analysis.resources import LLMResource
from chimera_pipeline.defs.check_window import RECOMPUTE_TAG
from chimera_pipeline.defs.partitions import daily_asset, work_keys
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.llm.rows import DayFailed
from chimera_pipeline.lib.llm.step import analyse_and_write
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.warehouse import record_stage

GPU_TAGS = {
    "dagster-celery/queue": "gpu",
    "dagster-k8s/config": {"container_config": {"resources": {"limits": {"nvidia.com/gpu": "1"}}}},
}


@daily_asset(
    deps=[stages.FACTS.asset],
    pool="llm",
    group_name="analysis",
    kinds={"ollama"},
    op_tags=GPU_TAGS,
    # Once more if the step itself was lost (its worker died): an LLM error has already been
    # retried inside the step and fails with allow_retries=False.
    retry_policy=dg.RetryPolicy(max_retries=1, delay=1),
    description="The narrative: the LLM (Ollama, or the embedded gemma3 model) words the "
    "day's top findings; a gate publishes only what parses, reads as a summary and states "
    "numbers the facts back; a day whose facts, findings and LLM settings did not change "
    "keeps its narrative. Tables: llm_calls, llm_analyses, report_claims, analysis_inputs.",
)
def llm_analysis(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource, llm: LLMResource
) -> dg.MaterializeResult:
    began = time.perf_counter()
    keys = work_keys(context)
    try:
        rows = analyse_and_write(warehouse.get_connection, keys, llm.settings(),
                                 load_settings().models_dir,
                                 # ``chimera run --force``: every day asked again
                                 reuse=context.run.tags.get(RECOMPUTE_TAG) != "true",
                                 log=context.log.warning)
    except DayFailed as exc:
        raise dg.Failure(str(exc), allow_retries=False) from None
    with warehouse.get_connection() as con:
        record_stage(con, keys, stages.ANALYSIS.label, time.perf_counter() - began,
                     context.run_id)
    return dg.MaterializeResult(metadata=rows.summary())
