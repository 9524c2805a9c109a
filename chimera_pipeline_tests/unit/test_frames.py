"""The dagster-pandas types at the parser -> warehouse boundary reject bad rows."""

import dagster as dg
import pandas as pd
import pytest

from chimera_pipeline.defs.metrics.frames import validate
from chimera_pipeline.lib.store.warehouse import to_arrow


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



def _results(**overrides: object) -> pd.DataFrame:
    row = {"tool": "llama-bench", "metric": "decode_tps", "stat": "mean", "value": 42.5,
           "unit": "tok/s", "concurrency": 1.0, "request_rate": None, "input_tokens": 512.0,
           "output_tokens": None, "status": "ok"}
    return to_arrow("benchmark_results", [{**row, **overrides}]).to_pandas()


def _requests(**overrides: object) -> pd.DataFrame:
    row = {"source_file": "runs/a.json", "tool": "llmperf", "request_index": 1, "ok": True,
           "ttft_s": 0.2, "itl_s": 0.01, "tpot_s": None, "e2e_latency_s": 2.0,
           "output_tps": 50.0, "decode_tps": None, "prefill_tps": None, "load_s": None,
           "input_tokens": 100.0, "output_tokens": 120.0}
    return to_arrow("benchmark_requests", [{**row, **overrides}]).to_pandas()


def test_tool_tables_pass_when_valid() -> None:
    validate("benchmark_results", _results())
    validate("benchmark_requests", _requests())


@pytest.mark.parametrize(("table", "overrides", "needle"), [
    ("benchmark_results", {"value": float("inf")}, "value"),
    ("benchmark_results", {"value": float("nan")}, "value"),
    ("benchmark_results", {"value": -3.0}, "value"),
    ("benchmark_results", {"metric": "vibes"}, "metric"),
    ("benchmark_results", {"unit": "%"}, "unit"),  # ratios are stored as ratios
    ("benchmark_results", {"status": "maybe"}, "status"),
    ("benchmark_results", {"tool": None}, "tool"),
    ("benchmark_requests", {"ttft_s": float("inf")}, "ttft_s"),
    ("benchmark_requests", {"output_tokens": -1.0}, "output_tokens"),
    ("benchmark_requests", {"request_index": 0}, "request_index"),
    ("benchmark_requests", {"ok": None}, "ok"),
])
def test_tool_tables_reject_what_no_reader_may_write(table: str, overrides: dict,
                                                     needle: str) -> None:
    frame = _results(**overrides) if table == "benchmark_results" else _requests(**overrides)
    with pytest.raises(dg.Failure, match="Frame") as caught:
        validate(table, frame)
    assert needle in str(caught.value.description)


def test_a_staged_file_is_checked_in_batches(tmp_path, monkeypatch) -> None:
    import pyarrow.parquet as pq

    from chimera_pipeline.defs.metrics import frames

    rows = [{"source_file": "a.json", "tool": "llmperf", "request_index": i, "ok": True,
             "ttft_s": 0.1} for i in range(1, 26)]
    rows[-1]["ttft_s"] = float("inf")  # in the last batch only
    path = tmp_path / "requests.parquet"
    pq.write_table(to_arrow("benchmark_requests", rows), path)
    monkeypatch.setattr(frames, "CHECK_BATCH_ROWS", 10)
    seen: list[int] = []
    original = frames.validate
    monkeypatch.setattr(frames, "validate", lambda t, f: (seen.append(len(f)), original(t, f)))
    with pytest.raises(dg.Failure, match="ttft_s"):
        frames.check_arrow("benchmark_requests", path)
    assert seen == [10, 10, 5]
