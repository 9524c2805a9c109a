"""A day whose facts, findings and narrative settings are those its stored narrative was
written from keeps the narrative (``llm.inputs``) and the model is not asked again; a change
to any of them, or a narrative's rows lost since, asks again. The model is the local server
that speaks Ollama's protocol, so each request it receives is a call the step made."""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import json
import re
from pathlib import Path

import duckdb
import pytest

from chimera_pipeline.lib.common.code import LIB
from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.facts.regression import Params
from chimera_pipeline.lib.findings.build import stage_facts, write_staged
from chimera_pipeline.lib.llm import inputs
from chimera_pipeline.lib.llm import rows as llm_rows
from chimera_pipeline.lib.llm.rows import TABLES, AnalysisRows, DayFailed
from chimera_pipeline.lib.llm.settings import LLMSettings
from chimera_pipeline.lib.llm.step import analyse_and_write
from chimera_pipeline_tests.fake_ollama import GERMAN_ANSWER, FakeOllama
from chimera_pipeline_tests.support import stepped_requests, warehouse_copy

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
    with warehouse_copy(path, tmp_path) as con:
        yield con, days


def _step(con: duckdb.DuckDBPyConnection, days: list[str], settings: LLMSettings,
          reuse: bool = True) -> AnalysisRows:
    """The LLM step as the asset runs it (``llm.step``), on this connection."""
    return analyse_and_write(lambda: contextlib.nullcontext(con), days, settings,
                             Path("/nonexistent"), reuse=reuse, log=lambda message: None)


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
    "UPDATE llm_calls SET call_id = 'other' WHERE partition = $day",
    "INSERT INTO llm_analyses SELECT * REPLACE ('x' AS call_id) FROM llm_analyses "
    "WHERE partition = $day",
    # a second digest whose call is gone: the day holds two digests all the same
    "INSERT INTO analysis_inputs SELECT * REPLACE ('gone' AS call_id, 'other' AS digest) "
    "FROM analysis_inputs WHERE partition = $day",
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
               "language": "de", "mark_unverified": not value, "schema_retries": value + 1 if isinstance(value, int) else 3,
               "options": {**settings.options, "temperature": 0.5}}[field]
    assert changed != value
    sent = len(server.requests)
    if field == "language":  # answered in it, not asked again for the language
        server.answers = [json.dumps(GERMAN_ANSWER)] * len(narrated)
    try:
        rows = _step(con, days, dataclasses.replace(settings, **{field: changed}))
    finally:
        server.answers = []  # the module's server: none left for the next test
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


def test_another_token_counter_asks_every_day_again(warehouse, server, monkeypatch) -> None:
    """The counter sizes the context and trims the findings: exact (the embedded model's
    tokenizer) where its file loads, estimated where it does not, on another worker."""
    con, days = warehouse
    counter, _ = llm_rows.token_counter(_settings(server), Path("/nonexistent"))
    monkeypatch.setattr(llm_rows, "token_counter",
                        lambda *args: (counter, "tokenizer of gemma3.gguf (1 bytes)"))
    sent = len(server.requests)
    assert _step(con, days, _settings(server)).kept == []
    assert _asked(server, sent) == _narrated(con)


def test_auto_choosing_another_backend_asks_again(warehouse, server) -> None:
    """Written by Ollama (``auto`` found it); with the server gone, ``auto`` chooses the
    embedded model, which must write the narratives again, not keep Ollama's (here it has no
    model file: the step fails, asking, instead of keeping them)."""
    con, days = warehouse
    auto = dataclasses.replace(_settings(server), backend="auto")
    _step(con, days, auto, reuse=False)
    assert _step(con, days, auto).kept == _narrated(con)  # still there: kept
    gone = dataclasses.replace(auto, host="http://127.0.0.1:9")
    with pytest.raises(DayFailed, match="absent.gguf"):
        _step(con, days, gone)


def test_a_day_that_fails_keeps_the_days_before_it_written(warehouse, server) -> None:
    """A call that fails for good on the third day asked: the two before it are written
    (a rerun does not ask them again), the failed day and those after it keep their rows."""
    con, days = warehouse
    before = dict(con.execute("SELECT partition, call_id FROM llm_calls").fetchall())
    narrated = _narrated(con)
    server.script = ["ok", "ok", "404"]  # a model that is not pulled: not retried
    try:
        with pytest.raises(DayFailed, match=narrated[2]):
            _step(con, days, _settings(server), reuse=False)
    finally:
        server.script = []
    after = dict(con.execute("SELECT partition, call_id FROM llm_calls").fetchall())
    assert [d for d in narrated if after[d] != before[d]] == narrated[:2]
    assert sorted(inputs.stored(con, days)) == narrated  # every day's digest holds
    sent = len(server.requests)
    assert _step(con, days, _settings(server)).kept == narrated  # and nothing is asked
    assert len(server.requests) == sent


