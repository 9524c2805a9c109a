"""A night that arrives late, through the whole pipeline with the embedded model: how many
LLM calls, and how long, the run that takes it in costs.

    python bench/late_night.py CORPUS --nights 30 --out FILE [--code CHECKOUT]

Each night is the real corpus's Ollama prompt-suite runs of one day (every run folder of
``reports/ollama`` whose name holds ``--source-day``), copied under the night's date (in the
folder name and every timestamp) with one number changed per copy (``replicate.unique_copy``).
The first run takes every night but one (a third of the way in); the second, once it
arrives. The nights after it are judged again; the figures are the second run's seconds,
its LLM calls and the days whose facts and narratives it kept. ``--code`` runs another
checkout's ``chimera`` (the same virtual environment) for an A/B on one machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replicate import unique_copy  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _sources(corpus: Path, source_day: str) -> list[tuple[str, bytes]]:
    stamp = source_day.replace("-", "")
    found = [(str(p.relative_to(corpus / "reports" / "ollama")), p.read_bytes())
             for p in sorted((corpus / "reports" / "ollama").glob(f"{stamp}-*/*")) if p.is_file()]
    if not found:
        raise SystemExit(f"no run folder of {source_day} under {corpus}/reports/ollama")
    return found


def _write_night(root: Path, sources: list[tuple[str, bytes]], source_day: str,
                 night: dt.date, copy: int) -> int:
    for relative, data in sources:
        target = root / "reports" / "ollama" / relative.replace(
            source_day.replace("-", ""), f"{night:%Y%m%d}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(unique_copy(data.replace(source_day.encode(),
                                                    night.isoformat().encode()), copy))
    return len(sources)


def _run(code: Path, env: dict[str, str]) -> tuple[float, str]:
    began = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "chimera_pipeline.cli", "run"], cwd=code,
                            env=env, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - began
    if result.returncode:
        raise SystemExit(f"chimera run failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return seconds, result.stdout


def _narratives(data: Path) -> dict[str, str]:
    """Each narrated day's call id: a day whose id a run left as it was kept its narrative."""
    import duckdb

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return dict(con.execute("SELECT partition, call_id FROM llm_calls").fetchall())


def _stages(data: Path, run_prefix: str) -> dict[str, dict]:
    """Per stage of the run whose id starts with ``run_prefix``: its days and seconds."""
    import duckdb

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT stage, count(*), max(seconds) FROM stage_timings "
                           "WHERE starts_with(run_id, ?) GROUP BY stage", [run_prefix]).fetchall()
    return {stage: {"days": days, "seconds": round(seconds, 1)} for stage, days, seconds in rows}


def _days_of(data: Path, run_prefix: str) -> set[str]:
    import duckdb

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return {r[0] for r in con.execute(
            "SELECT partition FROM stage_timings WHERE stage = 'analysis' AND "
            "starts_with(run_id, ?)", [run_prefix]).fetchall()}


def _calls_since(data: Path, since: dt.datetime) -> tuple[int, float]:
    import duckdb

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        count, seconds = con.execute(
            "SELECT count(*), coalesce(sum(total_s), 0) FROM llm_calls WHERE started_at >= ?",
            [since.replace(tzinfo=None)]).fetchone()
    return count, round(seconds, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--source-day", default="2025-10-08")
    parser.add_argument("--code", type=Path, default=ROOT)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    sources = _sources(args.corpus, args.source_day)
    first = dt.date(2025, 3, 1)
    late = args.nights // 3
    with tempfile.TemporaryDirectory(prefix="chimera_late_") as folder:
        root, data = Path(folder) / "tree", Path(folder) / "data"
        env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
        env.update({"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(data),
                    "CHIMERA_LLM_BACKEND": "embedded"})
        for i in range(args.nights):
            if i != late:
                _write_night(root, sources, args.source_day, first + dt.timedelta(i), i)
        first_run, _ = _run(args.code, env)
        _write_night(root, sources, args.source_day, first + dt.timedelta(late), late)
        before, since = _narratives(data), dt.datetime.now(dt.UTC)
        seconds, output = _run(args.code, env)
        after = _narratives(data)
        calls, llm_seconds = _calls_since(data, since)
        run_id = re.findall(r"\(run (\w+)\)", output)[-1]
        row = {"code": str(args.code), "nights": args.nights,
               "files_per_night": len(sources), "first_run_s": round(first_run, 1),
               "late_run_s": round(seconds, 1), "late_run_llm_calls": calls,
               "late_run_llm_seconds": llm_seconds, "days_narrated": len(after),
               "late_run_stages": _stages(data, run_id),
               # of the days the late run took to the LLM step, those not asked again
               "narratives_kept": sum(before.get(d) == c for d, c in after.items()
                                      if d in _days_of(data, run_id)),
               "run_line": [line for line in output.splitlines() if ": ok in" in line]}
    print(json.dumps(row), flush=True)
    if args.out:
        machine = {"cpus": len(os.sched_getaffinity(0)), "python": platform.python_version(),
                   "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        args.out.write_text(json.dumps({"machine": machine, "rows": [row]}, indent=1) + "\n")


if __name__ == "__main__":
    main()
