"""One executor for every deployment, chosen by run config.

Dagster's default executor offers ``in_process`` and ``multiprocess``; a job bound to
``celery_executor`` or ``k8s_job_executor`` offers only that one, so moving a deployment
would mean changing code. ``chimera_executor`` is a selector over all four: the same
definitions load on a laptop, a Celery worker and a Kubernetes pod, and the run config
(from ``CHIMERA_PROFILE``, the launchpad or a Helm values file) picks where steps run.
Celery and Kubernetes are offered when their libraries are installed (the ``scaleout``
extra), so a local install needs neither.
"""

from __future__ import annotations

import dagster as dg
from dagster._core.definitions.executor_definition import (
    IN_PROC_CONFIG,
    MULTI_PROC_CONFIG,
    _core_in_process_executor_creation,
    _core_multiprocess_executor_creation,
)
from dagster._core.executor.init import InitExecutorContext


def _scaleout() -> dict[str, dg.ExecutorDefinition]:
    found: dict[str, dg.ExecutorDefinition] = {}
    try:
        from dagster_celery import celery_executor

        found["celery"] = celery_executor
    except ImportError:
        pass
    try:
        from dagster_k8s import k8s_job_executor

        found["k8s"] = k8s_job_executor
    except ImportError:
        pass
    return found


SCALEOUT = _scaleout()


def _create_celery(config: dict) -> dg.Executor:
    from dagster._core.execution.retries import RetryMode

    from chimera_pipeline.deployment.celery_watch import WatchedCeleryExecutor

    return WatchedCeleryExecutor(
        broker=config.get("broker"), backend=config.get("backend"),
        config_source=config.get("config_source"), include=config.get("include"),
        retries=RetryMode.from_config(config["retries"]))


def _requirements(config: dict) -> list:
    if "in_process" in config:
        return []
    return dg.multiple_process_executor_requirements()


@dg.executor(
    name="chimera",
    config_schema=dg.Field(
        dg.Selector({"in_process": IN_PROC_CONFIG, "multiprocess": MULTI_PROC_CONFIG,
                     **{name: ex.config_schema.as_field() for name, ex in SCALEOUT.items()}}),
        default_value={"multiprocess": {}},
    ),
    requirements=_requirements,
)
def chimera_executor(init_context: InitExecutorContext) -> dg.Executor:
    ((name, config),) = init_context.executor_config.items()
    if name == "in_process":
        return _core_in_process_executor_creation(config)
    if name == "multiprocess":
        return _core_multiprocess_executor_creation(config)
    if name == "celery":
        return _create_celery(config)
    inner = InitExecutorContext(job=init_context.job, executor_def=SCALEOUT[name],
                                executor_config=config, instance=init_context.instance)
    return SCALEOUT[name].executor_creation_fn(inner)
