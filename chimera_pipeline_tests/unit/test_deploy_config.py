"""Deployment files that cannot run here (no cluster), checked as far as they can be:
the profiles' run config validates against the real job, the step tags parse the way
dagster-celery and dagster-k8s read them, and a bad profile fails in one line."""

from __future__ import annotations

import json

import dagster as dg
import pytest
import yaml
from dagster._core.execution.api import create_execution_plan
from dagster_k8s.container_context import K8sContainerContext
from dagster_k8s.job import UserDefinedDagsterK8sConfig, get_user_defined_k8s_config

from chimera_pipeline.cli.run import benchmark_job
from chimera_pipeline.deployment import profile
from chimera_pipeline.lib.config import SettingsError
from chimera_pipeline.lib.config.validate import validate

CELERY_ENV = {"DAGSTER_POSTGRES_URL": "postgresql+psycopg2://u:p@db:5432/dagster",
              "CHIMERA_CELERY_BROKER": "redis://redis:6379/0",
              "CHIMERA_CELERY_BACKEND": "redis://redis:6379/1"}


@pytest.fixture(scope="module")
def plan_steps() -> dict:
    job = benchmark_job()
    plan = create_execution_plan(dg.reconstructable(benchmark_job),
                                 run_config={"execution": {"config": {"in_process": {}}}})
    assert job.executor_def.name == "chimera"
    return {step.key: step.tags for step in plan.steps}


@pytest.mark.parametrize("name", ["local", "celery", "k8s"])
def test_each_profile_run_config_validates_against_the_job(name, monkeypatch) -> None:
    monkeypatch.setenv("CHIMERA_PROFILE", name)
    for key, value in CELERY_ENV.items():
        monkeypatch.setenv(key, value)
    execution = profile.run_config_execution(in_process=False)
    assert list(execution["config"]) == [{"local": "multiprocess"}.get(name, name)]
    result = dg.validate_run_config(benchmark_job(), {"execution": execution})
    (chosen,) = result["execution"]["chimera"]  # defaults filled in: the config was read
    assert chosen == list(execution["config"])[0]
    assert "retries" in result["execution"]["chimera"][chosen]


def test_an_unknown_executor_is_refused_by_the_job() -> None:
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(benchmark_job(), {"execution": {"config": {"dask": {}}}})


def test_only_llm_analysis_goes_to_the_gpu_queue(plan_steps: dict) -> None:
    queues = {key: tags.get("dagster-celery/queue", "dagster") for key, tags in plan_steps.items()}
    assert queues.pop("llm_analysis") == "gpu"
    assert set(queues.values()) == {"dagster"} and "benchmark_report" in queues


def test_k8s_step_pods_get_cpu_limits_and_only_the_llm_step_a_gpu(plan_steps: dict) -> None:
    executor = profile._execution_config(profile.K8S_RUN_CONFIG)["k8s"]
    base = K8sContainerContext(run_k8s_config=UserDefinedDagsterK8sConfig.from_dict(
        executor["step_k8s_config"]))
    for key, tags in plan_steps.items():
        merged = base.merge(K8sContainerContext(
            run_k8s_config=get_user_defined_k8s_config(tags)))  # as k8s_job_executor does
        limits = merged.run_k8s_config.container_config["resources"]["limits"]
        assert limits["cpu"] == "2", key
        assert limits.get("nvidia.com/gpu") == ("1" if key == "llm_analysis" else None), key


def test_helm_values_select_the_k8s_profile_and_share_the_data_volume() -> None:
    values = yaml.safe_load((profile.DEPLOY / "k8s" / "values.yaml").read_text())
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert {"name": "CHIMERA_PROFILE", "value": "k8s"} in deployment["env"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "chimera_pipeline.definitions"]
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    claim = json.dumps(launcher["volumes"])
    assert "chimera-data" in claim and claim == json.dumps(deployment["volumes"])


@pytest.mark.parametrize(("env", "message"), [
    ({"CHIMERA_PROFILE": "swarm"}, "is not a profile"),
    ({"CHIMERA_PROFILE": "celery", "DAGSTER_POSTGRES_URL": ""}, "needs DAGSTER_POSTGRES_URL"),
    ({"CHIMERA_PROFILE": "celery", "DAGSTER_POSTGRES_URL": "postgresql://u@db/dagster"},
     "postgresql+psycopg2://"),
    ({"CHIMERA_PROFILE": "celery", "CHIMERA_CELERY_BROKER": ""}, "needs CHIMERA_CELERY_BROKER"),
    ({"CHIMERA_CELERY_LOST_AFTER_S": "0"}, "CHIMERA_CELERY_LOST_AFTER_S"),
])
def test_a_bad_profile_fails_before_any_work(env, message, monkeypatch) -> None:
    for key, value in {**CELERY_ENV, **env}.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError, match=message.replace("+", r"\+")):
        validate(check_paths=False)


def test_definitions_load_without_the_scaleout_extra() -> None:
    """A local install has no dagster-celery/dagster-k8s: the code location must still load,
    offering the local executors (the main command runs on such an install)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "for name in ('dagster_celery', 'dagster_k8s', 'celery', 'kubernetes'):\n"
            "    sys.modules[name] = None  # import fails as if not installed\n"
            "from chimera_pipeline.cli.run import benchmark_job\n"
            "from chimera_pipeline.defs.execution.executor import SCALEOUT\n"
            "job = benchmark_job()\n"
            "print(job.executor_def.name, sorted(SCALEOUT))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("chimera []")
