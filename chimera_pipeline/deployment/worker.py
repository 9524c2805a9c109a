"""``chimera worker``: a dagster-celery worker with what it needs set up the same way as
every other chimera process.

A worker loads the job from the code, writes to the warehouse, and records events in the
instance: it needs the same ``DAGSTER_HOME`` (with the celery profile's ``dagster.yaml``) as
the process that launched the run, the project root as its working directory, and the
executor settings of ``deploy/celery/celery.yaml``. Forgetting any of them fails only when
a step arrives, so this command does all three and then becomes
``dagster-celery worker start``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys

from chimera_pipeline.lib.config import PROJECT_ROOT, Settings, SettingsError


def worker_command(args: argparse.Namespace) -> list[str]:
    """The ``dagster-celery worker start`` command line for these arguments."""
    executable = shutil.which("dagster-celery") or os.path.join(
        os.path.dirname(sys.executable), "dagster-celery")
    queues = [part for queue in args.queue for part in ["-q", queue]]
    name = args.name or f"{'-'.join(args.queue)}-{os.getpid()}"
    return [executable, "worker", "start", "-A", "dagster_celery.app",
            "-y", str(PROJECT_ROOT / "deploy" / "celery" / "celery.yaml"), *queues,
            "-n", name, "-l", args.loglevel, "--", f"--concurrency={args.concurrency}"]


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Prepare DAGSTER_HOME, move to the project root and exec the Celery worker."""
    from chimera_pipeline.deployment import profile
    from chimera_pipeline.deployment.instance import prepare_dagster_home

    if profile.current() != "celery":
        raise SettingsError("chimera worker needs CHIMERA_PROFILE=celery (and its services: "
                            "see docs/scale-out.md)")
    prepare_dagster_home(settings)
    command = worker_command(args)
    print(f"chimera: Celery worker {command[command.index('-n') + 1]}@{socket.gethostname()} "
          f"on queue(s) {', '.join(args.queue)} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})",
          flush=True)
    os.chdir(PROJECT_ROOT)
    # dagster-celery starts `celery` from PATH: make it this environment's
    bindir = os.path.dirname(sys.executable)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    os.execv(command[0], command)
    return 0  # not reached


def add_parser(sub: argparse._SubParsersAction) -> None:
    worker = sub.add_parser("worker", help="start a Celery worker (CHIMERA_PROFILE=celery)")
    worker.add_argument("--queue", "-q", action="append", default=None,
                        help="queue to serve: dagster (every step but the LLM) or gpu "
                        "(llm_analysis); repeatable (default: dagster)")
    worker.add_argument("--name", "-n", help="worker name (default: queue + pid)")
    worker.add_argument("--concurrency", type=int, default=1,
                        help="steps this worker runs at once (default 1)")
    worker.add_argument("--loglevel", default="INFO", help="Celery log level (default INFO)")
    worker.set_defaults(func=cmd_worker)
