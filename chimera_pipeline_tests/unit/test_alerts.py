"""Regression alerts: a constructed history in a real DuckDB warehouse, the noise rule that
decides, and the notification hook against a local HTTP server and a real command."""

from __future__ import annotations

import sys

import pytest

from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.facts.alerts import alert_rows, day_alerts
from chimera_pipeline.lib.report.notify import notify_regressions, redact_url
from chimera_pipeline.lib.store.warehouse import replace_partitions, to_arrow
from chimera_pipeline_tests.webhook import WebhookReceiver

D1, D2, D3 = "2025-10-01", "2025-10-02", "2025-10-03"
STEADY = [50.0, 50.2, 49.8, 50.1, 49.9]  # decode tok/s: small variance


def _runs(con, day: str, tps: list[float], model: str = "gemma3:latest",
          suite: str = "prompt_suite", failed: int = 0, ttft: float = 0.2) -> None:
    rows = [{"partition": day, "run_id": f"{day}#{i}", "source_file": f"reports/{day}.csv",
             "source_row": i, "suite": suite, "model": model, "ok": True, "decode_tps": v,
             "ttft_s": ttft, "measurement_key": f"{day}-{model}-{suite}-{i}"}
            for i, v in enumerate(tps, start=1)]
    rows += [{"partition": day, "run_id": f"{day}#f{i}", "source_file": f"reports/{day}.csv",
              "source_row": 100 + i, "suite": suite, "model": model, "ok": False,
              "error": "timeout", "measurement_key": f"{day}-{model}-{suite}-f{i}"}
             for i in range(failed)]
    con.register("new_rows", to_arrow("llm_runs", rows))
    con.execute("INSERT INTO llm_runs BY NAME SELECT * FROM new_rows")
    con.unregister("new_rows")


def _history(con, third: list[float], **kwargs) -> dict:
    _runs(con, D1, STEADY)
    _runs(con, D2, STEADY)
    _runs(con, D3, third, **kwargs)
    return day_alerts(con, [D2, D3])


def test_before_the_minimum_history_a_large_clear_drop_is_a_regression(con) -> None:
    """Three nights: too few for the history; the conservative rule (night against the
    previous night, Welch p <= 0.001 and at least 10 %) calls a clean 10 % drop."""
    alerts = _history(con, [v * 0.9 for v in STEADY])
    assert D2 not in alerts  # day 2 equals day 1
    [alert] = alerts[D3]
    assert (alert.verdict, alert.kind, alert.series, alert.metric) == (
        "regression", "throughput", "gemma3:latest prompt_suite", "decode tokens/s")
    assert alert.previous_day == D2 and alert.baseline_nights == 1
    assert alert.previous == pytest.approx(50.0) and alert.current == pytest.approx(45.0)
    assert alert.change == pytest.approx(-10.0) and alert.p_value < 0.001
    assert alert.line() == ("gemma3:latest prompt_suite: decode tokens/s 45.00 tok/s against "
                            "50.00 tok/s (2025-10-02; -10.0 %; noise band ±10.0%)")


def test_before_the_minimum_history_noise_or_a_small_change_is_no_alert(con) -> None:
    noisy = [v * 0.94 for v in (50.0, 58.0, 42.0, 55.0, 45.0)]  # 6 % slower, far noisier
    assert D3 not in _history(con, noisy)


def test_an_improvement_is_listed_and_is_not_a_regression(con) -> None:
    [alert] = _history(con, [v * 1.1 for v in STEADY])[D3]
    assert alert.verdict == "improvement" and alert.change == pytest.approx(10.0)


