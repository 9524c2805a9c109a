"""A fact's provenance is a query that returns the fact, whatever the names in the data.

A warehouse is built whose models, suites, configs, paths, tools, benchmarks and errors hold
single and double quotes, semicolons, ``--``, backslashes and unicode; every fact the
pipeline computes from it must come back, exactly, from its provenance run read-only (as
``chimera query`` runs it). The same data with the literals left unescaped must fail.
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from chimera_pipeline.lib.common import sql
from chimera_pipeline.lib.facts import compute_days, fact_rows
from chimera_pipeline.lib.facts.alerts import alert_rows, day_alerts
from chimera_pipeline.lib.facts.model import shorten
from chimera_pipeline.lib.facts.provenance import shortened
from chimera_pipeline.lib.store.warehouse import connect_read_only, replace_partitions, to_arrow
from chimera_pipeline_tests.provenance_checks import provenance_errors
from chimera_pipeline_tests.support import chimera

D1, D2 = "2025-10-01", "2025-10-02"
QUOTE, DOUBLE, DROP = "it's", 'say "hi"', "a; DROP TABLE facts; --"
SLASH, UNICODE, INJECT = "back\\slash\\", "ünï 模型 🚀", "x' OR '1'='1"
COMBINED = "e\u0301\u200d--'\\"
LONG_ERROR = ("  HTTP 500: it's \"broken\";\u2003-- " + "très long message " * 10
              + "\\ end.  ")

# what the warehouse must give a fact of: every producer and every kind of fact
FAMILIES = {
    ("performance", "requests"), ("performance", "error_rate"), ("performance", "failed"),
    ("performance", "top_error"), ("performance", "decode_tps.mean"),
    ("performance", "decode_tps.p99"), ("performance", "ttft_s.std"), ("performance", "status"),
    ("performance", "decode_tps.median"), ("sweep", "best_config"), ("sweep", "configs"),
    ("sweep", "baseline_config"), ("sweep", "decode_tps"), ("sweep", "gain_pct"),
    ("compile", "compile_time_s"), ("compile", "mean_ms"), ("compile", "status"),
    ("timing", "mean_ms"), ("timing", "cv_percent"), ("timing", "files"),
    ("document", "values"), ("inventory", "files"), ("inventory", "bytes"),
    ("inventory", "files_type"), ("inventory", "files_folder"), ("inventory", "dated_by"),
    ("inventory", "values"), ("inventory", "typed_rows"), ("inventory", "date"),
    ("quality", "duplicates"), ("quality", "parse_failures"), ("quality", "mtime_dated"),
    ("quality", "duplicate_example"), ("quality", "parse_failure_example"),
    ("quality", "failed"), ("quality", "telemetry"), ("change", "decode_tps"),
    ("change", "decode_tps.previous"), ("change", "ttft_s.current"),
    ("comparison", "decode_tps.ratio"), ("comparison", "mean_ms.ratio"),
}


def _request(day: str, i: int, model: str | None, suite: str | None, tps: float | None,
             config: str | None = None, error: str | None = None, source: str = SLASH) -> dict:
    return {"partition": day, "run_id": f"{source}#{i}", "source_file": f"{source}/r.csv",
            "source_row": i, "suite": suite, "model": model, "config_name": config,
            "decode_tps": tps, "ttft_s": None if tps is None else 10.0 / tps, "ok": error is None,
            "error": error, "measurement_key": f"{day}:{model}:{suite}:{config}:{i}"}


def _requests() -> list[dict]:
    """Three models of a hostile suite on two days (the first one 20 % slower on the second,
    with failed requests), a sweep of hostile configs, rows without a model, a twin."""
    rows, i = [], 0
    for day in (D1, D2):
        for model, level in ((QUOTE, 100.0), (DROP, 60.0), (UNICODE, 30.0)):
            slow = 0.8 if (day, model) == (D2, QUOTE) else 1.0
            for delta in (-1.0, 0.0, 1.0, 0.5, -0.5):
                i += 1
                rows.append(_request(day, i, model, DOUBLE, (level + delta) * slow))
        for config, level in (("baseline", 50.0), (INJECT, 60.0), (COMBINED, 51.0)):
            for delta in (-0.2, 0.0, 0.2):
                i += 1
                rows.append(_request(day, i, SLASH, "param_tuning", level + delta, config))
        rows.append(_request(day, i + 1, None, DOUBLE, 10.0))
        rows.append(_request(day, i + 2, None, None, 11.0))
        i += 2
    for day, model, error in ((D2, QUOTE, LONG_ERROR), (D2, QUOTE, LONG_ERROR),
                              (D2, QUOTE, "it's a; -- timeout"), (D1, DROP, "\\' down")):
        i += 1
        rows.append(_request(day, i, model, DOUBLE, None, error=error))
    rows.append({**rows[0], "run_id": "twin", "source_file": f"{DROP}.json"})
    return rows


def _files() -> list[dict]:
    rows = []
    for day in (D1, D2):
        for n, name in enumerate((QUOTE, DOUBLE, DROP, SLASH, UNICODE, INJECT, COMBINED)):
            rows.append({"partition": day, "path": f"{name}/{day}-{n}.c'sv", "folder": name,
                         "type": "c'sv" if n % 2 else "js--n", "size_bytes": 100 + n,
                         "benchmark_date": date.fromisoformat(day), "date_source": "pa'th" if n % 3 else "mtime",
                         "parse_status": "ok", "rows_loaded": n, "values_loaded": 2 * n})
        rows[-1].update(rows_loaded=0, values_loaded=7)  # a write-up: numbers, no typed rows
        rows[-2].update(duplicate_of=f"{QUOTE}/{day}-0.c'sv", parse_status="duplicate")
        rows[-3].update(parse_status="error", parse_error=LONG_ERROR)
    return rows


def _compiles() -> list[dict]:
    common = {"partition": D1, "source_file": f"{DROP}/{COMBINED}.json", "bench_id": COMBINED}
    return [{**common, "backend": QUOTE, "ok": True, "compile_time_s": 1.5, "mean_ms": 2.0},
            {**common, "backend": SLASH, "ok": True, "compile_time_s": 3.25, "mean_ms": 5.0},
            {**common, "backend": INJECT, "ok": False, "error": LONG_ERROR}]


def _timings() -> list[dict]:
    return [{"partition": D1, "source_file": f"{n}.json", "test_name": test, "scope": "overall",
             "mean_ms": mean, "cv_percent": cv}
            for n, (test, mean, cv) in enumerate(((DOUBLE, 4.0, 12.5), (DOUBLE, 6.0, 7.5),
                                                  (UNICODE, 1.0, None)))]


def _result(day: str, run: str, metric: str, stat: str, value: float, unit: str,
            status: str = "ok", source: str = "r.json", **series: object) -> dict:
    row = {"partition": day, "source_file": f"{DROP}/{source}", "run_key": f"{day}{run}",
           "tool": "llama-bench'", "model": UNICODE, "engine": None, "hardware": SLASH,
           "test": INJECT, "config": DROP, "metric": metric, "stat": stat, "value": value,
           "unit": unit, "status": status, "locator": "[0]"}
    return {**row, **series}


def _results() -> list[dict]:
    """A tool series on two days (a change), another hardware (a ranking), a JSON and its
    CSV twin, a failed run whose requests hold the errors."""
    rows = []
    for day, mean in ((D1, 100.0), (D2, 70.0)):
        rows += [_result(day, "a", "decode_tps", "mean", mean, "tok/s"),
                 _result(day, "a", "decode_tps", "std", 0.5, "tok/s"),
                 _result(day, "a", "decode_tps", "count", 5, "count"),
                 _result(day, "b", "decode_tps", "mean", mean / 4, "tok/s", hardware=QUOTE)]
    rows.append(_result(D1, "a", "decode_tps", "median", 99.0, "tok/s", source="r.csv"))
    rows.append(_result(D1, "a", "decode_tps", "median", 99.5, "tok/s"))
    failed = {"tool": "llmperf", "model": QUOTE, "hardware": None, "test": None,
              "config": COMBINED, "status": "failed"}
    rows += [_result(D2, "f", "failed", "value", 3, "count", **failed),
             _result(D2, "f", "completed", "value", 0, "count", **failed),
             _result(D2, "f", "error_rate", "value", 1.0, "ratio", **failed)]
    return rows


def _tool_requests() -> list[dict]:
    return [{"partition": D2, "source_file": f"{QUOTE}.json", "run_key": f"{D2}f",
             "tool": "llmperf", "request_index": i, "ok": False, "error": error,
             "has_summary": True}
            for i, error in enumerate((LONG_ERROR, LONG_ERROR, "429: it's \"busy\""))]


def _load(con: duckdb.DuckDBPyConnection) -> None:
    tables = {"llm_runs": _requests(), "artifact_files": _files(),
              "compile_benchmarks": _compiles(), "timing_baselines": _timings(),
              "benchmark_results": _results(), "benchmark_requests": _tool_requests(),
              "system_telemetry": [{"partition": D1, "source_file": "t.csv", "gpu_id": 0}]}
    replace_partitions(con, [D1, D2], {t: to_arrow(t, rows) for t, rows in tables.items()})
    judged = day_alerts(con, [D1, D2])
    facts = [row for day, found in compute_days(con, [D1, D2], judged).items()
             for row in fact_rows(day, found)]
    alerts = [row for day, found in judged.items() for row in alert_rows(day, found)]
    replace_partitions(con, [D1, D2], {"facts": to_arrow("facts", facts),
                                       "alerts": to_arrow("alerts", alerts)})


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse file of hostile names with its facts and alerts stored."""
    data_dir = tmp_path_factory.mktemp("hostile_provenance")
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"))
    try:
        _load(con)
    finally:
        con.close()
    return data_dir


