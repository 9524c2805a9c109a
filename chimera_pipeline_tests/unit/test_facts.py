"""Facts: statistics against an independent computation, the change rule, real-corpus facts."""

import statistics

import pytest

from chimera_pipeline.lib.facts import compute_days, compute_facts
from chimera_pipeline.lib.facts.regression import within_night
from chimera_pipeline.lib.store.warehouse import replace_partitions, to_arrow


def _run(partition, row, tps, ok=True, config="g1", model="m:1"):
    return {"partition": partition, "run_id": f"f#{row}", "source_file": "f", "source_row": row,
            "suite": "param_tuning", "model": model, "config_name": config,
            "decode_tps": tps if ok else None, "ttft_s": 0.1 if ok else None, "ok": ok,
            "error": None if ok else "timed out", "measurement_key": f"{partition}{row}"}


def test_model_statistics_match_an_independent_computation(con) -> None:
    values = [100.0, 102.0, 98.0, 110.0, 90.0]
    rows = [_run("2025-10-02", i, v) for i, v in enumerate(values)] + [_run("2025-10-02", 9, 0, ok=False)]
    replace_partitions(con, ["2025-10-02"], {"llm_runs": to_arrow("llm_runs", rows)})
    facts = {f.key: f for f in compute_facts(con, "2025-10-02")}
    prefix = "llm.m:1.param_tuning"
    assert facts[f"{prefix}.requests"].value == 6
    assert facts[f"{prefix}.error_rate"].value == pytest.approx(100 / 6)
    assert facts[f"{prefix}.decode_tps.mean"].value == pytest.approx(statistics.mean(values))
    assert facts[f"{prefix}.decode_tps.std"].value == pytest.approx(statistics.stdev(values))
    assert facts[f"{prefix}.decode_tps.p50"].value == pytest.approx(statistics.median(values))
    assert facts[f"{prefix}.decode_tps.p90"].value == pytest.approx(
        statistics.quantiles(values, n=10, method="inclusive")[8])
    assert facts[f"{prefix}.decode_tps.min"].value == 90.0
    assert facts["sweep.m:1.best_config"].text == "g1"
    ids = [f.fact_id for f in compute_facts(con, "2025-10-02")]
    assert ids == [f"F{i}" for i in range(1, len(ids) + 1)]


def test_duplicated_measurements_count_once(con) -> None:
    rows = [_run("2025-10-02", 1, 100.0), {**_run("2025-10-02", 2, 100.0), "source_file": "g",
                                           "measurement_key": "2025-10-021"}]
    replace_partitions(con, ["2025-10-02"], {"llm_runs": to_arrow("llm_runs", rows)})
    facts = {f.key: f for f in compute_facts(con, "2025-10-02")}
    assert facts["llm.m:1.param_tuning.requests"].value == 1


def test_a_within_night_comparison_is_a_welch_test() -> None:
    """A sweep's best config against its baseline, the same night: Welch's test at 1 % and
    at least 2 %; no spread (one measurement) says nothing."""
    assert within_night(100.0, 1.0, 5, 103.0, 1.0, 5)[1] == "changed"  # 3 %, t=4.7, df=8
    assert within_night(100.0, 10.0, 5, 103.0, 10.0, 5)[1] == "within noise"
    assert within_night(100.0, 0.1, 5, 101.0, 0.1, 5)[1] == "within noise"  # < 2 %
    assert within_night(100.0, None, 1, 130.0, None, 1) == (pytest.approx(30.0),
                                                            "within noise")
    assert within_night(0.0, 1.0, 5, 3.0, 1.0, 5) == (None, "within noise")


def test_regressions_against_earlier_partitions(con) -> None:
    earlier = [_run("2025-10-01", i, v) for i, v in enumerate([100.0, 101.0, 99.0])]
    later = [_run("2025-10-05", i, v) for i, v in enumerate([90.0, 91.0, 89.0])]
    replace_partitions(con, ["2025-10-01", "2025-10-05"],
                       {"llm_runs": to_arrow("llm_runs", earlier + later)})
    change = {f.key: f for f in compute_facts(con, "2025-10-05")}[
        "change.m:1.param_tuning.g1.decode_tps.pct"]
    assert change.text == "regression" and change.value == pytest.approx(-10.0)
    assert "2025-10-01" in change.label




