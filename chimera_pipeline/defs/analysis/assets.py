"""``llm_analysis``: one LLM call per day, writing from the facts; every number checked."""

import json
import time
import uuid

import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.analysis.resources import LLMResource
from chimera_pipeline.defs.partitions import daily_asset
from chimera_pipeline.lib.analysis import call, choose_backend, plan_prompt, token_counter
from chimera_pipeline.lib.claims import check_section
from chimera_pipeline.lib.llm.types import LLMError
from chimera_pipeline.lib.settings import load_settings
from chimera_pipeline.lib.warehouse import read_rows, record_stage, replace_partitions, to_arrow

GPU_TAGS = {
    "dagster-celery/queue": "gpu",
    "dagster-k8s/config": {"container_config": {"resources": {"limits": {"nvidia.com/gpu": "1"}}}},
}


def _check(sections: dict, facts: list[dict]) -> tuple[dict, list]:
    """Check each section (and each list item) against the day's facts."""
    rendered, claims = {}, []
    for name, value in sections.items():
        items = value if isinstance(value, list) else [value]
        out = []
        for item in items:
            text, found = check_section(name, item, facts)
            out.append(text)
            claims += found
        rendered[name] = out if isinstance(value, list) else out[0]
    return rendered, claims


@daily_asset(
    deps=["benchmark_facts"],
    pool="llm",
    group_name="analysis",
    kinds={"ollama"},
    op_tags=GPU_TAGS,
    # Once more if the step itself was lost (its worker died): an LLM error has already been
    # retried inside the step and fails with allow_retries=False.
    retry_policy=dg.RetryPolicy(max_retries=1, delay=1),
    description="The narrative, written by the LLM from the day's facts (Ollama, or the "
    "embedded gemma3 model), with every number checked. Tables: llm_calls, llm_analyses, "
    "report_claims.",
)
def llm_analysis(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource, llm: LLMResource
) -> dg.MaterializeResult:
    began = time.perf_counter()
    settings, data_dir = llm.settings(), load_settings().data_dir
    keys = sorted(context.partition_keys)
    with warehouse.get_connection() as con:
        facts = read_rows(con, "facts", keys, order="priority, fact_key")
    backend, counter = None, None
    tables: dict[str, list[dict]] = {"llm_calls": [], "llm_analyses": [], "report_claims": []}
    for key in keys:
        day_facts = [f for f in facts if f["partition"] == key]
        if not day_facts:
            continue
        try:
            backend = backend or choose_backend(settings, data_dir / "models")
            counter = counter or token_counter(settings, data_dir / "models")
            plan = plan_prompt(key, day_facts, settings, counter)
            result, sections, note = call(backend, plan, settings, log=context.log.warning)
        except LLMError as exc:
            raise dg.Failure(f"llm_analysis for {key}: {exc}", allow_retries=False) from None
        rendered, claims = _check(sections, day_facts)
        call_id = uuid.uuid4().hex[:12]
        tables["llm_calls"].append({
            "partition": key, "call_id": call_id, "started_at": result.started_at,
            "backend": result.backend, "model": result.model,
            "options_json": json.dumps(result.options_sent, sort_keys=True),
            "num_ctx": plan.num_ctx, "max_output_tokens": settings.max_output_tokens,
            "prompt_tokens": result.prompt_tokens, "prompt_tokens_estimated": plan.prompt_tokens,
            "output_tokens": result.output_tokens, "ttft_s": result.ttft_s,
            "decode_tps": result.decode_tps, "prefill_tps": result.prefill_tps,
            "load_s": result.load_s, "prompt_eval_s": result.prompt_eval_s,
            "eval_s": result.eval_s, "total_s": result.total_s, "attempts": result.attempts,
            "status": "ok", "error": None, "facts_trimmed": len(plan.trimmed)})
        tables["llm_analyses"].append({
            "partition": key, "call_id": call_id, "backend": result.backend,
            "model": result.model, "system_prompt": plan.system, "user_prompt": plan.user,
            "raw_response": result.text,
            "analysis_json": json.dumps({"raw": sections, "rendered": rendered}),
            "parse_note": note, "facts_in_prompt": len(plan.included),
            "trimmed_fact_ids": ",".join(plan.trimmed)})
        tables["report_claims"] += [
            {"partition": key, "claim_id": i, "section": c.section, "sentence": c.sentence,
             "text": c.text, "value": c.value, "unit": c.unit, "fact_id": c.fact_id,
             "verified": c.verified, "reason": c.reason} for i, c in enumerate(claims, start=1)]
    with warehouse.get_connection() as con:
        replace_partitions(con, keys, {t: to_arrow(t, rows) for t, rows in tables.items()})
        record_stage(con, keys, "analysis", time.perf_counter() - began, context.run_id)
    claims = tables["report_claims"]
    verified = sum(1 for c in claims if c["verified"])
    return dg.MaterializeResult(metadata={
        "calls": len(tables["llm_calls"]),
        "backend": tables["llm_calls"][0]["backend"] if tables["llm_calls"] else "none",
        "numbers_checked": len(claims),
        "grounding_rate": verified / len(claims) if claims else 1.0,
    })