def test_a_model_file_llama_cpp_cannot_load_fails_the_day_it_was_asked_for(
        warehouse, server, tmp_path: Path) -> None:
    """A GGUF that is not one (truncated, another file): llama.cpp's own ValueError becomes
    the step's DayFailed, naming the day, and the days before it are written."""
    con, days = warehouse
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    embedded = dataclasses.replace(_settings(server), backend="embedded",
                                   embedded_model_path=broken)
    with pytest.raises(DayFailed, match=_narrated(con)[0]):
        _step(con, days, embedded, reuse=False)


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
    lists = (inputs.ANSWER_SETTINGS, inputs.RESOLVED, inputs.TRANSPORT)
    assert set().union(*lists) == fields and sum(map(len, lists)) == len(fields)


def test_the_model_file_is_known_by_its_name_and_size(tmp_path: Path) -> None:
    """Hashed as what it resolves to: the same GGUF elsewhere keeps the narratives, another
    file under the same name does not, nor another token counter."""
    from chimera_pipeline.lib.llm.embedded_backend import EmbeddedBackend

    settings = dataclasses.replace(LLMSettings.from_config(load_settings({})),
                                   backend="embedded")
    files = {}
    for folder, body in (("a", b"gguf"), ("b", b"gguf"), ("c", b"other")):
        files[folder] = tmp_path / folder / "gemma3.gguf"
        files[folder].parent.mkdir()
        files[folder].write_bytes(body)

    def version(folder: str, counted: str = "3 characters a token") -> str:
        backend = EmbeddedBackend(files[folder], seed=1)
        return inputs.narrative_version(dataclasses.replace(
            settings, embedded_model_path=files[folder]), llm_rows._resolved(backend, counted))

    assert version("a") == version("b") != version("c")
    assert version("a") != version("a", "tokenizer of gemma3.gguf (4 bytes)")


def _module(name: str) -> set[Path]:
    """The file of library module ``name`` (dotted, from ``chimera_pipeline.lib``): a
    package's is its ``__init__`` (what ``from package import name`` reads). The packages
    around a module are not followed: importing runs them, but what the module's code calls
    is the module and what it imports."""
    module = LIB.joinpath(*name.split(".")[2:])
    found = {module.with_suffix(".py"), module / "__init__.py"}
    return {path for path in found if path.exists()}


def _imports(path: Path, text: str | None = None) -> set[Path]:
    """The library modules ``path`` imports: at the top or inside a function, absolute or
    relative, ``import a.b``, ``from a.b import c`` and ``from a import b`` (a module)."""
    package = "chimera_pipeline.lib." + ".".join(path.relative_to(LIB).parent.parts)
    found = set()
    for node in ast.walk(ast.parse(path.read_text() if text is None else text)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package, ``level - 1`` up
                anchor = package.rstrip(".").split(".")
                base = ".".join(anchor[:len(anchor) - node.level + 1] + ([base] if base else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith("chimera_pipeline.lib.") or name == "chimera_pipeline.lib":
                found |= _module(name) if name != "chimera_pipeline.lib" else set()
    return found


# the step's reads and writes of the warehouse: not what a narrative is made of
NOT_NARRATIVE = {LIB / "llm" / "step.py"}


def test_the_hashed_code_is_every_module_the_llm_step_imports() -> None:
    covered = set()
    for source in inputs.CODE_SOURCES:
        path = LIB / source
        covered |= set(path.rglob("*.py")) if path.is_dir() else {path}
    todo, seen = list(set((LIB / "llm").glob("*.py")) - NOT_NARRATIVE), set()
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += _imports(module)
    assert seen - covered == set()
    assert LIB / "facts" / "model.py" in seen  # the walk follows imports out of ``llm``


def test_the_import_walk_sees_every_form_of_import() -> None:
    """The walk above, attacked with each way a module can import another (a module of
    ``lib/llm`` that is not written anywhere: the walk is given its text)."""
    found = _imports(LIB / "llm" / "probe.py", (
        "import chimera_pipeline.lib.inventory.dating\n"
        "from chimera_pipeline.lib import formats\n"
        "from . import names\n"
        "from ..parsing import item\n"
        "def f():\n"
        "    from chimera_pipeline.lib.facts.history import History\n"))
    assert {LIB / "inventory" / "dating.py", LIB / "formats" / "__init__.py",
            LIB / "llm" / "names.py", LIB / "parsing" / "item.py",
            LIB / "facts" / "history.py"} <= found