def test_a_block_of_days_compares_each_day_with_its_previous_one(con) -> None:
    """One query for the block: each day is paired with the latest earlier day of the same
    group, also when that day is outside the block, and a day without it has no change."""
    days = {"2025-10-01": [100.0, 101.0, 99.0], "2025-10-03": [90.0, 91.0, 89.0],
            "2025-10-04": [90.5, 90.0, 89.5], "2025-10-06": [99.0, 100.0, 101.0]}
    rows = [_run(day, i, v) for day, values in days.items() for i, v in enumerate(values)]
    rows += [_run("2025-10-05", 1, 50.0, model="other:1")]
    replace_partitions(con, [*days, "2025-10-05"], {"llm_runs": to_arrow("llm_runs", rows)})
    block = compute_days(con, ["2025-10-03", "2025-10-04", "2025-10-05", "2025-10-06"])
    key = "change.m:1.param_tuning.g1.decode_tps.pct"
    changes = {day: {f.key: f for f in facts}.get(key) for day, facts in block.items()}
    assert changes["2025-10-03"].text == "regression" and "2025-10-01" in changes["2025-10-03"].label
    assert changes["2025-10-04"].text == "within noise" and "2025-10-03" in changes["2025-10-04"].label
    assert changes["2025-10-05"] is None  # m:1 was not measured that day
    assert changes["2025-10-06"].text == "improvement" and "2025-10-04" in changes["2025-10-06"].label
    for day, facts in block.items():  # the same as each day alone
        assert [(f.fact_id, f.key, f.value, f.label) for f in facts] == [
            (f.fact_id, f.key, f.value, f.label) for f in compute_facts(con, day)]
    assert {f.key: f.value for f in block["2025-10-05"]}["inventory.files"] == 0


def test_a_change_compares_the_means_each_day_reports(con) -> None:
    """The same measurement on two days (a results file copied into the next day's folder)
    counts on each day: the change's current mean is the day's own mean."""
    first = [{**_run("2025-10-01", i, v), "measurement_key": f"k{i}"}
             for i, v in enumerate([100.0, 101.0, 99.0])]
    second = [{**_run("2025-10-02", i, v), "measurement_key": f"k{i}", "source_file": "a"}
              for i, v in enumerate([100.0, 101.0, 99.0])]
    second += [{**_run("2025-10-02", 3, 80.0), "measurement_key": "k3"}]
    replace_partitions(con, ["2025-10-01", "2025-10-02"],
                       {"llm_runs": to_arrow("llm_runs", first + second)})
    facts = {f.key: f for f in compute_facts(con, "2025-10-02")}
    day_mean = facts["llm.m:1.param_tuning.decode_tps.mean"].value
    assert day_mean == pytest.approx(95.0)
    assert facts["change.m:1.param_tuning.all.decode_tps.current"].value == pytest.approx(day_mean)


def test_model_percentiles_are_the_configured_set(con, monkeypatch) -> None:
    """A model's request statistics are the percentiles CHIMERA_PERCENTILES names (the set
    the tools' statistics have), each DuckDB's quantile_cont; one not named is not a fact."""
    import duckdb

    monkeypatch.setenv("CHIMERA_PERCENTILES", "p50,p99.9")
    values = [100.0, 102.0, 98.0, 110.0, 90.0, 97.5]
    rows = [_run("2025-10-02", i, v) for i, v in enumerate(values)]
    replace_partitions(con, ["2025-10-02"], {"llm_runs": to_arrow("llm_runs", rows)})
    facts = {f.key: f for f in compute_facts(con, "2025-10-02")}
    prefix = "llm.m:1.param_tuning.decode_tps"
    with duckdb.connect() as own:  # not the module's default connection other tests share
        expected = own.execute("SELECT quantile_cont(v, 0.999) FROM unnest(?) AS t(v)",
                               [values]).fetchall()[0][0]
    assert facts[f"{prefix}.p99.9"].value == pytest.approx(expected, rel=1e-12)
    assert facts[f"{prefix}.p50"].value == pytest.approx(statistics.median(values))
    assert not {f"{prefix}.p95", f"{prefix}.p90", f"{prefix}.p99"} & set(facts)


