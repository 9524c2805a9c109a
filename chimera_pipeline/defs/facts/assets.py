"""``benchmark_facts``: the deterministic analysis every report number comes from."""

import tempfile
import time
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.check_window import RECOMPUTE_TAG
from chimera_pipeline.defs.partitions import daily_asset, work_keys
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.facts.regression import Params
from chimera_pipeline.lib.findings.build import stage_facts, write_staged
from chimera_pipeline.lib.report.notify import pending, record_in, send
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.warehouse import record_stage, replace_partitions


@daily_asset(
    deps=[stages.METRICS.asset],
    pool="duckdb_writer",
    group_name="facts",
    kinds={"duckdb"},
    description="Per model/config statistics, best sweep configs, compile results, inventory "
    "counts, data-quality findings and changes against earlier days, the findings and "
    "recommendations ranked from them, and the regressions and improvements beyond the noise "
    "band (a regressed day is sent to CHIMERA_ALERT_WEBHOOK / _COMMAND when set); a day whose "
    "inputs did not change keeps its facts. Tables: facts, findings, alerts, facts_inputs.",
)
def benchmark_facts(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    began = time.perf_counter()
    keys = work_keys(context)
    settings = load_settings()
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    with warehouse.get_connection() as con, tempfile.TemporaryDirectory(
            prefix="chimera_facts_", dir=data_dir) as staging:
        replace_partitions(con, keys, {})  # creates the tables on a fresh warehouse
        staged = stage_facts(con, keys, Path(staging), params=Params.from_settings(settings),
                             reuse=context.run.tags.get(RECOMPUTE_TAG) != "true")
        write_staged(con, keys, staged)
        record_stage(con, keys, stages.FACTS.label, time.perf_counter() - began, context.run_id)
        todo = pending(con, sorted(staged.regressions), settings)

    # after the facts are committed and the warehouse released: a hook that fails or hangs
    # neither loses them nor holds up other writers; each attempt is recorded as it ends
    def record(rows: list[dict]) -> None:
        with warehouse.get_connection() as con:
            record_in(con)(rows)

    sent = send(todo, settings, record, lambda message, ok:
                (context.log.info if ok else context.log.warning)(message))
    return dg.MaterializeResult(
        metadata={"facts": staged.facts, "findings": staged.findings,
                  "by_category": dict(sorted(staged.by_category.items())),
                  "regressed_days": len(staged.regressions), "alerts_sent": sent,
                  "judged_ahead": staged.judged_ahead, "days_kept": len(staged.kept)}
    )
