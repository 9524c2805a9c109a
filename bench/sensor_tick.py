"""What one ``new_artifacts`` sensor tick costs, next to ``chimera run``'s no-change check.

    .venv/bin/python bench/sensor_tick.py --files 104000 --tree real

Builds a tree (``real``: the real corpus replicated into dated run folders; ``generated``:
the package's generator), runs the whole graph once with ``chimera run`` (the LLM step
against the tests' local server that speaks Ollama's protocol, so 365 reports do not take
365 model calls), then measures on the settled tree, each three times:

- the walk alone (stat per file, no reads), the floor of any no-change check;
- ``chimera run`` when nothing changed (a process: start-up, walk, marker);
- a sensor tick as the code server evaluates it (definitions already loaded): the instance
  query for runs in flight, the walk, the marker;
- after one new file: the tick that plans and requests its day, then -- once that day's
  inventory and run are recorded by ``chimera run`` -- the tick that compares the tree and
  settles.

Writes ``bench/results/<date>_sensor_tick_<files>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from run_bench import PROJECT, RESULTS, _build_tree, _chimera, _probe  # noqa: E402

TICKS = """
import json, sys, time
import dagster as dg
from chimera_pipeline.definitions import defs
from chimera_pipeline.defs.automation.sensors import new_artifacts
from chimera_pipeline_tests.support import open_instance
defs()
cursor = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
out = []
with open_instance(sys.argv[1]) as instance:
    for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 3):
        began = time.perf_counter()
        result = new_artifacts(dg.build_sensor_context(instance=instance, cursor=cursor))
        seconds = time.perf_counter() - began
        skip = result.skip_reason.skip_message if result.skip_reason else None
        out.append({"seconds": round(seconds, 3), "skip": skip, "cursor": result.cursor,
                    "requests": [r.run_key for r in result.run_requests or []]})
        cursor = result.cursor
print(json.dumps(out))
"""


def _ticks(home: Path, env: dict[str, str], cursor: str | None = None, count: int = 3
           ) -> list[dict]:
    out = subprocess.run([sys.executable, "-c", TICKS, str(home), cursor or "", str(count)],
                         cwd=PROJECT, env={**_base_env(), **env}, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_400)
    parser.add_argument("--tree", choices=("real", "generated"), default="real")
    parser.add_argument("--corpus", type=Path, default=PROJECT.parent / "shared" / "corpus"
                        / "chimeraforge")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    from chimera_pipeline_tests.fake_ollama import FakeOllama

    work = Path(tempfile.mkdtemp(prefix="chimera_sensor_bench_"))
    root, data = work / "tree", work / "data"
    try:
        _build_tree(args.tree, root, args.files, args.corpus)
        with FakeOllama() as server:
            env = {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(data),
                   "CHIMERA_PARTITION_START": "2024-01-01", "CHIMERA_LLM_BACKEND": "ollama",
                   "OLLAMA_HOST": server.url}
            row: dict = {"files": args.files, "tree": args.tree,
                         "full_build": _chimera(["run"], env)}
            # the walk inside its process, as the tick's is (the CLI's figure includes start-up)
            row["walk"] = [_probe("walk", root)["inner_seconds"] for _ in range(3)]
            row["cli_no_change"] = [_chimera(["run"], env)["seconds"] for _ in range(3)]
            row["sensor_no_change"] = [t["seconds"] for t in _ticks(data / "dagster_home", env)]
            new = root / "reports" / "late" / "bench_20250105.csv"
            new.parent.mkdir(parents=True, exist_ok=True)
            new.write_text("model,decode_tps\ngemma3:1b,51.5\n")
            past = time.time() - 3600
            import os

            os.utime(new, (past, past))
            plan, seen = _ticks(data / "dagster_home", env, count=2)
            row["sensor_new_file"] = {"plan_s": plan["seconds"], "requests": plan["requests"],
                                      "same_state_s": seen["seconds"], "skip": seen["skip"]}
            row["cli_new_day"] = _chimera(["run"], env)  # the run the request would launch
            # the CLI settled the marker; a run from elsewhere would not have: forget it so
            # the tick compares the whole tree, as after a sensor- or UI-launched run
            for marker in data.glob("scan_cache/*.settled.*"):
                marker.unlink()
            settle, after = _ticks(data / "dagster_home", env, count=2)
            row["sensor_after_run"] = {"compare_and_settle_s": settle["seconds"],
                                       "skip": settle["skip"], "next_tick_s": after["seconds"],
                                       "next_skip": after["skip"]}
        row["cli_new_day"].pop("output", None)
        row["full_build"].pop("output", None)
        print(json.dumps(row, indent=1))
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"{dt.date.today()}_sensor_tick_{args.files}.json"
        out.write_text(json.dumps(row, indent=1) + "\n")
        print(f"wrote {out}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
