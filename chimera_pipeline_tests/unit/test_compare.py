"""``chimera compare`` and its library on tiny warehouses written into the real schema: the
numbers are the warehouse's own SQL, unmatched series say why, swapping the sides flips the
change, the regression method's statistics decide (and say when they cannot), and the
percentiles beside the means are DuckDB's ``quantile_cont`` or the tools' own, never judged."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from chimera_pipeline.cli import build_parser
from chimera_pipeline.lib.compare import (
    SelectionError,
    compare,
    parse_selection,
    previous_day_markdown,
    render,
    shortcut,
    with_common,
)
from chimera_pipeline.lib.compare.core import (
    NO_SPREAD,
    NOISE,
    OVERLAP,
    PERCENTILE,
    REAL_BETTER,
    REAL_WORSE,
)
from chimera_pipeline.lib.config.settings import load_settings
from chimera_pipeline.lib.facts.regression import Night, Params, welch
from chimera_pipeline.lib.store.warehouse import ensure_schema

D1, D2, D3 = "2025-10-02", "2025-10-08", "2025-10-09"


def _runs(con: duckdb.DuckDBPyConnection, day: str, model: str, decode: list[float],
          ttft: list[float], failed: int = 0, suite: str = "prompt_suite",
          config: str | None = None, tag: str = "") -> None:
    """Requests of one model on one day into llm_runs, ``failed`` failed ones after them."""
    rows = [(d, t, True, None) for d, t in zip(decode, ttft, strict=True)]
    rows += [(None, None, False, "timed out")] * failed
    for i, (decode_tps, ttft_s, ok, error) in enumerate(rows, start=1):
        source = f"{day}/{model}{tag}.csv"
        con.execute("""INSERT INTO llm_runs (partition, run_id, source_file, source_row, suite,
                           model, config_name, ttft_s, decode_tps, error, ok, measurement_key)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [day, f"{source}#{i}", source, i, suite, model, config, ttft_s, decode_tps,
                     error, ok, f"{source}{config}#{i}"])


def _tool(con: duckdb.DuckDBPyConnection, day: str, tool: str, model: str, hardware: str | None,
          metric: str, mean: float, std: float | None = None, count: int | None = None,
          test: str = "tg128", engine: str | None = "llama.cpp") -> None:
    """One tool result (mean, and its std and count when given) into benchmark_results."""
    unit = "s" if metric in ("ttft", "itl", "e2e_latency") else "tok/s"
    stats = [("mean", mean, unit)] + ([("std", std, unit)] if std is not None else [])
    stats += [("count", count, "count")] if count is not None else []
    for stat, value, u in stats:
        con.execute("""INSERT INTO benchmark_results (partition, source_file, run_key, tool,
                           model, engine, hardware, test, metric, stat, value, unit, status)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok')""",
                    [day, f"{tool}/{hardware}.json", f"{tool}:{hardware}:{test}", tool, model,
                     engine, hardware, test, metric, stat, value, u])


@pytest.fixture
def wh(tmp_path: Path) -> Path:
    """Two days of three models, and two tools and two GPUs measuring one model."""
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    ensure_schema(con)
    steady = [50.0, 50.5, 49.5, 50.2, 49.8, 50.1, 49.9, 50.3]
    _runs(con, D1, "m:q4", steady, [0.5, 0.52, 0.48, 0.5, 0.51, 0.49, 0.5, 0.5], failed=2)
    _runs(con, D2, "m:q4", [x * 0.7 for x in steady], [0.5, 0.5, 0.52, 0.48, 0.5, 0.5, 0.51,
                                                         0.49])
    _runs(con, D2, "m:q4", [x * 0.7 for x in steady][:2], [0.5, 0.5], tag="-copy")  # not dup
    _runs(con, D1, "m:q8", [30.0, 31.0, 29.0], [0.9, 1.0, 1.1])
    _runs(con, D2, "m:q8", [], [], failed=3)  # every request failed: no decode on D2
    _runs(con, D2, "m:new", [80.0, 81.0], [0.2, 0.3])
    for tool, mean in (("llama-bench", 100.0), ("ollama", 60.0)):
        _tool(con, D1, tool, "llama 7B", "RTX 4090", "decode_tps", mean, 1.0, 5)
    _tool(con, D1, "llama-bench", "llama 7B", "RTX 3080", "decode_tps", 70.0, 1.5, 5)
    _tool(con, D1, "llama-bench", "llama 7B", "RTX 4090", "prefill_tps", 900.0, None, None,
          test="pp512")
    _tool(con, D1, "llama-bench", "llama 7B", "RTX 3080", "prefill_tps", 700.0, None, None,
          test="pp512")
    con.close()
    return path


