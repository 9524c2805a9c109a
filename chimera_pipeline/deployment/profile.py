"""Deployment profiles: ``local`` (the default: SQLite instance, steps on this machine),
``celery`` (PostgreSQL instance, steps on Celery workers through Redis) and ``k8s`` (the
Dagster Helm chart's instance, each step a pod through ``k8s_job_executor``).

The profile is one environment variable, ``CHIMERA_PROFILE``, so that every process of a
deployment — ``chimera run``, the webserver, the daemon and each worker — picks the same
instance file and the same executor without editing code. Each profile is a folder of YAML
the user can read: the instance (``dagster.yaml``) and, for Celery, the worker/executor
settings (``celery.yaml``, in the shape ``dagster-celery worker start -y`` reads).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from chimera_pipeline.lib.config import PROJECT_ROOT, load_settings

DEPLOY = PROJECT_ROOT / "deploy"
# the instance file each profile installs into $DAGSTER_HOME (k8s: the Helm chart writes it)
PROFILES: dict[str, Path | None] = {"local": PROJECT_ROOT / "dagster.yaml",
                                    "celery": DEPLOY / "celery" / "dagster.yaml", "k8s": None}
CELERY_YAML = DEPLOY / "celery" / "celery.yaml"
K8S_RUN_CONFIG = DEPLOY / "k8s" / "run_config.yaml"


def current() -> str:
    """The profile named by ``CHIMERA_PROFILE`` (the registry checks it and, for celery, that
    its services are configured)."""
    return load_settings().profile


def instance_yaml() -> Path | None:
    """The ``dagster.yaml`` to install into ``$DAGSTER_HOME`` for the current profile."""
    return PROFILES[current()]


def celery_executor_config() -> dict:
    """The ``celery`` executor's config block, as the workers read it from ``celery.yaml``.

    Workers and the run's orchestrator must agree on broker, backend and Celery settings;
    reading both from one file keeps them from drifting apart.
    """
    return _execution_config(CELERY_YAML)


def _execution_config(path: Path) -> dict:
    parsed = yaml.safe_load(path.read_text()) or {}
    return dict(parsed.get("execution", {}).get("config", {}))


def run_config_execution(in_process: bool = True) -> dict:
    """The ``execution`` block of a run for the current profile."""
    if current() == "celery":
        return {"config": {"celery": celery_executor_config()}}
    if current() == "k8s":
        return {"config": _execution_config(K8S_RUN_CONFIG)}
    if in_process:
        return {"config": {"in_process": {}}}
    forkserver = {"forkserver": {"preload_modules": ["chimera_pipeline.deployment.preload"]}}
    return {"config": {"multiprocess": {"max_concurrent": 4, "start_method": forkserver}}}
