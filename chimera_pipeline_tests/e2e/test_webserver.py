"""The real Dagster webserver loads the project's workspace: assets, lineage, partitions,
schedule, sensor and every asset check, asserted through GraphQL."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from chimera_pipeline.lib.config import PROJECT_ROOT
from chimera_pipeline_tests.support import free_port, stop_process_group

QUERY = """
{
  assetNodes { assetKey { path } dependencyKeys { path } partitionDefinition { type }
               assetChecksOrError { ... on AssetChecks { checks { name } } } }
  repositoriesOrError { ... on RepositoryConnection { nodes {
      schedules { name cronSchedule executionTimezone }
      sensors { name } } } }
}
"""


def _post(url: str, query: str) -> dict:
    request = urllib.request.Request(url, data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def webserver(tmp_path):
    port = free_port()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_bytes((PROJECT_ROOT / "dagster.yaml").read_bytes())
    env = {**os.environ, "DAGSTER_HOME": str(home), "CHIMERA_DATA_DIR": str(tmp_path)}
    webserver = Path(sys.executable).with_name("dagster-webserver")
    process = subprocess.Popen(
        [str(webserver), "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1",
         "-p", str(port)], cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.time() > deadline:
                    raise RuntimeError("the webserver did not start") from None
                time.sleep(1)
        yield f"{url}/graphql"
    finally:
        stop_process_group(process)


def test_ui_shows_assets_lineage_partitions_automation_and_checks(webserver) -> None:
    data = None
    for _ in range(60):  # the code location loads in the background
        data = _post(webserver, QUERY)["data"]
        if data["assetNodes"]:
            break
        time.sleep(1)
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert set(nodes) == {"artifact_inventory", "benchmark_metrics", "benchmark_facts",
                          "llm_analysis", "benchmark_report"}
    edges = {(name, "/".join(d["path"])) for name, n in nodes.items()
             for d in n["dependencyKeys"]}
    assert edges == {("benchmark_metrics", "artifact_inventory"),
                     ("benchmark_facts", "benchmark_metrics"),
                     ("llm_analysis", "benchmark_facts"),
                     ("benchmark_report", "llm_analysis")}
    assert {n["partitionDefinition"]["type"] for n in nodes.values()} == {"TIME_WINDOW"}
    checks = {c["name"] for n in nodes.values() for c in n["assetChecksOrError"]["checks"]}
    assert checks == {"artifact_files_schema_and_rows", "metrics_schema_and_values",
                      "llm_runs_error_rate", "facts_cover_every_day",
                      "latest_partition_freshness", "no_performance_regressions",
                      "grounding_rate", "reports_written"}
    repo = data["repositoriesOrError"]["nodes"][0]
    assert [(s["name"], s["cronSchedule"]) for s in repo["schedules"]] == [
        ("nightly_benchmarks", "0 2 * * *")]
    assert [s["name"] for s in repo["sensors"]] == ["new_artifacts"]
