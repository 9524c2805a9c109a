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

from chimera_pipeline.cli import commands, run
from chimera_pipeline.cli import compare as compare_command
from chimera_pipeline.deployment.worker import add_parser as add_worker_parser
from chimera_pipeline.lib.config import SettingsError, load_settings
from chimera_pipeline.lib.store import stages


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from exc


def _add_run(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="materialize the asset graph for benchmark days")
    parser.add_argument("--date", action="append", type=_day, help="a day to run (repeatable)")
    parser.add_argument("--from", dest="date_from", type=_day, help="first day of a backfill")
    parser.add_argument("--to", dest="date_to", type=_day, help="last day of a backfill")
    parser.add_argument("--force", action="store_true",
                        help="compute every run day's facts and ask the LLM for its narrative "
                        "again, also where their inputs did not change; without "
                        "--date/--from/--to, run every day, not only changed ones")
    parser.add_argument("--per-partition", action="store_true",
                        help="one Dagster run per day instead of one per block of days")
    executor = parser.add_mutually_exclusive_group()
    executor.add_argument("--in-process", dest="in_process", action="store_true", default=True,
                          help="run steps in this process (the default: no per-step start-up)")
    executor.add_argument("--multiprocess", dest="in_process", action="store_false",
                          help="run each step in its own subprocess (Dagster's multiprocess "
                          "executor, as the UI and the daemon do)")
    parser.add_argument("--until", choices=stages.ASSETS, default=stages.ASSETS[-1],
                        help="materialize the graph only up to this asset (default: the report)")
    parser.add_argument("--parallel", type=int, default=1, metavar="N",
                        help="launch up to N runs at once (with --per-partition: N days at once)")
    parser.set_defaults(func=run.cmd_run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chimera", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run(sub)
    commands.add_parsers(sub)
    compare_command.add_parser(sub)
    add_worker_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from chimera_pipeline.lib.config.validate import validate

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