@pytest.fixture
def reader(hostile: Path):
    """The warehouse as ``chimera query`` opens it: read-only, external access off."""
    con = connect_read_only(hostile / "warehouse.duckdb", files=False)
    yield con
    con.close()


def _stored(con: duckdb.DuckDBPyConnection) -> list[dict]:
    cursor = con.execute("SELECT * FROM facts ORDER BY partition, fact_id")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_every_facts_provenance_returns_its_value(reader) -> None:
    facts = _stored(reader)
    assert provenance_errors(reader, facts) == []
    assert FAMILIES - {(f["category"], f["metric"]) for f in facts} == set()
    # the data did reach the queries, escaped
    text = "\n".join(f["provenance"] for f in facts)
    for name in (QUOTE, DOUBLE, DROP, SLASH, UNICODE, INJECT, COMBINED):
        assert name.replace("'", "''") in text, name
    # a benchmark tool's series too: a failed run, its requests' error, a change
    keys = {f["fact_key"]: f for f in facts}
    assert [k for k in keys if k.startswith("tool.llmperf.") and k.endswith(".top_error")]
    assert [k for k in keys if k.startswith("tool.llmperf.") and k.endswith(".status")]
    assert [k for k, f in keys.items() if k.startswith("change.llama-bench'.")
            and f["text_value"] == "regression"]