def test_facts_of_one_key_are_numbered_the_same_in_any_order() -> None:
    """One benchmark in two files of a day gives two facts of one key and value: their ids
    and the ratio's cited files follow their provenance, not the order a query returned them
    in (a block of 5 days and one of 31 numbered them differently)."""
    import random

    from chimera_pipeline.lib.facts.comparisons import ratio_facts
    from chimera_pipeline.lib.facts.model import Fact, assign_ids

    def facts() -> list[Fact]:
        return [Fact(f"compile.b.{backend}.mean_ms", f"b {backend}: mean latency", value, "ms",
                     "compile", 50, f"SELECT mean_ms FROM t WHERE source_file = '{source}'",
                     f"b {backend}", "mean_ms", context="b")
                for backend, value, source in (("jit", 0.35, "run_1/b.json"),
                                               ("jit", 0.35, "run_0/b.json"),
                                               ("onnx", 4.1, "run_0/b.json"),
                                               ("onnx", 4.1, "run_2/b.json"))]

    def numbered(order: list[Fact]) -> list[tuple]:
        return [(f.fact_id, f.key, f.provenance) for f in assign_ids(order + ratio_facts(order))]

    expected = numbered(facts())
    rng = random.Random(1)
    for _ in range(20):
        shuffled = facts()
        rng.shuffle(shuffled)
        assert numbered(shuffled) == expected


def test_each_day_of_a_block_is_paired_as_a_brute_force_pairing_over_the_whole_history(
        con) -> None:
    """The pairing reads the block's days and each series' latest day before them, not the
    whole history again: against a pairing worked out in Python over every day, for series
    with long gaps, a latest day whose requests all failed or lack the metric (it pairs
    with the day before), no model, no config, and another series' days in between."""
    import random

    from chimera_pipeline.lib.facts.changes import change_rows

    rng = random.Random(7)
    days = [f"2025-{m:02d}-{d:02d}" for m in (9, 10) for d in range(1, 31)]
    series = [("m:1", "g1"), ("m:1", "g2"), ("m:1", None), (None, "g1"), ("m:2", "g1")]
    rows, n = [], 0
    for day in days:
        for model, config in series:
            if rng.random() < 0.6:
                continue  # gaps of every length
            for _ in range(3):
                n += 1
                ok = rng.random() > 0.2
                row = _run(day, n, round(rng.uniform(80, 120), 3), ok=ok, config=config,
                           model=model)
                if ok and rng.random() < 0.3:
                    row["ttft_s"] = None
                row["ttft_s"] = row["ttft_s"] and round(rng.uniform(0.05, 0.2), 4)
                rows.append(row)
    replace_partitions(con, days, {"llm_runs": to_arrow("llm_runs", rows)})
    # a run's days need not be consecutive: the days between the block's are not in it
    block = sorted(random.Random(3).sample(days[30:], 12))

    def groups(row):
        model = row["model"] or "unknown model"
        yield model, row["suite"], "all"
        yield model, row["suite"], row["config_name"] or "default"

    for column in ("decode_tps", "ttft_s"):
        values: dict = {}
        for row in rows:
            if row["ok"] and row[column] is not None:
                for group in groups(row):
                    values.setdefault(group, {}).setdefault(row["partition"], []).append(
                        row[column])
        expected = set()
        for group, by_day in values.items():
            seen = sorted(by_day)
            for before, day in zip(seen, seen[1:], strict=False):
                if day in block:
                    expected.add((day, *group, before, round(statistics.mean(by_day[before]), 9),
                                  round(statistics.mean(by_day[day]), 9)))
        found = {(day, model, suite, config, prev, round(prev_mean, 9), round(mean, 9))
                 for col, _, _, _, day, model, suite, config, prev, prev_mean, _, _, mean, _, _
                 in change_rows(con, block) if col == column}
        assert len(found) == len(expected) > 20
        assert found == expected