def test_slower_first_token_and_more_failures_are_regressions(con) -> None:
    _runs(con, D1, STEADY, ttft=0.2)
    _runs(con, D2, STEADY, ttft=0.2)
    _runs(con, D3, STEADY, failed=0,
          ttft=0.3)
    con.execute("UPDATE llm_runs SET ttft_s = ttft_s + 0.001 * source_row")  # some spread
    _runs(con, "2025-10-04", STEADY, failed=10, ttft=0.2)
    alerts = day_alerts(con, [D3, "2025-10-04"])
    [latency] = alerts[D3]
    assert (latency.verdict, latency.kind) == ("regression", "latency")
    assert latency.change == pytest.approx(49.0, abs=2)
    [rate] = [a for a in alerts["2025-10-04"] if a.kind == "error rate"]
    assert rate.verdict == "regression" and rate.change_unit == "points"
    assert rate.current == pytest.approx(100 * 10 / 15) and rate.change > 60


def test_a_series_without_configs_and_a_config_are_different_series(con) -> None:
    """Like with like: a config is compared with the same config; a suite-wide mean over
    whatever configs ran is no series (no suite-level alert beside the config's)."""
    for day in (D1, D2):
        _runs(con, day, STEADY)
    rows = [{"partition": D3, "run_id": f"c{i}", "source_file": "c.csv", "source_row": i,
             "suite": "prompt_suite", "model": "gemma3:latest", "config_name": "all",
             "ok": True, "decode_tps": v * 0.5, "ttft_s": 0.2, "measurement_key": f"c{i}"}
            for i, v in enumerate(STEADY)]
    con.register("new_rows", to_arrow("llm_runs", rows))
    con.execute("INSERT INTO llm_runs BY NAME SELECT * FROM new_rows")
    con.unregister("new_rows")
    assert D3 not in day_alerts(con, [D3])  # a config named "all" is new, not the suite


def test_a_backend_that_compiled_and_now_fails_is_a_regression(con) -> None:
    rows = [{"partition": day, "bench_id": "matmul", "backend": "cuda", "ok": ok,
             "compile_time_s": 1.0 if ok else None, "error": None if ok else "nvcc: error"}
            for day, ok in ((D1, True), (D2, True), (D3, False))]
    replace_partitions(con, [D1, D2, D3], {"compile_benchmarks": to_arrow(
        "compile_benchmarks", rows)})
    [alert] = day_alerts(con, [D2, D3])[D3]
    assert (alert.verdict, alert.kind, alert.series) == ("regression", "compile", "matmul cuda")
    assert alert.line() == "matmul cuda: compiled on 2025-10-02, fails now (nvcc: error)"


@pytest.fixture
def hook():
    with WebhookReceiver() as receiver:
        yield receiver


def _store(con, alerts: dict) -> None:
    for day, found in alerts.items():
        replace_partitions(con, [day], {"alerts": to_arrow("alerts", alert_rows(day, found))})


def test_the_hook_is_called_once_per_regressed_day(con, hook, monkeypatch, tmp_path) -> None:
    url = hook.url.replace("http://", "http://user:s3cret@") + "/services/T0/B0/tok3n"
    monkeypatch.setenv("CHIMERA_ALERT_WEBHOOK", url)
    monkeypatch.setenv("CHIMERA_DATA_DIR", str(tmp_path))
    _store(con, _history(con, [v * 0.9 for v in STEADY]))
    logged: list[tuple[str, bool]] = []
    log = lambda message, ok: logged.append((message, ok))  # noqa: E731
    assert notify_regressions(con, [D2, D3], load_settings(), log) == 1
    [sent] = hook.received
    assert sent["day"] == D3 and sent["path"] == "/services/T0/B0/tok3n"
    assert sent["auth"] == "Basic dXNlcjpzM2NyZXQ="  # user:s3cret, as a header
    assert sent["text"].startswith("chimera: 1 performance regression(s) on 2025-10-03\n- ")
    assert sent["regressions"][0]["previous"] == pytest.approx(50.0)
    assert logged == [(f"regression alert for {D3} sent (webhook "
                       f"{hook.url.replace('http://', 'http://***@')}/…)", True)]
    assert notify_regressions(con, [D3], load_settings(), log) == 0  # the same list: once
    assert len(hook.received) == 1


