"""Environment-driven settings shared by the CLI, the Dagster definitions and the tests.

Everything a user can change is a ``CHIMERA_*`` environment variable, so a nightly
schedule, a `chimera run` and a test all see the same configuration without a config
file to keep in sync. Relative paths resolve against the project root (the folder that
holds ``pyproject.toml``), not the current directory, because Dagster subprocesses do not
always start where the user typed the command.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_ROOTS = ("reports", "csv_data", "artifacts")
DEFAULT_EXTENSIONS = ("csv", "json", "md")
DEFAULT_PARTITION_START = "2024-01-01"


class SettingsError(ValueError):
    """A ``CHIMERA_*`` value is unusable; the message says which one and how to fix it."""


def env_number(name: str, default: float | int | None, kind: type = float,
               minimum: float | None = None) -> float | int | None:
    """A numeric ``CHIMERA_*`` value; a bad one is a :class:`SettingsError` naming the fix."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{name}={raw!r} is not {what}; unset it or give e.g. "
                            f"{name}={default if default is not None else 1}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise SettingsError(f"{name}={raw!r} is not a finite number")
    if minimum is not None and value < minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def _path(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (PROJECT_ROOT / path)


def _csv_list(name: str, default: tuple[str, ...], folders: bool = False) -> tuple[str, ...]:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    items = tuple(part.strip().strip("/") for part in raw.split(","))
    items = tuple(item.lstrip(".") if not folders else item for item in items if item)
    if not items:
        raise SettingsError(f"{name}={raw!r} lists nothing; give a comma-separated list")
    if folders:
        for item in items:  # scan roots must stay inside the artifact root
            if Path(item).is_absolute() or ".." in Path(item).parts:
                raise SettingsError(f"{name}: {item!r} leaves the artifact root; give folder "
                                    "names relative to CHIMERA_ARTIFACT_ROOT")
    return items


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. Build it with :func:`load_settings`."""

    artifact_root: Path
    data_dir: Path
    scan_roots: tuple[str, ...]
    extensions: tuple[str, ...]
    partition_start: str

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def scan_cache(self) -> Path:
        from chimera_pipeline.lib.scan_cache import cache_path

        return cache_path(self.data_dir, self.artifact_root, self.scan_roots, self.extensions)

    def scan(self, prints: list | None = None):
        """Scan the artifact root with this configuration and its cache (``prints`` receives
        the folder prints, see :mod:`folder_prints`)."""
        from chimera_pipeline.lib.scanning import scan_tree

        return scan_tree(self.artifact_root, self.scan_roots, self.extensions, self.scan_cache,
                         prints)

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster_home"


def parse_workers() -> int:
    """``CHIMERA_PARSE_WORKERS``: processes that hash and parse files, by default the CPUs
    this process may run on (the work is Python, so threads would share one core).

    1 inside a daemonic process, such as a Celery prefork child running a step: it may not
    start children, and there the deployment spreads work over workers instead."""
    import multiprocessing
    import sys

    billiard = sys.modules.get("billiard")
    if multiprocessing.current_process().daemon or (
            billiard is not None and billiard.current_process().daemon):
        return 1
    return int(env_number("CHIMERA_PARSE_WORKERS", len(os.sched_getaffinity(0)), int, 1))


def spawn_pool(workers: int):
    """A process pool whose workers start fresh (``spawn``), not forked: the caller may be a
    Dagster step process running threads (and pyarrow's pool), and a forked child inherits
    their locks in whatever state they were."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def load_settings() -> Settings:
    """Read the ``CHIMERA_*`` variables, applying the documented defaults."""
    start = os.environ.get("CHIMERA_PARTITION_START", DEFAULT_PARTITION_START)
    try:
        dt.date.fromisoformat(start)
    except ValueError as exc:
        raise SettingsError(
            f"CHIMERA_PARTITION_START={start!r} is not a date; use YYYY-MM-DD"
        ) from exc
    return Settings(
        artifact_root=_path(os.environ.get("CHIMERA_ARTIFACT_ROOT", "data/artifacts")),
        data_dir=_path(os.environ.get("CHIMERA_DATA_DIR", "data")),
        scan_roots=_csv_list("CHIMERA_SCAN_ROOTS", DEFAULT_ROOTS, folders=True),
        extensions=tuple(e.lower() for e in _csv_list("CHIMERA_EXTENSIONS", DEFAULT_EXTENSIONS)),
        partition_start=start,
    )
