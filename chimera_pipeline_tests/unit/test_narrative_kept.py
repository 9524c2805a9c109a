"""A day whose facts, findings and narrative settings are those its stored narrative was
written from keeps the narrative (``llm.inputs``) and the model is not asked again; a change
to any of them, or a narrative's rows lost since, asks again. The model is the local server
that speaks Ollama's protocol, so each request it receives is a call the step made."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from chimera_pipeline.lib.common.code import LIB
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.facts.regression import Params
from chimera_pipeline.lib.findings.build import stage_facts, write_staged
from chimera_pipeline.lib.llm import inputs
from chimera_pipeline.lib.llm.rows import TABLES, AnalysisRows, analyse_days, blockwise
from chimera_pipeline.lib.llm.settings import LLMSettings
from chimera_pipeline.lib.store.warehouse import FACT_ORDER, read_rows, replace_partitions, to_arrow
from chimera_pipeline_tests.fake_ollama import GERMAN_ANSWER, FakeOllama
from chimera_pipeline_tests.support import stepped_requests

DAYS = 5  # of the history's nights, the last ones (those with alerts to narrate)
NO_MODEL = Path("/nonexistent/absent.gguf")


def _settings(server: FakeOllama) -> LLMSettings:
    # no embedded model file: tokens are estimated, nothing is assembled
    return dataclasses.replace(LLMSettings.from_config(load_settings({})), backend="ollama",
                               host=server.url, embedded_model_path=NO_MODEL)


@pytest.fixture(scope="module")
def narrated_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Eight request series over 45 nights, every day's facts and findings stored, the last
    nights narrated (by a server of their own: each test's has another address, which
    keeps the narratives, as ``test_how_the_model_is_reached_keeps_the_narratives`` says)."""
    folder = tmp_path_factory.mktemp("narrated")
    con, days = stepped_requests()
    days = days[-DAYS:]  # judged over the whole history
    write_staged(con, days, stage_facts(con, days, folder, params=Params(history=10,
                                                                          min_history=4),
                                        judge_ahead=False, reuse=False))
    with FakeOllama() as server:
        first = _step(con, days, _settings(server))
        assert first.kept == [] and len(server.requests) == len(first.verdicts)
    con.execute(f"ATTACH '{folder / 'narrated.duckdb'}' AS narrated_db")
    con.execute("COPY FROM DATABASE memory TO narrated_db")
    con.close()
    return folder / "narrated.duckdb", days


@pytest.fixture(scope="module")
def server():
    """One server for the module (each stops in half a second); tests count its requests
    from where they begin."""
    with FakeOllama(models=("gemma3:latest", "gemma3:4b")) as fake:
        yield fake


@pytest.fixture
def warehouse(narrated_once, tmp_path: Path):
    path, days = narrated_once
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(path, copy)
    con = duckdb.connect(str(copy))
    yield con, days
    con.close()


def _step(con: duckdb.DuckDBPyConnection, days: list[str], settings: LLMSettings,
          reuse: bool = True) -> AnalysisRows:
    """The LLM step as the asset runs it: the stored digests read, the days analysed, the
    rows written with the kept days' left in place."""
    written = inputs.stored(con, days) if reuse else {}

    def read_block(block: list[str]) -> tuple[list[dict], list[dict]]:
        return (read_rows(con, "facts", block, order=FACT_ORDER),
                read_rows(con, "findings", block, order="rank"))

    rows = analyse_days(days, blockwise(days, read_block), settings, Path("/nonexistent"),
                        log=lambda message: None, stored=written)
    replace_partitions(con, days, {t: to_arrow(t, r) for t, r in rows.tables.items()},
                       keep=rows.keep())
    return rows


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def _asked(server: FakeOllama, since: int) -> list[str]:
    """The days the model was asked about since request ``since``: each prompt names it."""
    found = []
    for request in server.requests[since:]:
        text = " ".join(m["content"] for m in request.get("messages", [])) or request["prompt"]
        found.append(re.search(r"\b\d{4}-\d{2}-\d{2}\b", text).group())
    return found