@pytest.fixture
def db(wh: Path):
    con = duckdb.connect(str(wh), read_only=True)
    yield con
    con.close()


def _row(comparison, metric: str, model: str | None = None, stat: str = "mean"):
    found = [r for r in comparison.rows if r.base == metric and r.stat == stat
             and (model is None or r.key.get("model") == model)]
    assert len(found) == 1, [(r.series, r.metric) for r in comparison.rows]
    return found[0]


def test_numbers_are_the_warehouses_own_sql(db) -> None:
    [c] = compare(db, shortcut("day", [D1, D2]))
    for metric, column in (("decode_tps", "decode_tps"), ("ttft", "ttft_s")):
        row = _row(c, metric, "m:q4")
        for day, value, n in ((D1, row.a.mean, row.a.n), (D2, row.b.mean, row.b.n)):
            expected, count = db.execute(
                f"SELECT avg({column}), count({column}) FROM llm_runs "
                "WHERE partition = ? AND model = 'm:q4' AND ok", [day]).fetchone()
            assert value == pytest.approx(expected, rel=1e-12) and n == count
    failed = _row(c, "failed_share", "m:q4")
    share = db.execute("SELECT 100.0 * count(*) FILTER (WHERE NOT ok) / count(*) FROM llm_runs "
                       "WHERE partition = ? AND model = 'm:q4'", [D1]).fetchone()[0]
    assert failed.a.mean == pytest.approx(share) and failed.change_unit == "points"
    assert failed.change == pytest.approx(failed.b.mean - failed.a.mean)
    decode = _row(c, "decode_tps", "m:q4")
    assert decode.change == pytest.approx(100 * (decode.b.mean / decode.a.mean - 1))
    assert decode.ratio == pytest.approx(decode.b.mean / decode.a.mean)


