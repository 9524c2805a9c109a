"""``chimera``: run the pipeline through the Dagster instance from a terminal.

``chimera run`` finds the benchmark days under the artifact root and materializes the
whole asset graph for them as real Dagster runs (they show in the UI), one run per block
of consecutive days. ``chimera sample`` writes the deterministic sample corpus.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from chimera_pipeline.defs.check_window import PARTITION_TAG, RANGE_END, RANGE_START
from chimera_pipeline.lib import scan_snapshot, tree_state
from chimera_pipeline.lib.settings import Settings, SettingsError, load_settings
from chimera_pipeline.profile import run_config_execution
from chimera_pipeline.runs import launcher_tags, reap_dead_runs
from chimera_pipeline.worker import add_parser as add_worker_parser

BATCH_TAG = "chimera/batch"


def benchmark_job():
    """The job, rebuilt from the code location (``reconstructable`` needs a module-level fn)."""
    from chimera_pipeline.definitions import defs

    return defs().resolve_job_def("benchmark_job")


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from exc


def _run_config(in_process: bool) -> dict:
    """The profile's executor: in-process or multiprocess (local), or the Celery workers.
    Multiprocess uses a forkserver that has already imported dagster and the definitions:
    each step then forks in milliseconds instead of spending seconds on imports."""
    return {"execution": run_config_execution(in_process),
            "loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _tags(first: dt.date, last: dt.date, batch: str) -> dict[str, str]:
    if first == last:
        return {PARTITION_TAG: first.isoformat(), BATCH_TAG: batch}
    return {RANGE_START: first.isoformat(), RANGE_END: last.isoformat(), BATCH_TAG: batch}


def _follow_steps(instance, batch: str, stop: threading.Event) -> None:
    """Print each step as it finishes, so a long run shows progress (polled once a second:
    with several runs at once, tighter polling costs the SQLite instance more than it helps)."""
    import dagster as dg

    wanted = {dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    seen, run_id = 0, None
    while not stop.wait(1.0):
        if run_id is None:
            runs = instance.get_runs(filters=dg.RunsFilter(tags={BATCH_TAG: batch}), limit=1)
            run_id = runs[0].run_id if runs else None
            continue
        records = instance.all_logs(run_id, of_type=wanted)
        for record in records[seen:]:
            event = record.dagster_event
            verb = "done" if event.event_type == dg.DagsterEventType.STEP_SUCCESS else "FAILED"
            print(f"      step {event.step_key}: {verb}", flush=True)
        seen = len(records)


STAGES = ("artifact_inventory", "benchmark_metrics", "benchmark_facts", "llm_analysis",
          "benchmark_report")


def _execute(first: dt.date, last: dt.date, in_process: bool, until: str,
             snapshot: str | None = None) -> tuple[bool, str]:
    import dagster as dg

    instance = dg.DagsterInstance.get()
    batch = uuid.uuid4().hex
    stop = threading.Event()
    follower = threading.Thread(target=_follow_steps, args=(instance, batch, stop), daemon=True)
    follower.start()
    try:
        result = dg.execute_job(
            dg.reconstructable(benchmark_job), instance=instance,
            run_config=_run_config(in_process),
            tags={**_tags(first, last, batch), **launcher_tags(),
                  **({scan_snapshot.TAG: snapshot} if snapshot else {})},
            asset_selection=[dg.AssetKey(k) for k in STAGES[: STAGES.index(until) + 1]],
        )
    finally:
        stop.set()
        follower.join(timeout=2)
    return result.success, result.run_id


def _run_group(job: tuple[int, int, dt.date, dt.date, bool, str, str | None]) -> bool:
    """Execute one block of days as one Dagster run, printing progress around it."""
    i, total, first, last, in_process, until, snapshot = job
    label = first.isoformat() if first == last else f"{first}..{last}"
    print(f"[{i}/{total}] {label}", flush=True)
    t0 = time.perf_counter()
    ok, run_id = _execute(first, last, in_process, until, snapshot)
    print(f"[{i}/{total}] {label}: {'ok' if ok else 'FAILED'} in "
          f"{time.perf_counter() - t0:.1f}s (run {run_id[:8]})", flush=True)
    return ok


def _reap(home: Path) -> None:
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        for run_id in reap_dead_runs(instance):
            print(f"chimera: run {run_id[:8]} had died mid-step (process gone); marked failed "
                  f"and its pool slots freed ({home})")


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from chimera_pipeline.lib.run_plan import plan_run

    if not settings.artifact_root.is_dir():
        print(f"chimera: artifact root {settings.artifact_root} does not exist; "
              "set CHIMERA_ARTIFACT_ROOT", file=sys.stderr)
        return 2
    explicit = bool(args.date or args.date_from or args.date_to)
    marker, rank = settings.scan_cache.with_suffix(".settled.json"), STAGES.index(args.until)
    # a streamed walk, compared folder by folder with the last complete run's prints as it
    # goes: the no-change run's memory does not grow with the tree
    tree = None if explicit else tree_state.fingerprint(
        settings.artifact_root, settings.scan_roots, settings.extensions,
        salt=settings.partition_start, marker=marker)
    if tree and not args.force and tree_state.unchanged(marker, tree.digest, rank,
                                                        settings.warehouse_path):
        print("chimera: nothing changed since the last run (same files, warehouse untouched); "
              "--force runs every day anyway\nchimera: no benchmark days to run")
        return 0
    plan = plan_run(settings, dates=list(args.date or ()), date_from=args.date_from,
                    date_to=args.date_to, until=args.until, force=args.force, tree=tree,
                    marker=marker, rank=rank)  # before Dagster is imported
    for message in plan.messages:
        print(f"chimera: {message}")
    settle = None
    if plan.prints is not None:  # settled once every run succeeds; not held through them
        settle = (tree_state.stage_prints(marker, plan.prints),
                  tree_state.cache_state(settings.scan_cache))
    snapshot = scan_snapshot.save(settings.data_dir, plan.records,
                                  plan.tree_files) if plan.days else None
    days = plan.days
    del plan  # the runs read the snapshot; don't hold the records beside them
    try:
        return _launch(args, settings, days, settle, marker, rank, snapshot)
    finally:
        scan_snapshot.remove(settings.data_dir, snapshot)
        if settle is not None:
            settle[0].unlink(missing_ok=True)  # settled (moved) or abandoned


def _settle(settings: Settings, settle: tuple[Path, list | None] | None, marker: Path,
            rank: int, ok: bool) -> None:
    """After a command that brought every day up to date, record the tree it loaded."""
    if settle is not None and ok:
        tree_state.settle(marker, settle[0], settings.partition_start, rank,
                          settings.warehouse_path, settings.scan_cache, settle[1])
    elif not ok:
        tree_state.forget(marker)


def _launch(args: argparse.Namespace, settings: Settings, days: list[dt.date],
            settle: tuple[Path, list | None] | None, marker: Path, rank: int,
            snapshot: str | None) -> int:
    """Start the runs for ``days`` (one per contiguous block, or per day), report, settle."""
    from chimera_pipeline.instance import prepare_dagster_home
    from chimera_pipeline.lib.planning import contiguous_ranges

    if not days:
        _settle(settings, settle, marker, rank, ok=True)
        print("chimera: no benchmark days to run")
        return 0
    try:
        home = prepare_dagster_home(settings)
    except SettingsError as exc:
        print(f"chimera: {exc}", file=sys.stderr)
        return 2
    _reap(home)
    groups = [(d, d) for d in days] if args.per_partition else contiguous_ranges(days)
    print(f"chimera: {len(days)} benchmark day(s) in {len(groups)} run(s); "
          f"artifacts {settings.artifact_root}")
    began = time.perf_counter()
    jobs = [(i, len(groups), first, last, args.in_process, args.until, snapshot)
            for i, (first, last) in enumerate(groups, start=1)]
    if args.parallel > 1:
        with ProcessPoolExecutor(args.parallel) as pool:
            outcomes = list(pool.map(_run_group, jobs))
    else:
        outcomes = [_run_group(job) for job in jobs]
    failures = outcomes.count(False)
    # every day is now up to date: the next no-change run is cheap
    _settle(settings, settle, marker, rank, ok=not failures)
    print(f"chimera: {len(groups) - failures}/{len(groups)} run(s) succeeded in "
          f"{time.perf_counter() - began:.1f}s")
    print(f"  warehouse: {settings.warehouse_path}")
    print(f"  reports:   {settings.reports_dir}")
    print(f"  dagster:   {home} (open the UI with `make ui`)")
    return 1 if failures else 0


def cmd_sample(args: argparse.Namespace, settings: Settings) -> int:
    from chimera_pipeline.lib.sample import write_corpus

    out = Path(args.out) if args.out else settings.artifact_root
    written = write_corpus(out, files=args.files, seed=args.seed)
    print(f"chimera: wrote {len(written)} files under {out}")
    return 0


def cmd_dates(args: argparse.Namespace, settings: Settings) -> int:
    from collections import Counter

    records = settings.scan()
    counts = Counter((r.partition, r.date_source) for r in records)
    for (day, source), n in sorted(counts.items()):
        print(f"{day}  {n:6d} file(s)  dated by {source}")
    return 0


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    """Run one read-only SQL statement on the warehouse and print the rows as CSV."""
    import csv

    from chimera_pipeline.lib.warehouse import WarehouseBusy, connect_read_only

    try:
        con = connect_read_only(settings.warehouse_path)
    except (WarehouseBusy, FileNotFoundError) as exc:
        print(f"chimera: {exc}", file=sys.stderr)
        return 3
    try:
        cursor = con.execute(args.sql)
        writer = csv.writer(sys.stdout)
        writer.writerow([d[0] for d in cursor.description or []])
        writer.writerows(cursor.fetchall())
    except Exception as exc:  # noqa: BLE001 - a user's SQL error is one line, not a traceback
        print(f"chimera: query failed: {' '.join(str(exc).split())[:300]}", file=sys.stderr)
        return 2
    finally:
        con.close()
    return 0


def ui_command(args: argparse.Namespace) -> list[str]:
    """``dg dev`` on the project's workspace; binds to ``--host`` (127.0.0.1 by default)."""
    from chimera_pipeline.lib.settings import PROJECT_ROOT

    dg = Path(sys.executable).with_name("dg")
    return [str(dg), "dev", "--workspace", str(PROJECT_ROOT / "workspace.yaml"),
            "--host", args.host, "--port", str(args.port)]


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    """Start ``dg dev`` (webserver + daemon) on the project's workspace, bound to loopback."""
    import os

    from chimera_pipeline.instance import prepare_dagster_home
    from chimera_pipeline.lib.settings import PROJECT_ROOT

    prepare_dagster_home(settings)
    command = ui_command(args)
    print(f"chimera: Dagster UI on http://{args.host}:{args.port} "
          f"(DAGSTER_HOME={os.environ['DAGSTER_HOME']})", flush=True)
    os.chdir(PROJECT_ROOT)
    os.execv(command[0], command)
    return 0  # not reached


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chimera", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="materialize the asset graph for benchmark days")
    run.add_argument("--date", action="append", type=_day, help="a day to run (repeatable)")
    run.add_argument("--from", dest="date_from", type=_day, help="first day of a backfill")
    run.add_argument("--to", dest="date_to", type=_day, help="last day of a backfill")
    run.add_argument("--force", action="store_true",
                     help="without --date/--from/--to: run every day, not only changed ones")
    run.add_argument("--per-partition", action="store_true",
                     help="one Dagster run per day instead of one per block of days")
    executor = run.add_mutually_exclusive_group()
    executor.add_argument("--in-process", dest="in_process", action="store_true", default=True,
                          help="run steps in this process (the default: no per-step start-up)")
    executor.add_argument("--multiprocess", dest="in_process", action="store_false",
                          help="run each step in its own subprocess (Dagster's multiprocess "
                          "executor, as the UI and the daemon do)")
    run.add_argument("--until", choices=STAGES, default=STAGES[-1],
                     help="materialize the graph only up to this asset (default: the report)")
    run.add_argument("--parallel", type=int, default=1, metavar="N",
                     help="launch up to N runs at once (with --per-partition: N days at once)")
    run.set_defaults(func=cmd_run)
    sample = sub.add_parser("sample", help="write the deterministic sample artifact corpus")
    sample.add_argument("--out", help="target folder (default: CHIMERA_ARTIFACT_ROOT)")
    sample.add_argument("--files", type=int, default=None, help="corpus size (default: sample)")
    sample.add_argument("--seed", type=int, default=7, help="random seed")
    sample.set_defaults(func=cmd_sample)
    dates = sub.add_parser("dates", help="list the benchmark days found under the root")
    dates.set_defaults(func=cmd_dates)
    query = sub.add_parser("query", help="run read-only SQL on the warehouse (CSV output)")
    query.add_argument("sql", help="one SQL statement, e.g. "
                       "\"SELECT model, avg(decode_tps) FROM llm_runs GROUP BY model\"")
    query.set_defaults(func=cmd_query)
    ui = sub.add_parser("ui", help="start the Dagster UI (dg dev) on 127.0.0.1")
    ui.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    ui.add_argument("--port", type=int, default=3000, help="port (default 3000)")
    ui.set_defaults(func=cmd_ui)
    add_worker_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from chimera_pipeline.lib.config import validate

    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "worker" and not args.queue:
            args.queue = ["dagster"]
        for warning in validate(check_paths=args.command in ("run", "ui", "worker")):
            print(f"chimera: warning: {warning}", file=sys.stderr)
    except SettingsError as exc:
        print(f"chimera: {exc}", file=sys.stderr)
        return 2
    try:
        return args.func(args, settings)
    except BrokenPipeError:  # `chimera dates | head`: the reader left; not an error
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
