"""Benchmark: chimera_pipeline against the floor and the naive baseline, at 1k..100k files.

    .venv/bin/python bench/run_bench.py --sizes 1000 10000 100000

For each size it generates a tree with the package's corpus generator (the real corpus's
mix of kinds), then measures in one process tree, on the same machine:

- floor: walk the tree and read every byte, no parsing (and the walk alone, stat only);
- naive: what the original tool did: walk and parse every CSV/JSON fully into memory,
  store nothing;
- full build: ``chimera run --until benchmark_metrics`` on a fresh data dir (catalog, parse,
  warehouse for every partition);
- no-change re-run: the same command again;
- incremental re-run: after adding one new day holding ~1 % more files;
- typed floor: the naive parse plus trying every CSV cell / JSON leaf as a float and keeping
  it with its location (no units, checks or storage): the least a Python build can do;
- run overhead: Dagster's fixed cost of one run, a ``chimera run --force`` over one file;
- backfill: the first N days (``--backfill-days``, 30) as one run per day
  (``--per-partition``) and as one single run, so the per-run overhead of the per-partition
  way, and its cost over the whole year, can be stated next to the single-run full build;
- peak RSS of each: its own process (``wait4``) and its whole process tree (polled);
- the LLM step: prompt/output tokens and calls per report through the pipeline, and the
  embedded backend's decode tokens/s through the pipeline vs called directly.

It prints a table and writes ``bench/results/<date>_<host>.json``. Timings are wall-clock
on a shared machine: compare the ratios within one run, not numbers across runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results"
PROBES = Path(__file__).with_name("probes.py")
REPLICATE = Path(__file__).with_name("replicate.py")


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and every process below it (parse workers, step
    processes). Shared pages count once per process, so the sum errs high, never low."""
    total, stack, page_kb = 0, [pid], os.sysconf("SC_PAGE_SIZE") // 1024
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * page_kb
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    stack += map(int, handle.read().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


def _measured(command: list[str], env: dict[str, str] | None = None) -> dict:
    """Run a command; return wall seconds, its output, the peak RSS of its own process
    (``wait4``) and the peak of the whole process tree's summed RSS (polled every 50 ms:
    ``ru_maxrss`` reports one process, and a pool of parse workers is several)."""
    began = time.perf_counter()
    proc = subprocess.Popen(command, cwd=PROJECT, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak, done = [0], threading.Event()

    def poll() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    output = proc.stdout.read()
    done.set()
    poller.join()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - began
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{command} failed ({code}):\n{output[-3000:]}")
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "peak_tree_rss_mb": round(max(peak[0], usage.ru_maxrss) / 1024, 1),
            "output": output}


def _probe(kind: str, root: Path) -> dict:
    result = _measured([sys.executable, str(PROBES), kind, str(root)])
    result.update(json.loads(result.pop("output").strip().splitlines()[-1]))
    return result


def _chimera(args: list[str], env: dict[str, str]) -> dict:
    result = _measured([sys.executable, "-m", "chimera_pipeline.cli", *args], env)
    result["output"] = "\n".join(line for line in result["output"].splitlines()
                                  if line.startswith(("chimera:", "[")))
    return result


def _query(sql: str, env: dict[str, str]) -> list[list[str]]:
    """Rows of a read-only query, through ``chimera query`` in a child process: importing
    duckdb here would grow this process, and every later child's ru_maxrss with it."""
    import csv
    import io

    out = subprocess.run([sys.executable, "-m", "chimera_pipeline.cli", "query", sql],
                         cwd=PROJECT, env={**os.environ, **env}, capture_output=True,
                         text=True, check=True).stdout
    return list(csv.reader(io.StringIO(out)))[1:]  # prompts hold newlines: not splitlines


def _add_new_day(root: Path, share: float = 0.01) -> int:
    """Copy ~1 % of the files into a new day, 2026-01-15 (after every generated day), each
    changed by one byte so it is new content, not a duplicate."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".csv", ".json",
                                                                               ".md"))
    step = max(1, round(1 / share))
    added = 0
    for i, path in enumerate(files[::step]):
        stem = re.sub(r"\d+", "", path.stem)  # drop the original's date stamp from the name
        target = root / "reports" / "incoming_20260115" / f"{stem}_{i}_20260115{path.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes() + b"\n")
        added += 1
    return added


def _add_rerun_folder(root: Path, share: float = 0.01) -> int:
    """The +1 % a user meets: re-runs' folders of ~1 % of the files under their own names,
    one number changed in each (``replicate.unique_copy``). A name that states a date puts
    the copy on that old day, so several old days gain a file each, as when a user re-runs
    part of a sweep and drops the results beside the old ones. In a replicated tree
    (``replicate.py``: ``<top>/run_<day>_<copy>/...``) the re-runs are whole copies of the
    corpus, each in a folder ``rerun_20260115_<k>``; in a generated tree, every
    ``1 / share``-th file under ``<top>/rerun_20260115/``."""
    sys.path.insert(0, str(REPLICATE.parent))
    from replicate import unique_copy

    files = sorted(p for p in root.rglob("*") if p.is_file() and "rerun_" not in str(p))
    runs = sorted({p.relative_to(root).parts[1] for p in files
                   if len(p.relative_to(root).parts) > 2
                   and p.relative_to(root).parts[1].startswith("run_")})
    wanted = max(1, round(share * len(files)))
    written = 0
    if runs:
        copies = {}
        for path in files:
            parts = path.relative_to(root).parts
            if len(parts) > 2:
                copies.setdefault(parts[1], []).append(path)
        for k, run in enumerate(runs):
            if written >= wanted:
                break
            for path in copies[run]:
                parts = path.relative_to(root).parts
                target = root.joinpath(parts[0], f"rerun_20260115_{k}", *parts[2:])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(unique_copy(path.read_bytes(), 90_000 + k))
                written += 1
        return written
    step = max(1, round(1 / share))
    for i, path in enumerate(files[::step]):
        parts = path.relative_to(root).parts
        target = root.joinpath(parts[0], "rerun_20260115", *parts[1:])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(unique_copy(path.read_bytes(), 90_000 + i))
        written += 1
    return written


def _events(data: Path, runs: int) -> list[dict]:
    """Events Dagster wrote for the last ``runs`` runs (a child process: the parent stays
    small), with each run's partition range and worked days."""
    code = (
        "import json, sys\n"
        "import dagster as dg\n"
        "from dagster._core.instance.ref import InstanceRef\n"
        "instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(sys.argv[1]))\n"
        "out = []\n"
        "for run in instance.get_runs(limit=int(sys.argv[2])):\n"
        "    logs = instance.all_logs(run.run_id)\n"
        "    kinds = [e.dagster_event.event_type_value for e in logs if e.dagster_event]\n"
        "    out.append({'run': run.run_id[:8], 'events': len(logs),\n"
        "                'materializations': kinds.count('ASSET_MATERIALIZATION'),\n"
        "                'planned': kinds.count('ASSET_MATERIALIZATION_PLANNED'),\n"
        "                'tags': {k: v for k, v in run.tags.items() if k.startswith(\n"
        "                    ('dagster/asset_partition', 'dagster/partition', 'chimera/days'))}})\n"
        "print(json.dumps(out))\n")
    result = subprocess.run([sys.executable, "-c", code, str(data / "dagster_home"), str(runs)],
                            cwd=PROJECT, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _runs_of(output: str) -> tuple[int, int]:
    """(days, runs) a ``chimera run`` said it would do."""
    found = re.search(r"(\d+) benchmark day\(s\) in (\d+) run", output)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def bench_backfill(env: dict[str, str], data: Path, days: int) -> dict:
    """The same first ``days`` days, one run per day and one run for all of them."""
    found = [r[0] for r in _query("SELECT DISTINCT partition FROM artifact_files ORDER BY 1",
                                  env)]
    chosen = found[:days]
    span = ["--from", chosen[0], "--to", chosen[-1], "--until", "benchmark_metrics"]
    per_day = _chimera(["run", *span, "--per-partition"], env)
    single = _chimera(["run", *span], env)
    runs = [int(re.search(r"day\(s\) in (\d+) run", r["output"]).group(1))
            for r in (per_day, single)]
    overhead = (per_day["seconds"] - single["seconds"]) / max(1, runs[0] - runs[1])
    return {"days": len(chosen), "days_in_tree": len(found), "runs": runs,
            "per_partition": per_day, "single_run": single,
            "per_run_overhead_s": round(overhead, 3)}


def _build_tree(tree: str, root: Path, files: int, corpus: Path | None) -> None:
    """Write the ``tree`` kind of tree in a child process: the parent must stay small,
    because a child's ru_maxrss counts the parent's pages it was forked with, and that
    would inflate every peak RSS below."""
    if tree == "real":
        if corpus is None or not (corpus / "reports").is_dir():
            raise SystemExit(f"--real needs the real corpus (--corpus), not found: {corpus}")
        command = [sys.executable, str(REPLICATE), str(corpus), str(root), str(files)]
    else:
        command = [sys.executable, "-c", "import sys; from pathlib import Path; "
                   "from chimera_pipeline.lib.sample import write_corpus; "
                   "write_corpus(Path(sys.argv[1]), files=int(sys.argv[2]), seed=20, "
                   "tools=sys.argv[3] == 'mixed')", str(root), str(files), tree]
    subprocess.run(command, check=True, cwd=PROJECT, stdout=subprocess.DEVNULL)


def _numbers(env: dict[str, str]) -> int:
    return int(_query("SELECT count(*) FROM metric_values", env)[0][0])


def _stage_seconds(env: dict[str, str]) -> dict[str, float]:
    """Seconds per stage, summed over the runs of the build (one row per run and stage)."""
    rows = _query("SELECT stage, sum(seconds) FROM (SELECT DISTINCT run_id, stage, seconds "
                  "FROM stage_timings) GROUP BY 1 ORDER BY 1", env)
    return {stage: round(float(seconds), 2) for stage, seconds in rows}


def bench_size(files: int, workdir: Path, llm: bool, backfill_days: int = 30,
               tree: str = "generated", corpus: Path | None = None,
               until_stage: str = "benchmark_metrics") -> dict:
    """One tree of ``files`` files: ``generated`` (the package's corpus generator),
    ``mixed`` (the same with a quarter of its units other benchmark tools' outputs:
    llama-bench, vLLM, llmperf, GuideLLM, GenAI-Perf, Ollama logs and API responses) or
    ``real`` (the real corpus replicated into dated run folders, ``replicate.py``)."""
    root = workdir / f"tree_{files}_{tree}"
    began = time.perf_counter()
    _build_tree(tree, root, files, corpus)
    generated = time.perf_counter() - began
    size_mb = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20
    data = workdir / f"data_{files}_{tree}"
    env = {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(data),
           "CHIMERA_PARTITION_START": "2024-01-01"}
    env.pop("DAGSTER_HOME", None)
    until = ["run", "--until", until_stage]
    mixed = tree == "mixed"
    row: dict = {"files": files, "tree": tree, "until": until_stage,
                 "mb": round(size_mb, 1), "generate_s": round(generated, 1)}
    row["walk"] = _probe("walk", root)
    row["floor"] = _probe("floor", root)
    row["naive"] = _probe("naive", root)
    row["typed_floor"] = _probe("typed_floor", root)
    row["full"] = _chimera(until, env)
    row["numbers"] = _numbers(env)
    row["stage_seconds"] = _stage_seconds(env)
    if mixed:  # what the tools' readers made of their files
        row["tool_results"] = {tool: int(n) for tool, n in _query(
            "SELECT tool, count(*) FROM benchmark_results GROUP BY 1 ORDER BY 1", env)}
    row["no_change"] = _chimera(until, env)
    if mixed:  # the mixed tree is about reading the tools' formats: the build ratios
        return row
    row["added_files"] = _add_new_day(root)
    row["incremental"] = _chimera(until, env)  # the nightly case: nothing else ran since
    row["rerun_files"] = _add_rerun_folder(root)
    row["incremental_old_days"] = _chimera(until, env)  # the same share, onto old days
    days, runs = _runs_of(row["incremental_old_days"]["output"])
    row["incremental_old_days"].update(days=days, runs=runs, events=_events(data, runs))
    if backfill_days:  # explicit ranges: the next run compares the whole tree once
        row["backfill"] = bench_backfill(env, data, backfill_days)
    row["run_overhead"] = bench_overhead(root, workdir / f"one_file_{files}", until_stage)
    if llm:
        row["llm"] = bench_llm(root, data, env)
    return row


def _big_csv(workdir: Path, mb: int) -> dict:
    """One per-request CSV of ``mb`` MB ingested the way the metrics step does."""
    result = _measured([sys.executable, str(PROBES), "big_csv", json.dumps(
        {"root": str(workdir / "big_csv"), "mb": mb})])
    result.update(json.loads(result.pop("output").strip().splitlines()[-1]))
    shutil.rmtree(workdir / "big_csv", ignore_errors=True)
    return result


def bench_overhead(root: Path, workdir: Path, until_stage: str) -> dict:
    """Dagster's fixed cost of one run: ``chimera run --force`` on a tree of one small file
    (the second of two runs, so the instance and warehouse already exist)."""
    smallest = min((p for p in root.rglob("*.md") if p.is_file()), key=lambda p: p.stat().st_size)
    tree = workdir / "tree"
    (tree / "reports").mkdir(parents=True)
    shutil.copy(smallest, tree / "reports" / smallest.name)
    env = {"CHIMERA_ARTIFACT_ROOT": str(tree), "CHIMERA_DATA_DIR": str(workdir / "data"),
           "CHIMERA_PARTITION_START": "2000-01-01"}
    until = ["run", "--force", "--until", until_stage]
    _chimera(until, env)
    return _chimera(until, env)


def bench_llm(root: Path, data: Path, env: dict[str, str]) -> dict:
    """Two reports through the pipeline with the embedded model, and the same prompt direct."""
    llm_env = {**env, "CHIMERA_LLM_BACKEND": "embedded",
               "CHIMERA_LLM_MAX_TOKENS": os.environ.get("CHIMERA_LLM_MAX_TOKENS", "800")}
    days = [r[0] for r in _query("SELECT DISTINCT partition FROM artifact_files ORDER BY 1 "
                                 "LIMIT 2", env)]
    runs = _chimera(["run", *sum((["--date", d] for d in days), [])], llm_env)
    listed = ", ".join(f"'{d}'" for d in days)
    calls = [(r[0], int(r[1]), int(r[2]), float(r[3]), int(r[4]), int(r[5])) for r in _query(
        "SELECT partition, prompt_tokens, output_tokens, decode_tps, attempts, num_ctx FROM "
        f"llm_calls WHERE partition IN ({listed}) ORDER BY 1", env)]
    prompt = _query("SELECT system_prompt, user_prompt, prompt_format FROM llm_analyses "
                    f"WHERE partition = '{days[0]}'", env)[0]
    # like for like: the first day's prompt, context window and budget, called directly
    direct = _measured([sys.executable, str(PROBES), "direct_llm", json.dumps(
        {"system": prompt[0], "user": prompt[1], "prompt_format": prompt[2],
         "max_tokens": int(llm_env[
            "CHIMERA_LLM_MAX_TOKENS"]), "n_ctx": calls[0][5], "data_dir": str(data)})])
    direct.update(json.loads(direct.pop("output").strip().splitlines()[-1]))
    pipeline_tps = sum(c[3] for c in calls) / len(calls)
    return {"reports": len(days), "calls": len(calls), "seconds": runs["seconds"],
            "per_call": [{"day": c[0], "prompt_tokens": c[1], "output_tokens": c[2],
                          "decode_tps": round(c[3], 2), "attempts": c[4], "num_ctx": c[5]}
                         for c in calls],
            "pipeline_decode_tps": round(pipeline_tps, 2),
            "direct_decode_tps": round(direct["decode_tps"], 2),
            "direct_output_tokens": direct["output_tokens"],
            "pipeline_vs_direct": round(calls[0][3] / direct["decode_tps"], 3)}


def table(rows: list[dict]) -> str:
    lines = ["| files | tree | MB | measure | seconds | files/s | MB/s | × floor | × naive | "
             "peak RSS MB (process tree) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        floor, naive = row["floor"]["seconds"], row["naive"]["seconds"]
        for name in ("walk", "floor", "naive", "typed_floor", "full", "no_change",
                     "incremental", "incremental_old_days", "run_overhead"):
            if name not in row:
                continue
            m = row[name]
            s = m["seconds"]
            lines.append(f"| {row['files']} | {row.get('tree', 'generated')} | {row['mb']} | "
                         f"{name} | {s:.2f} | "
                         f"{row['files'] / s:,.0f} | {row['mb'] / s:,.1f} | {s / floor:.2f} | "
                         f"{s / naive:.2f} | {m.get('peak_tree_rss_mb', m['peak_rss_mb']):.0f} |")
    return "\n".join(lines)


def targets(row: dict) -> str:
    """The issue's ratios for one size, as measured in this run."""
    full, naive = row["full"]["seconds"], row["naive"]["seconds"]
    if "incremental" not in row:
        return (f"{row['files']} files ({row['tree']}): full build {full / naive:.1f} x naive, "
                f"{full / row['floor']['seconds']:.1f} x floor; no-change "
                f"{row['no_change']['seconds'] / row['walk']['seconds']:.2f} x walk")
    overhead, inc = row["run_overhead"]["seconds"], row["incremental"]["seconds"]
    tree = row.get("tree", "generated")
    return (f"{row['files']} files ({tree}): full build {full / naive:.1f} x naive "
            "(target 10; the "
            f"typed floor alone is {row['typed_floor']['seconds'] / naive:.1f} x); no-change "
            f"{row['no_change']['seconds'] / row['walk']['seconds']:.2f} x walk (target 2); "
            f"incremental {inc:.2f}s = {100 * inc / full:.1f} % of full, "
            f"{100 * max(inc - overhead, 0) / full:.1f} % net of the {overhead:.2f}s fixed "
            f"per-run overhead (target 5 %)" + _old_days(row, overhead, full))


def _old_days(row: dict, overhead: float, full: float) -> str:
    old = row.get("incremental_old_days")
    if not old:
        return ""
    return (f"; +1 % onto old days ({row['rerun_files']} files, {old['days']} stale day(s) in "
            f"{old['runs']} run(s)) {old['seconds']:.2f}s = {100 * old['seconds'] / full:.1f} %"
            f" of full (target: {overhead:.2f}s one-file run + 5 % = "
            f"{overhead + 0.05 * full:.2f}s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    parser.add_argument("--no-llm", action="store_true", help="skip the LLM measurements")
    parser.add_argument("--keep", action="store_true", help="keep the generated trees")
    parser.add_argument("--out", type=Path, default=None, help="results JSON path")
    parser.add_argument("--backfill-days", type=int, default=30,
                        help="days for the per-partition vs single-run backfill (0: skip)")
    parser.add_argument("--mixed", type=int, nargs="*", default=[],
                        help="sizes of trees mixing other benchmark tools' outputs in")
    parser.add_argument("--real", type=int, nargs="*", default=[],
                        help="sizes of trees replicating the real corpus (--corpus)")
    parser.add_argument("--corpus", type=Path, default=PROJECT.parent / "shared" / "corpus"
                        / "chimeraforge", help="the real corpus that --real replicates")
    parser.add_argument("--until", default="benchmark_facts",
                        help="the last stage the builds run (chimera run --until)")
    parser.add_argument("--big-csv-mb", type=int, default=0,
                        help="also ingest one per-request CSV of this many MB (0: skip)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="chimera_bench_"))
    try:
        rows = [bench_size(n, workdir, llm=not args.no_llm and i == 0,
                           backfill_days=args.backfill_days, until_stage=args.until)
                for i, n in enumerate(args.sizes)]
        rows += [bench_size(n, workdir, llm=False, backfill_days=0, tree="mixed",
                            until_stage=args.until) for n in args.mixed]
        rows += [bench_size(n, workdir, llm=False, backfill_days=0, tree="real",
                            corpus=args.corpus, until_stage=args.until) for n in args.real]
        big = _big_csv(workdir, args.big_csv_mb) if args.big_csv_mb else None
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(table(rows))
    for row in rows:
        print(targets(row))
    for row in rows:
        if "backfill" in row:
            b = row["backfill"]
            year = row["full"]["seconds"] + b["per_run_overhead_s"] * (b["days_in_tree"] - 1)
            print(f"{row['files']} files, backfill of {b['days']} days: {b['runs'][0]} runs "
                  f"(one per day) {b['per_partition']['seconds']:.1f}s, {b['runs'][1]} run "
                  f"{b['single_run']['seconds']:.1f}s; {b['per_run_overhead_s']:.2f}s per extra "
                  f"run, so all {b['days_in_tree']} days one run per day ~{year:.0f}s vs the "
                  f"single-run full build {row['full']['seconds']:.0f}s")
    for row in rows:
        if "llm" in row:
            print(json.dumps(row["llm"], indent=1))
    machine = {"host": socket.gethostname(), "cpus": os.cpu_count(),
               "python": platform.python_version(), "platform": platform.platform(),
               "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    out = args.out or RESULTS / f"{dt.date.today()}_{machine['host']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    if big:
        print(f"one {big['mb']} MB per-request CSV: {big['parse_seconds']:.1f}s, peak RSS "
              f"{big['peak_tree_rss_mb']:.0f} MB ({big['status']}, {big['rows']})")
    out.write_text(json.dumps({"machine": machine, "rows": rows, "big_csv": big}, indent=1,
                              default=str))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
