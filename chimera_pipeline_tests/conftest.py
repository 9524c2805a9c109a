"""Shared fixtures: the real corpus, isolated data dirs, and one pipeline run per session.

The real corpus is read from ``$CHIMERA_REAL_CORPUS`` or ``../shared/corpus/chimeraforge``.
Tests that need it skip with a reason when it is absent; ``.ci/run`` sets
``CHIMERA_REQUIRE_REAL_CORPUS=1`` so that in CI a missing corpus fails instead.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from chimera_pipeline.lib.settings import PROJECT_ROOT


def _real_corpus_path() -> Path:
    configured = os.environ.get("CHIMERA_REAL_CORPUS")
    return Path(configured) if configured else PROJECT_ROOT.parent / "shared/corpus/chimeraforge"


@pytest.fixture(scope="session")
def real_corpus() -> Path:
    path = _real_corpus_path()
    if not (path / "file_index.csv").is_file():
        message = f"real corpus not found at {path}; set CHIMERA_REAL_CORPUS"
        if os.environ.get("CHIMERA_REQUIRE_REAL_CORPUS"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def file_index(real_corpus: Path) -> list[dict[str, str]]:
    with (real_corpus / "file_index.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


# The embedded model is real in the tests; a small answer budget and context keep CI fast.
# Its 270M narrative is rarely grounded: reports are published with the numbers marked (the
# blocking grounding check has its own test, with the default threshold).
FAST_LLM = {"CHIMERA_LLM_BACKEND": "embedded", "CHIMERA_LLM_MAX_TOKENS": "96",
            "CHIMERA_LLM_MAX_CTX": "2048", "CHIMERA_LLM_SCHEMA_RETRIES": "0",
            "CHIMERA_GROUNDING_THRESHOLD": "0"}
LLM_TABLES = ("llm_calls", "llm_analyses", "report_claims", "stage_timings")


def chimera(args: list[str], env: dict[str, str], timeout: int = 900
            ) -> subprocess.CompletedProcess[str]:
    """Run the real ``chimera`` entry point in a subprocess with ``env`` overrides."""
    full_env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    full_env.update(FAST_LLM)
    full_env.update(env)
    return subprocess.run([sys.executable, "-m", "chimera_pipeline.cli", *args], env=full_env,
                          capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT)


@pytest.fixture(scope="session")
def real_run(real_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``chimera run`` over the whole real corpus, once per session (in-process steps)."""
    data_dir = tmp_path_factory.mktemp("real_run")
    env = {"CHIMERA_ARTIFACT_ROOT": str(real_corpus), "CHIMERA_DATA_DIR": str(data_dir)}
    result = chimera(["run", "--in-process"], env, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    return {"data_dir": data_dir, "env": env, "stdout": result.stdout,
            "warehouse": data_dir / "warehouse.duckdb"}


@pytest.fixture
def real_db(real_run: dict):
    con = duckdb.connect(str(real_run["warehouse"]), read_only=True)
    yield con
    con.close()


def table_snapshot(warehouse: Path, exclude: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every warehouse table's rows, sorted, for comparing two warehouses."""
    from chimera_pipeline.lib.schema import TABLES

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {name: sorted(con.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
                for name in TABLES if name not in exclude}
    finally:
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
