"""The Dagster instance the CLI and the tests use: ``$CHIMERA_DATA_DIR/dagster_home``.

Dagster reads only ``$DAGSTER_HOME/dagster.yaml`` and wants an absolute DAGSTER_HOME, so
the profile's ``dagster.yaml`` (the project's, or ``deploy/celery/``'s) is copied there
before any run: editing the file in the
repository is enough, with no manual step. A DAGSTER_HOME the user set explicitly wins.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from chimera_pipeline.deployment import profile
from chimera_pipeline.deployment.event_log import enable_event_batches
from chimera_pipeline.lib.config import Settings, load_settings


def prepare_dagster_home(settings: Settings) -> Path:
    """Point DAGSTER_HOME inside the data dir (unless set) and install dagster.yaml there."""
    home = settings.instance_home
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    enable_event_batches()
    target, source = home / "dagster.yaml", profile.instance_yaml()
    fresh = source and source.is_file()
    if fresh and (not target.exists() or target.read_bytes() != source.read_bytes()):
        shutil.copyfile(source, target)
    _initialise_storage()
    return home


def pool_limits() -> dict[str, int]:
    """``duckdb_writer`` is 1 (DuckDB has one writer); ``llm`` is the GPU slots behind Ollama."""
    return {"duckdb_writer": 1, "llm": load_settings().gpu_slots}


def _initialise_storage() -> None:
    """Create/migrate the storage once (before parallel runs race to do it) and set the pool
    limits: dagster.yaml can only give pools a default limit, so named limits are set here."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        if storage.supports_global_concurrency_limits:
            for pool, limit in pool_limits().items():
                storage.set_concurrency_slots(pool, limit)