def test_a_series_pairs_with_its_own_latest_measured_day_however_far_back(con) -> None:
    """The day a series pairs with before a block is its own latest day with a successful
    request measuring the metric: not a later day whose requests all failed, nor one whose
    requests lack the metric (TTFT), nor the suite's latest day for one of its configs."""
    def runs(day, config, n, tps=100.0, ttft=0.1, ok=True):
        # a failed request may still carry a throughput (an error after some tokens)
        return [{**_run(day, i, tps, ok=ok, config=config), "decode_tps": tps, "ttft_s": ttft,
                 "measurement_key": f"{day}{config}{i}"} for i in range(n)]

    rows = (runs("2025-09-01", "g1", 3, 100.0, 0.10) + runs("2025-09-02", "g2", 3, 50.0)
            + runs("2025-09-05", "g1", 3, 110.0, None)  # no TTFT measured that day
            + runs("2025-09-07", "g1", 3, ok=False)  # every request failed
            + runs("2025-10-10", "g1", 3, 120.0, 0.12) + runs("2025-10-10", "g2", 3, 55.0))
    replace_partitions(con, ["2025-09-01", "2025-09-02", "2025-09-05", "2025-09-07",
                             "2025-10-10"], {"llm_runs": to_arrow("llm_runs", rows)})
    from chimera_pipeline.lib.facts.changes import change_rows

    paired = {(column, config): (prev, prev_mean) for column, _, _, _, day, _, _, config, prev,
              prev_mean, *_ in change_rows(con, ["2025-10-10", "2025-10-11"])}
    assert paired[("decode_tps", "g1")] == ("2025-09-05", 110.0)
    assert paired[("ttft_s", "g1")] == ("2025-09-01", pytest.approx(0.10))
    assert paired[("decode_tps", "g2")] == ("2025-09-02", 50.0)
    assert paired[("decode_tps", "all")] == ("2025-09-05", 110.0)


def test_a_block_with_gaps_pairs_each_day_with_the_latest_day_before_it_run_or_not(
        con) -> None:
    """A run's days need not be consecutive (unchanged days are left out of it): a day pairs
    with its series' latest earlier day even when that day is not in the block, and a
    request written twice on a day under two suites counts once, for the first file read,
    so the other suite has no request that day and pairs further back."""
    from chimera_pipeline.lib.facts.changes import change_rows

    rows = [_run("2025-01-05", 1, 100.0), _run("2025-01-10", 2, 200.0),
            _run("2025-01-20", 3, 300.0)]
    replace_partitions(con, ["2025-01-05", "2025-01-10", "2025-01-20"],
                       {"llm_runs": to_arrow("llm_runs", rows)})
    paired = {(column, day, config): (prev, prev_mean) for column, _, _, _, day, _, _, config,
              prev, prev_mean, *_ in change_rows(con, ["2025-01-05", "2025-01-20"])}
    assert paired[("decode_tps", "2025-01-20", "g1")] == ("2025-01-10", 200.0)
    assert ("decode_tps", "2025-01-05", "g1") not in paired  # nothing before it

    both = [{**_run("2025-02-03", 5, 110.0), "suite": suite, "source_file": source,
             "measurement_key": "same request"} for suite, source in (("s1", "a"), ("s2", "b"))]
    rows = [{**_run("2025-02-01", 4, 100.0), "suite": "s2"}, *both,
            {**_run("2025-02-10", 6, 120.0), "suite": "s2"}]
    replace_partitions(con, ["2025-02-01", "2025-02-03", "2025-02-10"],
                       {"llm_runs": to_arrow("llm_runs", rows)})
    paired = {(suite, config): prev for column, _, _, _, day, _, suite, config, prev, *_
              in change_rows(con, ["2025-02-10"]) if column == "decode_tps"}
    assert paired == {("s2", "all"): "2025-02-01", ("s2", "g1"): "2025-02-01"}