def test_a_request_stored_twice_counts_once(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    _runs(con, D1, "m", [10.0, 12.0], [0.1, 0.1])
    con.execute("INSERT INTO llm_runs SELECT * REPLACE (source_file || '.copy' AS source_file) "
                "FROM llm_runs")  # the same requests in a second file
    _runs(con, D2, "m", [10.0, 12.0], [0.1, 0.1])
    [c] = compare(con, shortcut("day", [D1, D2]))
    assert _row(c, "decode_tps").a.n == 2


def test_a_real_drop_between_days_is_a_regression_with_its_evidence(db) -> None:
    [c] = compare(db, shortcut("day", [D1, D2]))
    decode = _row(c, "decode_tps", "m:q4")
    assert decode.verdict == REAL_WORSE and decode.change == pytest.approx(-30.0, abs=0.1)
    assert decode.p_value == pytest.approx(welch(
        [Night(D1, decode.a.n, decode.a.mean, decode.a.nights[0].var)],
        [Night(D2, decode.b.n, decode.b.mean, decode.b.nights[0].var)]))
    assert "different days" in decode.evidence and "0.001" in decode.evidence
    ttft = _row(c, "ttft", "m:q4")
    assert ttft.verdict == NOISE


def test_between_days_the_methods_conservative_rule_applies(db) -> None:
    """A clear change smaller than the early rule's 10 % is within noise across days,
    even with a tiny p (within-night spread does not hold the noise between nights)."""
    [c] = compare(db, shortcut("day", [D1, D2]), params=Params(early_change=40.0))
    assert _row(c, "decode_tps", "m:q4").verdict == NOISE


def test_swapping_a_and_b_flips_the_change_and_inverts_the_ratio(db) -> None:
    [ab] = compare(db, shortcut("day", [D1, D2]))
    [ba] = compare(db, shortcut("day", [D2, D1]))
    assert len(ab.rows) == len(ba.rows) > 0
    assert {r.stat for r in ab.rows} == {"mean", "p50", "p90", "p95", "p99"}
    for x in ab.rows:  # the means and the percentiles alike
        y = next(r for r in ba.rows if r.series == x.series and r.metric == x.metric)
        assert (x.a_value, x.b_value) == (y.b_value, y.a_value)
        if x.change_unit == "points" or x.change == 0:
            assert y.change == pytest.approx(-x.change)
        else:
            assert math.copysign(1, y.change) == -math.copysign(1, x.change)
        if x.ratio and y.ratio:  # a zero A (no failed request) has no ratio
            assert x.ratio * y.ratio == pytest.approx(1.0)
        assert x.p_value == pytest.approx(y.p_value) or x.p_value is y.p_value is None
        flipped = {REAL_WORSE: REAL_BETTER, REAL_BETTER: REAL_WORSE}
        assert y.verdict == flipped.get(x.verdict, x.verdict)


def _steady(tmp_path: Path, rows: list[tuple[str, str, float]]) -> duckdb.DuckDBPyConnection:
    """A warehouse of (day, model, level) series, eight tight requests each."""
    con = duckdb.connect(str(tmp_path / "steady.duckdb"))
    ensure_schema(con)
    base = [1.0, 1.002, 0.998, 1.001, 0.999, 1.0, 1.003, 0.997]
    for day, model, level in rows:
        _runs(con, day, model, [level * x for x in base], [0.5] * len(base))
    return con


def test_a_verdict_does_not_depend_on_which_side_is_a(tmp_path: Path) -> None:
    """+10.5 % from D1 to D2 is -9.5 % from D2 to D1: one test (the early rule's floor in %
    of the earlier day), so swapping the sides flips the verdict's direction only; on one
    day, +2.03 % / -1.99 % is within noise both ways (the floor taken from either side)."""
    con = _steady(tmp_path, [(D1, "m", 100.0), (D2, "m", 110.5), (D1, "x", 100.0),
                             (D1, "y", 102.03)])
    [ab] = compare(con, shortcut("day", [D1, D2]), params=Params())
    [ba] = compare(con, shortcut("day", [D2, D1]), params=Params())
    assert (_row(ab, "decode_tps").verdict, _row(ba, "decode_tps").verdict) == (
        REAL_BETTER, REAL_WORSE)
    assert _row(ba, "decode_tps").change == pytest.approx(-9.5, abs=0.01)  # shown: % of A
    pair = [parse_selection(f"day={D1},model=x"), parse_selection(f"day={D1},model=y")]
    [xy], [yx] = compare(con, pair), compare(con, pair[::-1])
    assert _row(xy, "decode_tps").verdict == _row(yx, "decode_tps").verdict == NOISE
    con.close()


def test_an_unmatched_metric_is_reported_with_its_reason(db) -> None:
    [c] = compare(db, shortcut("day", [D1, D2]))
    why = {(u.side, u.series.split()[0], u.metric): u.reason for u in c.unmatched}
    assert why[("A", "m:q8", "decode_tps")].startswith("B has this series but no decode")
    assert "model" in why[("B", "m:new", "decode_tps")]
    assert ("A", "m:q8", "failed_share") not in why  # measured on both days: matched
    assert _row(c, "failed_share", "m:q8").b.mean == 100.0
    text = render([c], "md")
    assert "### Not matched" in text and "B has this series but no decode" in text


def test_two_tools_measuring_the_same_model_on_one_day(db) -> None:
    [c] = compare(db, [parse_selection("tool=llama-bench,hardware=RTX 4090"),
                       parse_selection("tool=ollama,hardware=RTX 4090")])
    assert c.compared == ("tool",)
    row = _row(c, "decode_tps")
    assert (row.a.mean, row.b.mean) == (100.0, 60.0) and row.change == pytest.approx(-40.0)
    assert row.verdict == REAL_WORSE and "same day" in row.evidence  # the within-night rule
    assert row.series == "llama 7B tg128 on RTX 4090 [llama.cpp]"
    [u] = c.unmatched  # ollama measured no prefill
    assert u.side == "A" and u.metric == "prefill_tps" and "no prefill tokens/s" in u.reason


def test_two_gpus_and_a_value_without_spread(db) -> None:
    [c] = compare(db, [with_common(s, parse_selection("tool=llama-bench"))
                       for s in shortcut("hardware", ["RTX 4090", "RTX 3080"])])
    decode = _row(c, "decode_tps")
    assert (decode.a.mean, decode.b.mean, decode.verdict) == (100.0, 70.0, REAL_WORSE)
    prefill = _row(c, "prefill_tps")
    assert prefill.verdict == NO_SPREAD and "no spread" in prefill.evidence
    assert prefill.change == pytest.approx(100 * (700 / 900 - 1)) and prefill.p_value is None


def test_several_series_on_one_side_are_never_averaged(db) -> None:
    """Two GPUs on one side of a tool comparison that ignores hardware: ambiguous, said so,
    not averaged; matching on hardware, the other GPU is reported as not measured in B."""
    [c] = compare(db, shortcut("tool", ["llama-bench", "ollama"]))
    [u] = [u for u in c.unmatched if u.metric == "decode_tps"]
    assert "RTX 3080" in u.series and "with this hardware; B has hardware RTX 4090" in u.reason
    [c] = compare(db, shortcut("tool", ["llama-bench", "ollama"]), ignore=["hardware"])
    reasons = [u.reason for u in c.unmatched if u.metric == "decode_tps"]
    assert reasons and all("differ in hardware" in r and "RTX 3080" in r for r in reasons)
    assert not [r for r in c.rows if r.metric == "decode_tps"]


def test_a_selection_matching_nothing_is_a_clear_error(db) -> None:
    with pytest.raises(SelectionError, match=r"selection B \(model=nope\) matches no measure"):
        compare(db, shortcut("model", ["m:q4", "nope"]))
    with pytest.raises(SelectionError, match="not a dimension"):
        compare(db, shortcut("day", [D1, D2]), ignore=["colour"])


@pytest.mark.parametrize(("text", "message"), [
    ("", "is empty"), ("dy=2025-10-02", "unknown key 'dy'"), ("day=2025-13-01", "not a day"),
    ("day=2025-10-09..2025-10-01", "ends before it starts"), ("model=", "has no value"),
    ("model=a,model=b", "given twice"), ("day~2025", "matched with ="), ("just words", "key=value"),
])
def test_bad_selections_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(SelectionError, match=message) as error:
        parse_selection(text, "A")
    assert "\n" not in str(error.value)


def test_selection_values_keep_equals_signs_spaces_and_ranges() -> None:
    s = parse_selection("day=2025-10-01..2025-10-09, config=ngl=100 fa=1 [GPU 0 ONLY],"
                        "suite=prompt_suite,model~LLAMA", "A")
    assert (s.first_day, s.last_day) == ("2025-10-01", "2025-10-09")
    assert s.exact == {"config": "ngl=100 fa=1 [GPU 0 ONLY]", "test": "prompt_suite"}
    assert s.partial == {"model": "LLAMA"}


def test_a_range_pools_its_nights_and_a_pattern_selects_by_part(db, wh: Path) -> None:
    [c] = compare(db, [parse_selection(f"day={D1}..{D2},model~Q4"),
                       parse_selection(f"day={D1}..{D2},model~q8")])
    # both models were measured on both days: each side pools its two nights
    failed = _row(c, "failed_share")
    n_q4, share_q4 = db.execute(
        "SELECT count(*), 100.0 * count(*) FILTER (WHERE NOT ok) / count(*) FROM llm_runs "
        "WHERE model = 'm:q4'").fetchone()
    assert (failed.a.n, failed.a.days) == (n_q4, (D1, D2))
    assert failed.a.mean == pytest.approx(share_q4)


def test_previous_day_markdown_compares_each_series_with_its_previous_day(db) -> None:
    text = previous_day_markdown(db, D2)
    lines = text.splitlines()
    assert lines[0].startswith("| series | metric | previous day |")
    assert all(REAL_WORSE in line for line in lines[2:4])  # real changes first
    assert any("m:q4" in line and "decode tokens/s" in line for line in lines[2:4])
    assert "m:new" not in text  # no previous day
    assert previous_day_markdown(db, D1).startswith("No series measured on 2025-10-02")
    capped = previous_day_markdown(db, D2, limit=1)
    assert len([x for x in capped.splitlines() if x.startswith("| m:")]) == 1
    assert "more series and metrics" in capped


PCTS = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
METRIC_LABELS = {"decode_tps": "decode tokens/s", "ttft": "TTFT"}


def test_request_percentiles_are_duckdbs_quantile_cont_of_the_ok_requests(db) -> None:
    """Each configured percentile of decode tok/s and TTFT of the project's requests is
    DuckDB's own ``quantile_cont`` over the side's ok requests, shown beside the mean with
    its change and ratio and the verdict that it is not tested."""
    [c] = compare(db, shortcut("day", [D1, D2]))
    for metric, column in (("decode_tps", "decode_tps"), ("ttft", "ttft_s")):
        for stat, q in PCTS.items():
            row = _row(c, metric, "m:q4", stat)
            for day, value, n in ((D1, row.a_value, row.pct[0].n),
                                  (D2, row.b_value, row.pct[1].n)):
                expected, count = db.execute(
                    f"SELECT quantile_cont({column}, {q}), count({column}) FROM llm_runs "
                    "WHERE partition = ? AND model = 'm:q4' AND ok", [day]).fetchone()
                assert value == expected and n == count, (metric, stat, day)
            assert (row.metric, row.label, row.unit) == (
                f"{metric}_{stat}", f"{METRIC_LABELS[metric]} {stat}", _row(c, metric, "m:q4").unit)
            assert row.verdict == PERCENTILE and row.p_value is None
            assert "not tested" in row.evidence and "quantile_cont" in row.evidence
            assert row.change == pytest.approx(100 * (row.b_value / row.a_value - 1))
            assert row.ratio == pytest.approx(row.b_value / row.a_value)
    # the failed share has no percentiles; nothing tested is a percentile
    assert not [r for r in c.rows if r.base == "failed_share" and r.stat != "mean"]
    assert all(r.verdict != PERCENTILE for r in c.rows if r.stat == "mean")


def test_failed_requests_and_twice_stored_ones_stay_out_of_the_percentiles(
        tmp_path: Path) -> None:
    """A failed request's values (a TTFT before the error) never enter a percentile, and a
    request stored in two files counts once, as for the means."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    for day in (D1, D2):
        _runs(con, day, "m", [10.0, 12.0, 14.0], [0.1, 0.2, 0.3])
    con.execute("INSERT INTO llm_runs SELECT * REPLACE (source_file || '.copy' AS source_file) "
                "FROM llm_runs WHERE partition = ?", [D1])  # D1's requests in a second file
    con.execute("""INSERT INTO llm_runs (partition, run_id, source_file, source_row, suite,
                       model, ttft_s, decode_tps, error, ok, measurement_key)
                   VALUES (?, 'f', 'f.csv', 1, 'prompt_suite', 'm', 99.0, 999.0, 'boom',
                           false, 'f#1')""", [D1])
    [c] = compare(con, shortcut("day", [D1, D2]), percentiles=("p99",))
    ttft = _row(c, "ttft", stat="p99")
    assert ttft.pct[0].n == 3 and ttft.a_value == con.execute(
        "SELECT quantile_cont(ttft_s, 0.99) FROM llm_runs WHERE partition = ? AND ok "
        "AND source_file NOT LIKE '%.copy'", [D1]).fetchone()[0] == ttft.b_value
    assert _row(c, "decode_tps", stat="p99").a_value == pytest.approx(13.96)
    con.close()


def _stats(con: duckdb.DuckDBPyConnection, day: str, run: str, metric: str,
           stats: dict[str, float], status: str = "ok", tool: str = "vllm",
           test: str = "serve") -> None:
    """One tool run's statistics of one metric (seconds) into benchmark_results."""
    for stat, value in stats.items():
        con.execute("""INSERT INTO benchmark_results (partition, source_file, run_key, tool,
                           model, engine, test, metric, stat, value, unit, status)
                       VALUES (?, ?, ?, ?, 'M', 'vllm', ?, ?, ?, ?, 's', ?)""",
                    [day, f"{run}.json", run, tool, test, metric, stat, value, status])


@pytest.fixture
def tools_db(tmp_path: Path):
    """vllm on two days: D1 one run writing median (not p50), p25, p90, p99; D2 two runs
    writing p50, p90, p99 and no p25, and a failed run whose values are not the side's."""
    con = duckdb.connect(str(tmp_path / "tools.duckdb"))
    ensure_schema(con)
    _stats(con, D1, "r1", "ttft", {"mean": 0.20, "median": 0.18, "p25": 0.15, "p90": 0.30,
                                   "p99": 0.40, "std": 0.05, "count": 100})
    _stats(con, D2, "r2", "ttft", {"mean": 0.25, "p50": 0.22, "p90": 0.35, "p99": 0.50,
                                   "std": 0.05, "count": 100})
    _stats(con, D2, "r3", "ttft", {"mean": 0.27, "p50": 0.24, "median": 0.5, "p90": 0.39,
                                   "p99": 0.60, "std": 0.05, "count": 100})
    _stats(con, D2, "r4", "ttft", {"mean": 9.0, "p50": 9.0, "p90": 9.0, "p99": 9.0},
           status="failed")
    yield con
    con.close()


def test_tool_percentiles_are_the_values_the_tools_wrote(tools_db) -> None:
    """A tool's percentile is its written value (``median`` as p50 when the run wrote no p50,
    the run's p50 when it wrote both); a side of several runs shows the median of the runs'
    values; a failed run counts for nothing; a stat outside the setting (p25) is not shown."""
    [c] = compare(tools_db, shortcut("day", [D1, D2]))
    assert {r.stat for r in c.rows} == {"mean", "p50", "p90", "p99"}  # no p25, no p95
    p50, p90, p99 = (_row(c, "ttft", stat=s) for s in ("p50", "p90", "p99"))
    assert (p50.a_value, p50.b_value) == (0.18, pytest.approx(0.23))  # median as p50
    assert (p90.a_value, p90.b_value) == (0.30, pytest.approx(0.37))
    assert (p99.a_value, p99.b_value) == (0.40, pytest.approx(0.55))
    assert (p99.pct[0].n, p99.pct[1].n) == (1, 2) and p99.pct[1].basis == "runs"
    assert "median of 2 runs" in p99.evidence and p99.verdict == PERCENTILE
    assert _row(c, "ttft").b_value == pytest.approx(0.26)  # the failed run is no mean either
    [only] = compare(tools_db, shortcut("day", [D1, D2]), percentiles=("p90",))
    assert {r.stat for r in only.rows} == {"mean", "p90"}
    [none] = compare(tools_db, shortcut("day", [D1, D2]), percentiles=())
    assert {r.stat for r in none.rows} == {"mean"} and not none.unmatched


def test_a_percentile_of_one_side_only_is_not_matched_with_its_reason(tools_db) -> None:
    [c] = compare(tools_db, shortcut("day", [D1, D2]), percentiles=("p25", "p50"))
    [u] = c.unmatched
    assert (u.side, u.metric, u.stat, u.label) == ("A", "ttft_p25", "p25", "TTFT p25")
    assert u.reason == "B has no p25 of this TTFT (only p50)"
    assert _row(c, "ttft", stat="p50").verdict == PERCENTILE


def test_percentiles_in_markdown_csv_and_json(tools_db) -> None:
    [c] = compare(tools_db, shortcut("day", [D1, D2]))
    text = render([c], "md")
    assert "matched: 1 (and 3 percentiles, not tested)" in text
    assert "| series | stat | A | B | change | ratio | verdict | evidence |" in text
    assert "| M serve [vllm/vllm] | p99 | 0.400 | 0.550 | +37.5 % | 1.375 | not tested: " \
           "percentile |" in text
    rows = list(csv.DictReader(io.StringIO(render([c], "csv"))))
    p99 = next(r for r in rows if r["stat"] == "p99")
    assert (p99["metric"], p99["label"], p99["verdict"], p99["p_value"]) == (
        "ttft_p99", "TTFT p99", PERCENTILE, "")
    assert float(p99["a"]) == 0.40 and (p99["a_n"], p99["b_n"]) == ("1", "2")
    data = json.loads(render([c], "json"))["comparisons"][0]["rows"]
    assert [(r["metric"], r["stat"]) for r in data] == [
        ("ttft", "mean"), ("ttft_p50", "p50"), ("ttft_p90", "p90"), ("ttft_p99", "p99")]
    assert data[3]["b"] == pytest.approx(0.55) and data[3]["p_value"] is None


def _cli(args: list[str], wh: Path, capsys, **settings: object) -> tuple[int, str, str]:
    parsed = build_parser().parse_args(["compare", *args])
    registry = load_settings({})
    regression = {f: settings.get(f, getattr(registry, f)) for f in (
        "regression_history", "regression_min_history", "regression_fdr",
        "regression_min_change", "regression_confirm_z", "percentiles")}
    code = parsed.func(parsed, SimpleNamespace(warehouse_path=wh, **regression))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_formats_and_out_dir(wh: Path, tmp_path: Path, capsys) -> None:
    code, out, _ = _cli(["--days", D1, D2, "--format", "json", "--out", str(tmp_path / "o")],
                        wh, capsys)
    assert code == 0
    data = json.loads(out)["comparisons"][0]
    assert data["compared"] == ["day"] and data["rows"] and data["unmatched"]
    assert (tmp_path / "o" / "comparison.json").is_file()
    assert (tmp_path / "o" / "comparison.png").read_bytes()[:4] == b"\x89PNG"
    code, out, _ = _cli(["--days", D1, D2, "--format", "csv", "--where", "model=m:q4"], wh,
                        capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and rows and {r["status"] for r in rows} == {"matched"}
    assert {r["model"] for r in rows} == {"m:q4"} and rows[0]["a_selection"] == f"day={D1},model=m:q4"
    code, out, _ = _cli(["--a", f"day={D1}", "--b", f"day={D2}"], wh, capsys)
    assert code == 0 and "### decode tokens/s (tok/s)" in out


def test_cli_shows_the_registrys_percentiles(wh: Path, capsys) -> None:
    """CHIMERA_PERCENTILES says which percentiles are shown: those only."""
    code, out, _ = _cli(["--days", D1, D2, "--format", "json"], wh, capsys)
    stats = {r["stat"] for r in json.loads(out)["comparisons"][0]["rows"]}
    assert code == 0 and stats == {"mean", "p50", "p90", "p95", "p99"}
    code, out, _ = _cli(["--days", D1, D2, "--format", "json"], wh, capsys,
                        percentiles=("p95",))
    rows = json.loads(out)["comparisons"][0]["rows"]
    assert code == 0 and {r["stat"] for r in rows} == {"mean", "p95"}
    assert {r["verdict"] for r in rows if r["stat"] == "p95"} == {PERCENTILE}


@pytest.mark.parametrize(("args", "message"), [
    (["--days", D1, "2025-01-01"], "matches no measurement"),
    (["--days", D1], "at least two"),
    (["--a", f"day={D1}"], "go together"),
    (["--days", D1, D2, "--models", "a", "b"], "one way"),
    (["--a", "colour=red", "--b", f"day={D1}"], "unknown key"),
])
def test_cli_bad_selections_exit_2_with_one_line(args, message, wh: Path, capsys) -> None:
    code, out, err = _cli(args, wh, capsys)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_cli_judges_by_the_registrys_regression_settings(wh: Path, capsys) -> None:
    """CHIMERA_REGRESSION_MIN_CHANGE (and _FDR) are the method's, for the alerts and for
    compare alike: a -30 % drop is real at the default 2 %, not when 50 % is required."""
    code, out, _ = _cli(["--models", "m:q4", "m:q8", "--where", f"day={D1}", "--format",
                         "json"], wh, capsys)
    [row] = [r for r in json.loads(out)["comparisons"][0]["rows"] if r["metric"] == "decode_tps"]
    assert code == 0 and row["verdict"] == REAL_WORSE
    code, out, _ = _cli(["--models", "m:q4", "m:q8", "--where", f"day={D1}", "--format",
                         "json"], wh, capsys, regression_min_change=50.0)
    [row] = [r for r in json.loads(out)["comparisons"][0]["rows"] if r["metric"] == "decode_tps"]
    assert code == 0 and row["verdict"] == NOISE and "≥ 50 %" in row["evidence"]


@pytest.mark.parametrize("where", ["file", "under-a-file"])
def test_cli_out_that_cannot_be_written_exits_2_in_one_line(where: str, wh: Path,
                                                            tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out_dir = blocker if where == "file" else blocker / "sub"
    code, out, err = _cli(["--days", D1, D2, "--out", str(out_dir)], wh, capsys)
    assert code == 2 and out == "" and err.startswith("chimera: --out ")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_missing_warehouse_exits_3(tmp_path: Path, capsys) -> None:
    code, _, err = _cli(["--days", D1, D2], tmp_path / "none.duckdb", capsys)
    assert code == 3 and "no warehouse" in err


def test_the_cli_leaves_the_warehouse_as_it_was(wh: Path, tmp_path: Path, capsys) -> None:
    before = hashlib.sha256(wh.read_bytes()).hexdigest()
    code, _, _ = _cli(["--days", D1, D2, "--out", str(tmp_path / "o")], wh, capsys)
    assert code == 0 and hashlib.sha256(wh.read_bytes()).hexdigest() == before
    assert not list(wh.parent.glob("*.wal"))


def test_a_range_holding_the_other_sides_day_is_not_tested(db) -> None:
    """A = D1..D2 holds B's D2: its sample contains B's own requests, so no verdict is given
    (a sample against a part of itself), and the rows say which nights they share."""
    [c] = compare(db, shortcut("day", [f"{D1}..{D2}", D2]))
    decode = _row(c, "decode_tps", "m:q4")
    assert decode.verdict == OVERLAP and decode.p_value is None
    assert D2 in decode.evidence
    [apart] = compare(db, shortcut("day", [D1, D2]))
    assert _row(apart, "decode_tps", "m:q4").verdict != OVERLAP