def test_an_unreachable_hook_is_logged_and_never_raises(con, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CHIMERA_ALERT_WEBHOOK", "http://bot:hunter2@127.0.0.1:9/hook/s3cret")
    monkeypatch.setenv("CHIMERA_ALERT_TIMEOUT", "2")
    _store(con, _history(con, [v * 0.9 for v in STEADY]))
    logged: list[tuple[str, bool]] = []
    assert notify_regressions(con, [D3], load_settings(),
                              lambda m, ok: logged.append((m, ok))) == 0
    [(message, ok)] = logged
    assert not ok and "NOT sent (webhook http://***@127.0.0.1:9/…)" in message
    assert "refused" in message.lower() and "the run goes on" in message
    row = con.execute("SELECT ok, channel, error FROM alert_deliveries").fetchone()
    assert row[0] is False and "hunter2" not in str(row) and "s3cret" not in str(row)


def test_a_command_gets_the_alert_on_stdin(con, monkeypatch, tmp_path) -> None:
    out = tmp_path / "alert.txt"
    script = tmp_path / "hook.py"
    script.write_text("import os, sys\nopen(sys.argv[1], 'w').write("
                      "os.environ['CHIMERA_ALERT_DAY'] + '|' + sys.stdin.read())\n")
    monkeypatch.setenv("CHIMERA_ALERT_COMMAND", f"{sys.executable} {script} {out}")
    _store(con, _history(con, [v * 0.9 for v in STEADY]))
    assert notify_regressions(con, [D3], load_settings(), lambda m, ok: None) == 1
    day, text = out.read_text().split("|", 1)
    assert day == D3 and "decode tokens/s 45.00 tok/s against 50.00 tok/s (2025-10-02" in text


def test_webhook_urls_lose_their_secrets() -> None:
    assert redact_url("https://hooks.slack.com/services/T0/B0/XYZ") == "https://hooks.slack.com/…"
    assert redact_url("https://u:p@chat.example/hook?token=1") == "https://***@chat.example/…"
    assert redact_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"


def test_a_command_that_does_not_parse_is_a_logged_failure(con, monkeypatch) -> None:
    monkeypatch.setenv("CHIMERA_ALERT_COMMAND", 'notify "unclosed')
    _store(con, _history(con, [v * 0.9 for v in STEADY]))
    logged: list[tuple[str, bool]] = []
    assert notify_regressions(con, [D3], load_settings(),
                              lambda m, ok: logged.append((m, ok))) == 0
    assert logged == [(f"regression alert for {D3} NOT sent (command notify …): ValueError: "
                       "No closing quotation; the run goes on", False)]


def _regressed_days(con, days: int = 1) -> list[str]:
    """``days`` regressed days in a row, each 10 % slower than the one before."""
    _runs(con, "2025-09-30", STEADY)
    found = []
    for i in range(days):
        day = f"2025-10-{i + 1:02d}"
        _runs(con, day, [v * 0.9 ** (i + 1) for v in STEADY])
        found.append(day)
    alerts = day_alerts(con, found)
    _store(con, alerts)
    return sorted(alerts)


def test_a_redirect_is_a_failed_delivery_and_is_never_followed(con, hook, monkeypatch) -> None:
    other = WebhookReceiver()
    with other:
        hook.answers = [(302, {"Location": f"{other.url}/elsewhere"})]
        monkeypatch.setenv("CHIMERA_ALERT_WEBHOOK",
                           hook.url.replace("http://", "http://bot:s3cret@") + "/hook")
        [day] = _regressed_days(con)
        logged: list[tuple[str, bool]] = []
        assert notify_regressions(con, [day], load_settings(),
                                  lambda m, ok: logged.append((m, ok))) == 0
        assert other.received == other.gets == [] and hook.gets == []  # nothing followed it
    assert "HTTP 302" in logged[0][0] and "not followed" in logged[0][0]
    assert logged[0][1] is False
    row = con.execute("SELECT ok, error FROM alert_deliveries").fetchone()
    assert row[0] is False and "s3cret" not in row[1]


@pytest.mark.parametrize("answer", [(500, {}), (404, {}), "drop"])
def test_every_failure_of_a_delivery_is_recorded_and_never_raised(con, hook, monkeypatch,
                                                                  answer) -> None:
    hook.answers = [answer]
    monkeypatch.setenv("CHIMERA_ALERT_WEBHOOK", f"{hook.url}/hook")
    [day] = _regressed_days(con)
    logged: list[tuple[str, bool]] = []
    assert notify_regressions(con, [day], load_settings(),
                              lambda m, ok: logged.append((m, ok))) == 0
    assert logged and logged[0][1] is False and "the run goes on" in logged[0][0]
    assert con.execute("SELECT count(*) FROM alert_deliveries WHERE NOT ok").fetchone()[0] == 1
    hook.answers = []
    assert notify_regressions(con, [day], load_settings(), lambda m, ok: None) == 1  # retried


def test_each_attempt_is_recorded_as_it_happens(con, hook, monkeypatch) -> None:
    from chimera_pipeline.lib.report.notify import pending, send

    monkeypatch.setenv("CHIMERA_ALERT_WEBHOOK", f"{hook.url}/hook")
    monkeypatch.setenv("CHIMERA_ALERT_DIGEST", "0")
    days = _regressed_days(con, 2)
    order: list[str] = []

    def record(rows: list[dict]) -> None:
        order.append(f"record {rows[0]['partition']} after {len(hook.received)} post(s)")

    assert send(pending(con, days, load_settings()), load_settings(), record,
                lambda m, ok: None) == 2
    assert order == [f"record {days[0]} after 1 post(s)", f"record {days[1]} after 2 post(s)"]


def test_a_backfill_sends_one_digest_and_records_every_day(con, hook, monkeypatch) -> None:
    monkeypatch.setenv("CHIMERA_ALERT_WEBHOOK", f"{hook.url}/hook")
    days = _regressed_days(con, 3)
    assert notify_regressions(con, days, load_settings(), lambda m, ok: None) == 1
    [sent] = hook.received
    assert sent["text"].startswith(f"chimera: 3 performance regression(s) on 3 days ({days[0]}")
    recorded = con.execute("SELECT partition FROM alert_deliveries WHERE ok ORDER BY 1")
    assert [r[0] for r in recorded.fetchall()] == days
    assert notify_regressions(con, days, load_settings(), lambda m, ok: None) == 0


def test_artifact_text_cannot_mention_everyone(con, hook, monkeypatch) -> None:
    monkeypatch.setenv("CHIMERA_ALERT_WEBHOOK", f"{hook.url}/hook")
    for day in ("2025-09-30", D1):
        _runs(con, day, STEADY, model="@everyone <!channel>")
    _runs(con, D2, [v * 0.8 for v in STEADY], model="@everyone <!channel>")
    _store(con, day_alerts(con, [D2]))
    assert notify_regressions(con, [D2], load_settings(), lambda m, ok: None) == 1
    [sent] = hook.received
    assert "@everyone" not in sent["text"] and "<!channel>" not in sent["text"]
    assert "@\u200beveryone" in sent["text"] and sent["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in sent["regressions"][0]["series"]


@pytest.mark.parametrize("url", ["hooks.slack.com/services/x", "ftp://example.com/hook",
                                 "http://", "http://host:port/x", "https://exa mple.com/"])
def test_a_webhook_that_is_no_http_url_is_refused_when_settings_load(url: str) -> None:
    from chimera_pipeline.lib.config.settings import SettingsError

    with pytest.raises(SettingsError, match="CHIMERA_ALERT_WEBHOOK"):
        load_settings({"CHIMERA_ALERT_WEBHOOK": url})


def test_a_check_run_on_its_own_judges_the_newest_night(con) -> None:
    from chimera_pipeline.lib.store.checks import latest_night

    assert latest_night(con) is None
    replace_partitions(con, [D1, D3], {"facts": to_arrow("facts", [
        {"partition": D1, "fact_id": "F1"}, {"partition": D3, "fact_id": "F1"}])})
    assert latest_night(con) == (D3, D3, None)
