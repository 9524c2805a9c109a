"""Nightly regression alerts through real ``chimera run``s: a constructed history where one
day is 10 % slower with small variance fails the ``no_performance_regressions`` check (WARN)
with the values, lists the regression at the top of the day's report and in ``index.md``,
and calls the webhook once for that day; an unreachable webhook leaves the run green and
says why; a day that only improved passes and lists the improvement."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import dagster as dg
import pytest

from chimera_pipeline.lib.store.schema import TABLES
from chimera_pipeline_tests.fake_ollama import FakeOllama
from chimera_pipeline_tests.support import chimera, open_instance, table_snapshot
from chimera_pipeline_tests.webhook import WebhookReceiver

HEADER = ("timestamp,model,prompt_index,prompt_text,ttft_s,tokens_s,load_s,prompt_eval_s,"
          "eval_s,prompt_eval_count,eval_count,response_chars,error,options\n")
STEADY = (50.0, 50.2, 49.8, 50.1, 49.9)
CHECK = dg.AssetCheckKey(dg.AssetKey("benchmark_facts"), "no_performance_regressions")


def _day(root: Path, day: dt.date, factor: float) -> None:
    folder = root / "reports" / "ollama" / f"{day:%Y%m%d}-120000"
    folder.mkdir(parents=True, exist_ok=True)
    rows = [f"{day}T12:00:00+00:00,gemma3:latest,{i},prompt {i},0.2,{tps * factor:.3f},0.1,"
            f"0.05,2.0,20,100,400,," for i, tps in enumerate(STEADY, start=1)]
    (folder / "prompt_suite_runs.csv").write_text(HEADER + "\n".join(rows) + "\n")


@pytest.fixture
def hook():
    with WebhookReceiver() as receiver:
        yield receiver


def _days_kept(home: Path, asset: str = "benchmark_facts") -> int:
    """The asset's latest materialization's count of days whose facts (or narrative) it
    kept."""
    with open_instance(home) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey(asset))
    return event.asset_materialization.metadata["days_kept"].value


def _latest_check(home: Path):
    with open_instance(home) as instance:
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([CHECK])
        return next(iter(record.values())).event.dagster_event.event_specific_data


def test_a_slower_day_fails_the_check_alerts_once_and_shows_in_the_reports(tmp_path, hook
                                                                         ) -> None:
    root, data = tmp_path / "artifacts", tmp_path / "data"
    for offset, factor in enumerate((1.0, 1.0, 0.9)):  # day 3 is 10 % slower than day 2
        _day(root, dt.date(2025, 10, 1 + offset), factor)
    with FakeOllama() as ollama:
        env = {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(data),
               "CHIMERA_LLM_BACKEND": "ollama", "OLLAMA_HOST": ollama.url,
               "CHIMERA_ALERT_WEBHOOK": f"{hook.url}/hooks/chimera"}
        result = chimera(["run"], env)
        assert result.returncode == 0, result.stdout + result.stderr
        check = _latest_check(data / "dagster_home")
        assert check.passed is False and check.severity == dg.AssetCheckSeverity.WARN
        assert check.description.startswith(
            "1 regression(s) on 2025-10-03: 2025-10-03 gemma3:latest prompt_suite: decode "
            "tokens/s 45.00 tok/s against 50.00 tok/s (2025-10-02; -10.0 %; noise band ±")
        table = check.metadata["regression_list"].value
        assert "| 2025-10-03 | gemma3:latest prompt_suite | decode tokens/s | 50 tok/s " \
               "(2025-10-02) | 45 tok/s | -10.0 % |" in table
        assert f"{data}/reports/2025-10-02/report.md, {data}/reports/2025-10-03/report.md" \
               in table
        [sent] = hook.received  # one regressed day, one call
        assert sent["day"] == "2025-10-03" and "45.00 tok/s" in sent["text"]

        report = (data / "reports/2025-10-03/report.md").read_text()
        head = report.split("## Executive Summary")[0]
        assert "**Regressions:** 1 beyond what the series' history explains" in head
        assert "- gemma3:latest prompt_suite: decode tokens/s 45.00 tok/s against 50.00 tok/s " \
               "(2025-10-02; -10.0 %" in head and "([2025-10-02](../2025-10-02/report.md))" in head
        index = (data / "reports/index.md").read_text().splitlines()
        assert "| day | regressions |" in index[4]
        assert index[6].startswith("| [2025-10-01](2025-10-01/report.md) | none |")
        assert index[8].startswith("| [2025-10-03](2025-10-03/report.md) | 1 |")

        asked, written = len(ollama.requests), _narratives(data)["2025-10-03"]
        again = chimera(["run", "--date", "2025-10-03"], env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert _days_kept(data / "dagster_home") == 1  # nothing it reads changed
        # nor what its narrative reads: the model is not asked again, its narrative stays
        assert len(ollama.requests) == asked and _narratives(data)["2025-10-03"] == written
        assert _days_kept(data / "dagster_home", "llm_analysis") == 1
        again = chimera(["run", "--force", "--date", "2025-10-03"], env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert _days_kept(data / "dagster_home") == 0  # --force computes it again
        assert len(ollama.requests) == asked + 1  # and asks the model again
        assert _days_kept(data / "dagster_home", "llm_analysis") == 0
        assert len(hook.received) == 1  # the same regression is not sent twice

        _day(root, dt.date(2025, 10, 4), 0.8)  # slower again, and the hook is down
        down = {**env, "CHIMERA_ALERT_WEBHOOK": "http://bot:hunter2@127.0.0.1:9/hook"}
        result = chimera(["run"], down)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "regression alert for 2025-10-04 NOT sent (webhook http://***@127.0.0.1:9/…)" \
               in output and "the run goes on" in output and "hunter2" not in output

        _day(root, dt.date(2025, 10, 5), 0.8 / 0.9 * 1.25)  # only faster than day 4
        result = chimera(["run"], env)
        assert result.returncode == 0, result.stdout + result.stderr
        check = _latest_check(data / "dagster_home")
        assert check.passed is True
        assert check.description == "no regression beyond the noise band; 1 improvement(s)"
        assert "| 2025-10-05 | gemma3:latest prompt_suite | decode tokens/s |" in \
               check.metadata["improvement_list"].value
        assert len(hook.received) == 1


def _alert_rows(data: Path) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT partition, verdict, series, metric, previous, current, "
                           "evidence FROM alerts ORDER BY ALL").fetchall()


# nights steady, then slower from the seventh; the third arrives late in the late-night tests
NIGHTS = [1.0, 1.01, 0.99, 1.0, 1.005, 0.995, 0.8, 0.8, 0.81]
LATE = 2


def _nights(artifacts: Path, only: int | None = None, but: int | None = None) -> None:
    """Write ``NIGHTS`` (only night ``only``, or all but night ``but``) from 2025-10-01."""
    for i, factor in enumerate(NIGHTS):
        if i != but and only in (None, i):
            _day(artifacts, dt.date(2025, 10, 1 + i), factor)


def _env(folder: Path, ollama_url: str) -> dict:
    return {"CHIMERA_ARTIFACT_ROOT": str(folder / "artifacts"),
            "CHIMERA_DATA_DIR": str(folder / "data"),
            "CHIMERA_LLM_BACKEND": "ollama", "OLLAMA_HOST": ollama_url}


def test_a_night_that_arrives_late_gives_the_alerts_of_all_nights_at_once(tmp_path) -> None:
    """The same nights, one of them arriving a day late: the nights after it are judged
    again (the planner marks them stale), and the alerts equal those of one run over all;
    so do the alerts of one run per night, four at a time (whichever finishes first)."""
    late = LATE
    with FakeOllama() as ollama:
        def env(name: str) -> dict:
            return _env(tmp_path / name, ollama.url)

        _nights(tmp_path / "once" / "artifacts")
        result = chimera(["run", "--until", "benchmark_facts"], env("once"))
        assert result.returncode == 0, result.stdout + result.stderr
        _nights(tmp_path / "late" / "artifacts", but=late)
        first = chimera(["run", "--until", "benchmark_facts"], env("late"))
        assert first.returncode == 0, first.stdout + first.stderr
        _nights(tmp_path / "late" / "artifacts", only=late)
        again = chimera(["run", "--until", "benchmark_facts"], env("late"))
        assert again.returncode == 0, again.stdout + again.stderr
        _nights(tmp_path / "parallel" / "artifacts")
        parallel = chimera(["run", "--per-partition", "--parallel", "4", "--until",
                            "benchmark_facts"], env("parallel"))
        assert parallel.returncode == 0, parallel.stdout + parallel.stderr
    once = _alert_rows(tmp_path / "once" / "data")
    assert once and once == _alert_rows(tmp_path / "late" / "data")
    assert once == _alert_rows(tmp_path / "parallel" / "data")
    # and so are the facts and findings, though the late run kept those of the nights it
    # judged again that read nothing the late night changed (``facts.inputs``)
    wanted = ("facts", "findings")
    skipped = tuple(t for t in TABLES if t not in wanted)
    assert (table_snapshot(tmp_path / "once/data/warehouse.duckdb", exclude=skipped)
            == table_snapshot(tmp_path / "late/data/warehouse.duckdb", exclude=skipped))
    with open_instance(tmp_path / "late/data/dagster_home") as instance:
        kept = [r.asset_materialization.metadata["days_kept"].value for r in
                instance.fetch_materializations(dg.AssetKey("benchmark_facts"),
                                                limit=100).records]
    assert max(kept) > 0, kept
    # the race is timing-dependent, so also check the ordering that removes it: each night
    # parsed in a run of its own, then every night's facts in one run, in day order
    import duckdb

    with duckdb.connect(str(tmp_path / "parallel/data/warehouse.duckdb"), read_only=True) as con:
        runs = dict(con.execute("SELECT stage, count(DISTINCT run_id) FROM stage_timings "
                                "GROUP BY stage").fetchall())
    assert runs == {"ingest": len(NIGHTS), "parse": len(NIGHTS), "facts": 1}


def _narratives(data: Path) -> dict[str, tuple]:
    """Per narrated day: its call id and the digest its narrative was written from."""
    import duckdb

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return {day: (call, digest) for day, call, digest in con.execute(
            "SELECT a.partition, a.call_id, i.digest FROM llm_analyses AS a "
            "JOIN analysis_inputs AS i USING (partition, call_id)").fetchall()}


def test_a_night_that_arrives_late_asks_the_model_only_for_the_nights_it_changed(
        tmp_path) -> None:
    """Whole runs, narratives and reports: the late night judges the nights after it again,
    and the model is asked only about the late night and the nights whose facts it changed;
    the others keep the narratives written, and every night's narrative is written from
    what one run over all the nights would write it from."""
    late = LATE
    with FakeOllama() as ollama:
        def env(name: str) -> dict:
            return _env(tmp_path / name, ollama.url)

        _nights(tmp_path / "once" / "artifacts")
        _nights(tmp_path / "late" / "artifacts", but=late)
        for name in ("once", "late"):
            result = chimera(["run"], env(name))
            assert result.returncode == 0, result.stdout + result.stderr
        before, sent = _narratives(tmp_path / "late" / "data"), len(ollama.requests)
        _nights(tmp_path / "late" / "artifacts", only=late)
        again = chimera(["run"], env("late"))
        assert again.returncode == 0, again.stdout + again.stderr
        asked = [re.search(r"\d{4}-\d{2}-\d{2}", r["messages"][-1]["content"]).group()
                 for r in ollama.requests[sent:]]
    after = _narratives(tmp_path / "late" / "data")
    written = sorted(day for day in after if before.get(day) != after[day])
    assert asked == written and "2025-10-03" in asked  # each asked once, the late night too
    kept = [day for day in after if before.get(day) == after[day] and day > "2025-10-03"]
    assert kept and _days_kept(tmp_path / "late/data/dagster_home", "llm_analysis") == len(kept)
    # what each night's narrative is written from is what one run over all nights gives it
    once = _narratives(tmp_path / "once" / "data")
    assert {d: v[1] for d, v in once.items()} == {d: v[1] for d, v in after.items()}
    for day in kept:  # and its report shows the narrative kept
        assert (tmp_path / "late/data/reports" / day / "report.md").exists()
