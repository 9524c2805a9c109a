"""Real PostgreSQL, Redis and Celery workers for the scale-out tests, on loopback.

Every service listens on 127.0.0.1 on a free port, keeps its files in a temporary folder,
and runs in its own process group (``start_new_session``), because ``dagster-celery worker
start`` does not pass SIGTERM on to the Celery process it starts: stopping means killing
the whole group, then checking that none of its processes is left.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chimera_pipeline.lib.config import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def find_binary(name: str) -> str:
    """``initdb``/``postgres`` live in /usr/lib/postgresql/<v>/bin on Debian, off PATH."""
    found = shutil.which(name) or next(iter(sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(f"{name} not found: install Debian's postgresql and redis-server "
                           "(.ci/run does it)")
    return found


def group_alive(pgid: int) -> list[int]:
    """Processes of a group with a thread still running.

    Zombies do not count (orphans are never reaped here and a zombie holds no file), but a killed
    multi-threaded process's leader shows ``Z`` while its other threads (DuckDB's, Postgres's) are
    still exiting with the shared file table, and its locks, open: every thread must be done.
    """
    alive = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and _has_live_thread(Path(stat).parent):
            alive.append(int(stat.split("/")[2]))
    return alive


def _has_live_thread(proc_dir: Path) -> bool:
    for task_stat in proc_dir.glob("task/[0-9]*/stat"):
        try:
            state = task_stat.read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            return True
    return False


def stop_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group, SIGKILL what is left, and wait until nothing is."""
    pgid = process.pid
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not group_alive(pgid):
            break
    process.poll()
    if group_alive(pgid):
        raise RuntimeError(f"process group {pgid} survived SIGKILL: {group_alive(pgid)}")


def _wait_for(check, what: str, timeout: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n"
                               f"{log.read_text()[-3000:]}")
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready after {timeout}s:\n{log.read_text()[-3000:]}")


class Postgres:
    """A throwaway cluster: ``initdb`` as the ``postgres`` user (it refuses root)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="chimera_pg_"))
        self.log = self.dir / "postgres.log"
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/dagster"
        self.process: subprocess.Popen | None = None

    def _as_postgres(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def start(self) -> Postgres:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.dir.chmod(0o700)
        data = self.dir / "data"
        subprocess.run([*self._as_postgres(), find_binary("initdb"), "-D", str(data),
                        "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [*self._as_postgres(), find_binary("postgres"), "-D", str(data),
                 "-p", str(self.port), "-k", str(self.dir), "-c", "listen_addresses=127.0.0.1",
                 "-c", "fsync=off", "-c", "max_connections=200"],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        _wait_for(self._create_db, "postgres", 60, self.process, self.log)
        return self

    def _create_db(self) -> bool:
        import psycopg2

        con = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres",
                               dbname="postgres", connect_timeout=2)
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = 'dagster'")
            if not cur.fetchone():
                cur.execute("CREATE DATABASE dagster")
        con.close()
        return True

    def stop(self) -> None:
        if self.process:
            stop_group(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="chimera_redis_"))
        self.log = self.dir / "redis.log"
        self.process: subprocess.Popen | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> Redis:
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [find_binary("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        _wait_for(self._ping, "redis", 30, self.process, self.log)
        return self

    def _ping(self) -> bool:
        import redis

        return bool(redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1).ping())

    def stop(self) -> None:
        if self.process:
            stop_group(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


class Worker:
    """``chimera worker`` (dagster-celery + Celery) for one queue, in its own group."""

    def __init__(self, name: str, queue: str, env: dict[str, str], logs: Path) -> None:
        self.name, self.queue, self.env = name, queue, env
        self.log = logs / f"worker_{name}_{time.time_ns()}.log"
        self.process: subprocess.Popen | None = None

    @property
    def hostname(self) -> str:
        return f"{self.name}@{socket.gethostname()}"

    def start(self, app) -> Worker:
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "chimera_pipeline.cli", "worker", "--queue", self.queue,
                 "--name", self.name, "--concurrency", "1"],
                env=self.env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        _wait_for(lambda: app.control.ping(destination=[self.hostname], timeout=0.5),
                  f"worker {self.name}", 90, self.process, self.log)
        return self

    def kill(self) -> None:
        """SIGKILL the whole group at once: a worker dying, not shutting down."""
        assert self.process
        os.killpg(self.process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while group_alive(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process:
            stop_group(self.process)
