"""Facts made as an Arrow table (the request statistics) beside facts made as objects: the
ids, the findings' lookups and the staged rows are those of every fact made an object."""

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chimera_pipeline.lib.facts import compute_days, fact_rows
from chimera_pipeline.lib.facts.model import TABLE_ORDER, Fact, assign_ids, number
from chimera_pipeline.lib.findings import derive, finding_rows
from chimera_pipeline.lib.findings.build import stage_facts
from chimera_pipeline.lib.findings.rules import FactIndex
from chimera_pipeline.lib.store.schema import arrow_schema
from chimera_pipeline.lib.store.warehouse import replace_partitions, to_arrow
from chimera_pipeline_tests.support import stepped_requests

DAY = "2025-10-02"
# the keys of the facts these tests put in a table: the statistics' (as the stage does), and
# the changes' (which the change rules look up by unit and by key)
TABLED = ("llm.", "change.")
# keys that sort differently by UTF-16 units, by case, by prefix, or by a space
TRICKY = ("a", "a.b", "a b", "a.b.c", "Z", "z", "é", "ä.x", "\U0001f600", "\uff5e", "a\u0301",
          "m:1 all", "m:1.all")


def _facts(rng: random.Random, count: int) -> list[Fact]:
    """Object facts under several prefixes and table facts under ``llm.``, with ties in
    priority and key on both sides (two files of one benchmark; a model named
    ``unknown model`` beside the requests without one)."""
    made = []
    for i in range(count):
        table = rng.random() < 0.6
        key = rng.choice(TABLED if table else ("compile.", "tool.", "ratio.")) + rng.choice(
            TRICKY)
        value = rng.choice((None, 1.0, 2.5, -3.0, 1e-300, 12.0))
        text = None if table and value is not None else rng.choice((None, "", "t", "é"))
        made.append(Fact(key, f"label {i}", value, rng.choice((None, "ms", "%")),
                         "performance" if table else "compile", rng.choice((20, 21, 25, 50)),
                         f"SELECT {i if table else rng.randrange(3)}", f"s{rng.randrange(3)}",
                         rng.choice(("requests", "mean_ms", "decode_tps.mean")), text=text,
                         context=rng.choice((None, "c"))))
    return made


def _as_table(facts: list[Fact]) -> pa.Table:
    rows = [{k: v for k, v in row.items() if k != "fact_id"} for row in fact_rows(DAY, facts)]
    schema = pa.schema([f for f in arrow_schema("facts") if f.name != "fact_id"])
    table = pa.Table.from_pylist(rows, schema=schema)
    return table.take(pc.sort_indices(table, sort_keys=TABLE_ORDER))


def _identity(fact: Fact) -> tuple:
    return (fact.key, fact.label, fact.provenance, fact.text, repr(fact.value))


def test_objects_and_a_table_are_numbered_as_all_objects_would_be() -> None:
    rng = random.Random(11)
    for _ in range(60):
        facts = _facts(rng, rng.randrange(0, 40))
        expected = {_identity(f): f.fact_id for f in assign_ids([Fact(**{
            name: getattr(f, name) for name in Fact.__slots__}) for f in facts])}
        objects = [f for f in facts if not f.key.startswith(TABLED)]
        rng.shuffle(objects)
        ordered, table = number(objects, _as_table([f for f in facts
                                                    if f.key.startswith(TABLED)]))
        got = {_identity(f): f.fact_id for f in ordered}
        got.update({(row["fact_key"], row["label"], row["provenance"], row["text_value"],
                     repr(row["value"])): row["fact_id"] for row in table.to_pylist()})
        assert got == expected
        ids = [int(row["fact_id"][1:]) for row in table.to_pylist()]
        assert ids == sorted(ids)  # the table stays in the day's order


def _requests(con) -> None:
    """A day of requests: failures with errors, a model named ``unknown model`` beside the
    rows without one (two groups of one key), configs and two suites."""
    rows, n = [], 0
    for model in ("m:1", "m:2", None, "unknown model"):
        for suite, config in (("param_tuning", "g1"), ("param_tuning", "g2"),
                              ("prompt_suite", None)):
            for i in range(4):
                n += 1
                ok = i != 3 or model == "m:2"
                rows.append({"partition": DAY, "run_id": f"f#{n}", "source_file": "f",
                             "source_row": n, "suite": suite, "model": model,
                             "config_name": config, "decode_tps": 90.0 + n if ok else None,
                             "ttft_s": 0.1 + n / 1000 if ok else None, "ok": ok,
                             "error": None if ok else f"timed out after {n % 2} s",
                             "measurement_key": f"k{n}"})
    replace_partitions(con, [DAY], {"llm_runs": to_arrow("llm_runs", rows)})


