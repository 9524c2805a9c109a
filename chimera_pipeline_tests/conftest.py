"""Shared fixtures: the real corpus, one pipeline run per session, and the test lanes.

Tests under ``unit/`` are the fast lane (``bash scripts/test.sh --fast``: no real chimera run
of the pipeline, no Dagster daemon, no services); every test under ``e2e/`` gets the ``e2e``
marker. The real corpus is read from ``$CHIMERA_REAL_CORPUS`` or
``../shared/corpus/chimeraforge``. Tests that need it skip with a reason when it is absent;
``.ci/run`` sets ``CHIMERA_REQUIRE_REAL_CORPUS=1`` so that in CI a missing corpus fails
instead.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from chimera_pipeline.lib.config import load_settings
from chimera_pipeline_tests.support import REAL_CORPUS_ROOTS, chimera

E2E = Path(__file__).parent / "e2e"
TOOLS_ROOTS = "llama-bench,llmperf,vllm,guidellm,genai-perf,ollama"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


def _shared_corpus(path: Path, marker: str, what: str, variable: str) -> Path:
    """A corpus under ../shared: skipped when absent, a failure in CI."""
    if not (path / marker).is_file():
        message = f"{what} not found at {path}; set {variable}"
        if load_settings().require_real_corpus:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def real_corpus() -> Path:
    return _shared_corpus(load_settings().real_corpus, "file_index.csv", "real corpus",
                          "CHIMERA_REAL_CORPUS")


@pytest.fixture(scope="session")
def tools_corpus() -> Path:
    """Real outputs of other benchmark tools (``$CHIMERA_TOOLS_CORPUS``)."""
    return _shared_corpus(load_settings().tools_corpus, "MANIFEST.md",
                          "benchmark tools corpus", "CHIMERA_TOOLS_CORPUS")


@pytest.fixture(scope="session")
def tools_run(tools_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``chimera run`` over the benchmark tools corpus, once per session (the tools corpus
    tests and the sweep tests read it)."""
    from chimera_pipeline_tests.fake_ollama import FakeOllama

    data_dir = tmp_path_factory.mktemp("tools_run")
    # the LLM step is not what these tests are about: a local server that speaks Ollama's
    # protocol answers at once, so 22 days do not cost 22 CPU generations
    with FakeOllama() as server:
        env = {"CHIMERA_ARTIFACT_ROOT": str(tools_corpus), "CHIMERA_DATA_DIR": str(data_dir),
               "CHIMERA_SCAN_ROOTS": TOOLS_ROOTS, "CHIMERA_LLM_BACKEND": "ollama",
               "OLLAMA_HOST": server.url}
        result = chimera(["run", "--in-process"], env, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    return {"data_dir": data_dir, "con": duckdb.connect(str(data_dir / "warehouse.duckdb"),
                                                        read_only=True)}


@pytest.fixture
def con():
    """An empty warehouse in memory, with every table."""
    from chimera_pipeline.lib.store.warehouse import ensure_schema

    connection = duckdb.connect(":memory:")
    ensure_schema(connection)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def file_index(real_corpus: Path) -> list[dict[str, str]]:
    with (real_corpus / "file_index.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def real_run(real_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``chimera run`` over the whole real corpus, once per session (in-process steps)."""
    data_dir = tmp_path_factory.mktemp("real_run")
    env = {"CHIMERA_ARTIFACT_ROOT": str(real_corpus),
           "CHIMERA_SCAN_ROOTS": REAL_CORPUS_ROOTS, "CHIMERA_DATA_DIR": str(data_dir)}
    result = chimera(["run", "--in-process"], env, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    return {"data_dir": data_dir, "env": env, "stdout": result.stdout,
            "warehouse": data_dir / "warehouse.duckdb"}


@pytest.fixture
def real_db(real_run: dict):
    con = duckdb.connect(str(real_run["warehouse"]), read_only=True)
    yield con
    con.close()


@pytest.fixture
def spawned_pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker count of every process pool started while the test runs (pools are still
    real: ``ProcessPoolExecutor`` is only wrapped to record its size)."""
    import concurrent.futures as futures

    spawned: list[int] = []
    original = futures.ProcessPoolExecutor

    class CountingPool(original):
        def __init__(self, workers: int, **kwargs: object) -> None:
            spawned.append(workers)
            super().__init__(workers, **kwargs)

    monkeypatch.setattr(futures, "ProcessPoolExecutor", CountingPool)
    return spawned