def test_requests_without_a_model_and_a_model_named_so_are_one_series_of_changes(con) -> None:
    """The changes pair a series by model name (their provenance reads ``coalesce(model,
    'unknown model')``): rows without a model and a model named ``unknown model`` on one
    day are one series, paired with the day before, never with each other on the same day
    (which of the two came first was the query's accident)."""
    rows = [_run("2025-10-01", i, 100.0 + i, model=None) for i in range(3)] + [
        _run("2025-10-02", 10 + i, 90.0 + i, model=model)
        for i, model in enumerate((None, "unknown model", None, "unknown model"))]
    replace_partitions(con, ["2025-10-01", "2025-10-02"], {"llm_runs": to_arrow("llm_runs", rows)})
    for _ in range(5):
        changes = [f for f in compute_facts(con, "2025-10-02") if f.key.startswith(
            "change.unknown model.param_tuning.all.decode_tps")]
        pct = {f.key.rsplit(".", 1)[1]: f for f in changes}
        assert len(changes) == 3 and pct["previous"].text == "2025-10-01"
        assert pct["previous"].value == pytest.approx(101.0)
        assert pct["current"].value == pytest.approx(91.5)


def test_configs_named_as_the_changes_name_them_are_one_series(con) -> None:
    """Requests without a config and a config named ``default`` are one series (the changes
    name the first ``default``), and a config named ``all`` is the whole suite's name: each
    pairs with the day before, never with another series of its name on the same day."""
    rows = [_run("2025-10-01", i, 100.0 + i, config=None) for i in range(3)] + [
        _run("2025-10-02", 10 + i, 90.0 + i, config=config)
        for i, config in enumerate((None, "default", "all", None, "default", "all"))]
    replace_partitions(con, ["2025-10-01", "2025-10-02"], {"llm_runs": to_arrow("llm_runs", rows)})
    for _ in range(5):
        changes = [f for f in compute_facts(con, "2025-10-02") if f.category == "change"
                   and f.metric == "decode_tps.previous"]
        assert {f.key: f.text for f in changes} == {
            "change.m:1.param_tuning.all.decode_tps.previous": "2025-10-01",
            "change.m:1.param_tuning.default.decode_tps.previous": "2025-10-01"}


def test_the_most_common_error_of_requests_without_a_suite(con) -> None:
    rows = [{**_run("2025-10-02", i, 100.0, ok=i > 1), "suite": None} for i in range(5)]
    replace_partitions(con, ["2025-10-02"], {"llm_runs": to_arrow("llm_runs", rows)})
    errors = [f for f in compute_facts(con, "2025-10-02") if f.metric == "top_error"]
    assert [f.text for f in errors] == ["timed out"]


def test_a_ranking_with_a_value_that_is_not_a_number_is_the_same_in_any_order() -> None:
    """NaN sorts nowhere: kept, the ends of a ranking depended on the facts' order."""
    import random

    from chimera_pipeline.lib.facts.comparisons import ratio_facts
    from chimera_pipeline.lib.facts.model import Fact

    def facts() -> list[Fact]:
        return [Fact(f"llm.{model}.s.decode_tps.mean", f"{model}", value, "tok/s",
                     "performance", 20, f"SELECT {i}", model, "decode_tps.mean", context="s")
                for i, (model, value) in enumerate((("a", float("nan")), ("a-b", 40.0),
                                                    ("c", 20.0)))]

    expected = [(f.key, f.subject, f.value) for f in ratio_facts(facts())]
    assert expected == [("ratio.s.decode_tps", "a-b vs c", 2.0)]
    rng = random.Random(2)
    for _ in range(10):
        shuffled = facts()
        rng.shuffle(shuffled)
        assert [(f.key, f.subject, f.value) for f in ratio_facts(shuffled)] == expected
