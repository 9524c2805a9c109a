"""The dagster-pandas types at the parser -> warehouse boundary reject bad rows."""

import dagster as dg
import pandas as pd
import pytest

from chimera_pipeline.defs.metrics.frames import validate


def _llm_runs(**overrides: object) -> pd.DataFrame:
    row = {"source_file": "reports/a.csv", "ok": True, "suite": "baseline", "ttft_s": 0.2,
           "decode_tps": 40.0, "prefill_tps": 300.0, "e2e_tps": 35.0, "load_s": 0.1,
           "prompt_eval_s": 0.2, "eval_s": 0.7, "total_s": 1.0}
    return pd.DataFrame([{**row, **overrides}])


def test_valid_rows_pass() -> None:
    validate("llm_runs", _llm_runs())
    validate("metric_values", pd.DataFrame([{"value": -1.0}]))  # no frame type: not checked


@pytest.mark.parametrize(("overrides", "needle"), [
    ({"ttft_s": -0.5}, "ttft_s"),
    ({"suite": "made_up"}, "suite"),
    ({"source_file": None}, "source_file"),
])
def test_a_broken_constraint_fails_naming_it(overrides: dict, needle: str) -> None:
    with pytest.raises(dg.Failure, match="LlmRunsFrame") as caught:
        validate("llm_runs", _llm_runs(**overrides))
    assert needle in str(caught.value.description)