def _narrated(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT partition FROM llm_analyses ORDER BY 1").fetchall()]


def test_a_day_whose_inputs_did_not_change_is_not_asked_again(warehouse, server,
                                                               tmp_path: Path) -> None:
    con, days = warehouse
    settings = _settings(server)
    narrated = _narrated(con)
    assert len(narrated) >= 3, narrated  # the history's last nights are narrated
    before, sent = _snapshot(con), len(server.requests)
    second = _step(con, days, settings)
    assert len(server.requests) == sent  # not one request
    assert second.kept == narrated and second.summary()["days_kept"] == len(narrated)
    assert _snapshot(con) == before  # the kept rows are those written, call ids and all
    # ``--force``: every day asked again
    _step(con, days, settings, reuse=False)
    assert _asked(server, sent) == narrated


@pytest.mark.parametrize("change", [
    "UPDATE facts SET value = value * 1.001 WHERE fact_id = (SELECT min(fact_id) "
    "FROM facts WHERE partition = $day AND value IS NOT NULL) AND partition = $day",
    "UPDATE facts SET label = label || ' ' WHERE partition = $day AND fact_id = "
    "(SELECT max(fact_id) FROM facts WHERE partition = $day)",
    "DELETE FROM facts WHERE partition = $day AND fact_id = "
    "(SELECT max(fact_id) FROM facts WHERE partition = $day)",
    "UPDATE findings SET rank = CASE rank WHEN 1 THEN 2 WHEN 2 THEN 1 ELSE rank END "
    "WHERE partition = $day",
    "UPDATE findings SET fact_ids = fact_ids || ',F999' WHERE partition = $day AND rank = 1",
    # the rows a narrative was written with, lost or doubled since
    "INSERT INTO report_claims (partition, claim_id) VALUES ($day, 99)",
    "DELETE FROM llm_calls WHERE partition = $day",
    "UPDATE llm_analyses SET call_id = 'other' WHERE partition = $day",
    "INSERT INTO llm_calls SELECT * REPLACE ('x' AS call_id) FROM llm_calls "
    "WHERE partition = $day",
    "INSERT INTO analysis_inputs SELECT * FROM analysis_inputs WHERE partition = $day",
])
def test_a_change_to_one_day_asks_that_day_alone_again(warehouse, server, tmp_path: Path,
                                                       change: str) -> None:
    con, days = warehouse
    settings = _settings(server)
    narrated = _narrated(con)
    day = narrated[len(narrated) // 2]
    con.execute(change, {"day": day})
    sent = len(server.requests)
    rows = _step(con, days, settings)
    assert _asked(server, sent) == [day]
    assert rows.kept == [d for d in narrated if d != day]
    # and the day holds one narrative again, the new one
    assert con.execute("SELECT count(*) FROM llm_calls WHERE partition = ?", [day]
                       ).fetchone()[0] == 1
    assert inputs.stored(con, [day])  # its digest trusted again


@pytest.mark.parametrize("field", inputs.ANSWER_SETTINGS)
def test_a_setting_that_shapes_the_narrative_asks_every_day_again(
        warehouse, server, tmp_path: Path, field: str) -> None:
    con, days = warehouse
    settings = _settings(server)
    narrated = _narrated(con)
    value = getattr(settings, field)
    changed = {"backend": "auto", "model": "gemma3:4b", "embedded_model_path": tmp_path / "b",
               "num_ctx": 8192, "max_ctx": value + 1 if isinstance(value, int) else 9000,
               "max_output_tokens": value + 1 if isinstance(value, int) else 700,
               "language": "de", "mark_unverified": not value,
               "options": {**settings.options, "temperature": 0.5}}[field]
    assert changed != value
    sent = len(server.requests)
    if field == "language":  # answered in it, not asked again for the language
        server.answers = [json.dumps(GERMAN_ANSWER)] * len(narrated)
    rows = _step(con, days, dataclasses.replace(settings, **{field: changed}))
    assert rows.kept == [] and _asked(server, sent) == narrated


@pytest.mark.parametrize("field", inputs.TRANSPORT)
def test_how_the_model_is_reached_keeps_the_narratives(warehouse, server, tmp_path: Path,
                                                        field: str) -> None:
    con, days = warehouse
    settings = _settings(server)
    value = getattr(settings, field)
    changed = {"host": server.url.replace("127.0.0.1", "localhost"),
               "keep_alive": "1m", "num_gpu": 3}.get(
        field, value * 2 + 1 if isinstance(value, (int, float)) else value)
    sent = len(server.requests)
    rows = _step(con, days, dataclasses.replace(settings, **{field: changed}))
    assert len(server.requests) == sent and rows.kept == _narrated(con)


def test_another_version_of_the_code_asks_every_day_again(warehouse, server, tmp_path: Path,
                                                          monkeypatch) -> None:
    con, days = warehouse
    settings = _settings(server)
    monkeypatch.setattr(inputs, "_CODE", inputs._CODE + b"edited")
    sent = len(server.requests)
    assert _step(con, days, settings).kept == []
    assert _asked(server, sent) == _narrated(con)


def test_every_setting_is_either_hashed_or_only_reaches_the_model() -> None:
    fields = {f.name for f in dataclasses.fields(LLMSettings)}
    assert set(inputs.ANSWER_SETTINGS) | set(inputs.TRANSPORT) == fields
    assert not set(inputs.ANSWER_SETTINGS) & set(inputs.TRANSPORT)


def _imports(path: Path) -> set[Path]:
    """The library modules ``path`` imports (at the top or inside a function)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                 else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        for name in names:
            if name.startswith("chimera_pipeline.lib."):
                parts = name.split(".")[2:]
                module = LIB.joinpath(*parts)
                found.add(module.with_suffix(".py") if module.with_suffix(".py").exists()
                          else module / "__init__.py")
                if isinstance(node, ast.ImportFrom):  # ``from package import module``
                    found |= {module / f"{a.name}.py" for a in node.names
                              if (module / f"{a.name}.py").exists()}
    return found


def test_the_hashed_code_is_every_module_the_llm_step_imports() -> None:
    covered = set()
    for source in inputs.CODE_SOURCES:
        path = LIB / source
        covered |= set(path.rglob("*.py")) if path.is_dir() else {path}
    todo, seen = list((LIB / "llm").glob("*.py")), set()
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += _imports(module)
    assert seen - covered == set()
    assert LIB / "facts" / "model.py" in seen  # the walk follows imports out of ``llm``