def test_a_changes_provenance_returns_the_alerts_verdict(reader) -> None:
    changes = [f for f in _stored(reader) if f["category"] == "change"
               and f["fact_key"].endswith(".pct")]
    assert {f["text_value"] for f in changes} >= {"regression", "within noise"}
    for fact in changes:
        cursor = reader.execute(fact["provenance"])
        row = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
        assert row["verdict"] == fact["text_value"], fact["fact_key"]
        assert row["previous"] is not None and row["current"] is not None


def test_unescaped_literals_would_fail(reader, monkeypatch: pytest.MonkeyPatch) -> None:
    """The attack has teeth: with ``sql_literal`` interpolating raw text, as the old
    provenance did, no fact whose provenance holds a name with a quote comes back."""
    def raw(value: object) -> str:
        return "NULL" if value is None else f"'{value}'"

    stored = {(f["partition"], f["fact_id"]): f["provenance"] for f in _stored(reader)}
    escaped = sql.sql_literal
    for name, module in list(sys.modules.items()):
        if name.startswith("chimera_pipeline.lib.") and getattr(
                module, "sql_literal", None) is escaped:
            monkeypatch.setattr(module, "sql_literal", raw)
    facts = [row for day, found in compute_days(reader, [D1, D2]).items()
             for row in fact_rows(day, found)]
    unescaped = [f for f in facts if f["provenance"] != stored[f["partition"], f["fact_id"]]]
    assert len(unescaped) > 100
    assert len(provenance_errors(reader, unescaped)) == len(unescaped)


def test_chimera_query_runs_a_provenance_as_written(hostile: Path, reader) -> None:
    """The provenance goes through the command line untouched: quotes, ``--`` and all."""
    fact = reader.execute("SELECT provenance, text_value FROM facts WHERE partition = ? "
                          "AND fact_key = ?", [D2, f"llm.{QUOTE}.{DOUBLE}.top_error"]).fetchone()
    reader.close()  # DuckDB: one process holds the file, even to read it
    result = chimera(["query", fact[0]], {"CHIMERA_DATA_DIR": str(hostile)}, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert len(rows) == 2 and rows[1][0] == fact[1] == shorten(LONG_ERROR)


@pytest.mark.parametrize("value", [
    QUOTE, DOUBLE, DROP, SLASH, UNICODE, INJECT, COMBINED, "", "'", "''", "\\'", "$$x$$",
    "line\nbreak\ttab", "nul\x00byte", 0, -3, 1.5, 1e-300, 12345678901234567890, True, None])
def test_a_literal_reads_back_as_its_value(value: object) -> None:
    con = duckdb.connect()
    assert con.execute(f"SELECT {sql.sql_literal(value)}").fetchone()[0] == value


@pytest.mark.parametrize("text", [
    "short", "  spaced \t out\n", LONG_ERROR, "x" * 130, "word " * 30, "a" * 120,
    ("a" * 118) + " b", "é\u0301" * 70, "\u3000".join(["词"] * 80), "tail.,;: " * 20,
    "\x1c\x1d\x1e\x1fsep\x85\xa0\u2028" * 20])
def test_shortening_in_sql_matches_python(text: str) -> None:
    con = duckdb.connect()
    for limit in (120, 200):
        got = con.execute(f"SELECT {shortened(sql.sql_literal(text), limit)}").fetchone()[0]
        assert got == shorten(text, limit)