def _lookups(index: FactIndex, rows: list[dict]) -> list:
    """Every lookup a rule can make, and its answer as (id, key) pairs."""
    def ids(found):
        return [(f["fact_id"], f["fact_key"]) for f in found]

    asked = [ids(index.facts)]
    for name in ("metric", "category", "unit", "subject", "context"):
        for value in sorted({row.get(name) for row in rows}, key=repr) + ["absent", None]:
            asked.append(ids(index.where(**{name: value})))
            asked.append(ids(index.where(**{name: value, "category": "performance"})))
    for key in sorted({row["fact_key"] for row in rows}) + ["llm.absent", "llm", ""]:
        found = index.key(key)
        asked.append(found and (found["fact_id"], found["fact_key"]))
    asked.append(ids(index.where(category="change", unit="%")))
    for value in (None, "x"):  # a field no fact has reads as None, as dict.get reads it
        asked.append(ids(index.where(no_such_field=value, category="performance")))
    for family in ("llm", "change", "inventory", "quality", "tool", "ll", "absent",
                   "llm.m:1", "llm.unknown model"):  # a family is a key's first part
        asked.append(ids(index.family(family)))
    for metric, category in (("decode_tps.mean", "performance"), ("mean_ms", "compile")):
        asked.append({k: ids(v) for k, v in index.grouped(metric, category).items()})
    by_id = index.by_id()
    asked.append(sorted(by_id) == sorted(row["fact_id"] for row in rows) == sorted(
        by_id.keys()) and len(by_id) == len(rows))
    asked.append([by_id[row["fact_id"]]["fact_key"] for row in rows])
    return asked


def test_the_findings_read_a_table_of_facts_as_they_read_every_fact_as_a_dict(con) -> None:
    """A day of failures and duplicate keys, and nights with regressions and improvements
    (the change rules look up each change's two means by key)."""
    _requests(con)
    stepped, stepped_days = stepped_requests()
    computed = [(False, day, facts) for day, facts in compute_days(stepped, stepped_days).items()]
    changed = 0
    for requests, day, facts in [(True, DAY, compute_days(con, [DAY])[DAY]), *computed]:
        rows = fact_rows(day, facts)
        if requests:
            assert {r["fact_key"] for r in rows} >= {
                "llm.unknown model.param_tuning.requests", "llm.m:1.param_tuning.top_error"}
            assert sum(r["fact_key"] == "llm.unknown model.param_tuning.requests"
                       for r in rows) == 2  # the named model and the rows without one
        as_dicts = [r for r in rows if not r["fact_key"].startswith(TABLED)]
        table = pa.Table.from_pylist([r for r in rows if r["fact_key"].startswith(TABLED)],
                                     schema=arrow_schema("facts"))
        whole, split = FactIndex(rows), FactIndex(as_dicts, table)
        assert _lookups(split, rows) == _lookups(whole, rows)
        assert derive(day, split) == derive(day, rows)
        assert finding_rows(day, derive(day, split), split.by_id()) == finding_rows(
            day, derive(day, rows), {r["fact_id"]: r for r in rows})
        changed += any(f.kind == "change" for f in derive(day, split).findings)
    assert changed >= 2


def _sorted(table: pa.Table) -> pa.Table:
    number_ = pc.cast(pc.utf8_slice_codeunits(table["fact_id"], 1), pa.int64())
    return table.append_column("n", number_).sort_by(
        [("partition", "ascending"), ("n", "ascending")]).drop_columns(["n"])


def test_the_staged_facts_and_findings_are_those_of_every_fact_made_an_object(
        con, tmp_path: Path) -> None:
    """The stage (a table of statistics per block, numbered with the objects, read by the
    rules as a table) against ``compute_days`` (every fact an object) and the findings of
    dicts: a day of failures and duplicate keys, and nights with regressions."""
    _requests(con)
    stepped, stepped_days = stepped_requests()
    for reader, days in ((con, [DAY]), (stepped, stepped_days)):
        folder = tmp_path / str(len(days))
        folder.mkdir()
        staged = stage_facts(reader, days, folder, block_days=7, judge_ahead=False)
        facts = pa.concat_tables([pq.read_table(f) for f in staged.files["facts"]])
        findings = pa.concat_tables([pq.read_table(f) for f in staged.files["findings"]])
        computed = compute_days(reader, days)
        expected = [row for day, found in computed.items() for row in fact_rows(day, found)]
        assert _sorted(facts).equals(_sorted(to_arrow("facts", expected)))
        assert findings.to_pylist() == [
            row for day, found in computed.items() for row in finding_rows(
                day, derive(day, fact_rows(day, found)),
                {r["fact_id"]: r for r in fact_rows(day, found)})]
        assert staged.facts == len(expected) and sum(staged.by_category.values()) == len(
            expected)
