"""The grounding check: how many of the quantities the LLM typed a finding backs. It fails
below the threshold, so a careless model shows in the UI; it blocks the report only when
unverified quantities were published (CHIMERA_LLM_MARK_UNVERIFIED), since the gate otherwise
left every one of them out."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.defs.check_window import run_window
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.config.docs import describe
from chimera_pipeline.lib.store import stages
from chimera_pipeline.lib.store.checks import grounding


@dg.asset_check(asset=stages.ANALYSIS.asset, blocking=True,
                description="Share of the quantities the LLM typed (published or left out) "
                "that a finding given to it backs. Below "
                f"{describe('grounding_threshold')} it fails: with a warning when the gate "
                "left every unverified quantity out, as an error that stops benchmark_report "
                "when some were published marked (CHIMERA_LLM_MARK_UNVERIFIED).")
def grounding_rate(context: dg.AssetCheckExecutionContext,
                   warehouse: DuckDBResource) -> dg.AssetCheckResult:
    threshold = load_settings().grounding_threshold
    window = run_window(context.run.tags)
    with warehouse.get_connection() as con:
        verified, typed, published_unverified = grounding(con, window)
    rate = verified / typed if typed else 1.0
    passed = rate >= threshold
    blocking = not passed and published_unverified > 0
    if passed:
        description = None
    elif blocking:
        description = (
            f"only {verified} of the {typed} quantities the model typed are backed by findings "
            f"({rate:.0%} < {threshold:.0%}), and {published_unverified} unverified ones were "
            "published marked: the report is not published. Unset CHIMERA_LLM_MARK_UNVERIFIED "
            "(the gate then leaves such sentences out), lower CHIMERA_GROUNDING_THRESHOLD or "
            "use a stronger model.")
    else:
        description = (
            f"only {verified} of the {typed} quantities the model typed are backed by findings "
            f"({rate:.0%} < {threshold:.0%}); the gate left every unverified one out of the "
            "narrative, so the report is published with what was verified. Use a stronger "
            "model for a fuller narrative.")
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={"grounding_rate": rate, "typed": typed, "verified": verified,
                  "unverified": typed - verified, "published_unverified": published_unverified,
                  "threshold": threshold, "partitions": f"{window[0]}..{window[1]}"})
