"""The no-change shortcut, and what a run after a small change may trust.

A re-run over an unchanged tree must cost about a directory walk. Loading the scan cache,
building a record per file and comparing them with the warehouse is proportional to the
tree. Instead, after a ``chimera run`` that brought every day up to
date, ``settle`` writes a small marker: the tree's fingerprint (a digest of per-folder prints,
see :mod:`folder_prints`: a walk plus one ``lstat`` per file), the stage reached, the
partition start, and the size and mtime of the warehouse and of the scan cache; the folder
prints themselves go beside it. ``unchanged`` recomputes the fingerprint and compares; any
difference — a file added, removed, touched; the warehouse written by anyone since; another
stage asked for — and the run compares. When only the tree changed (``trusted``), it compares
just the changed folders' days (``rescan``); otherwise the whole tree (``staleness``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from chimera_pipeline.lib.incremental import folder_prints
from chimera_pipeline.lib.inventory.walk import iter_folders, listing_digest

VERSION = 2


@dataclass(frozen=True)
class TreePrint:
    """A walk's fingerprint, and the folders that differ from the saved prints (None: no
    usable saved prints)."""

    digest: str
    changed: set[str] | None
    files: int = 0  # candidate files the walk found


def prints_path(marker: Path) -> Path:
    return marker.with_name(marker.name.removesuffix(".json") + ".folders")


def fingerprint(root: Path, roots: tuple[str, ...], extensions: tuple[str, ...],
                salt: str = "", marker: Path | None = None, skip: tuple[str, ...] = ()
                ) -> TreePrint:
    """Walk the tree once: its fingerprint, and its changed folders against ``marker``'s
    saved prints, compared as the walk goes (neither listing is held in memory)."""
    tree = folder_prints.TreeDigest(salt)
    files = 0

    def walk():
        nonlocal files
        for folder, paths in iter_folders(root, roots, extensions, skip):
            digest = listing_digest(paths)
            tree.add(folder, digest)
            files += len(paths)
            yield folder, digest

    saved = prints_path(marker) if marker is not None else None
    if saved is None or not saved.is_file():
        for _ in walk():
            pass
        return TreePrint(tree.hexdigest(), None, files)
    changed = folder_prints.changed_folders(folder_prints.read(saved), walk(), roots)
    return TreePrint(tree.hexdigest(), changed, files)


def _file_state(path: Path) -> list | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def warehouse_state(warehouse: Path) -> list:
    """Size and mtime of the warehouse and its WAL: any write since changes them."""
    return [_file_state(warehouse), _file_state(warehouse.with_name(warehouse.name + ".wal"))]


def stage_prints(marker: Path, prints: list[folder_prints.FolderPrint]) -> Path:
    """Write the prints of the tree a run is about to load, to be settled when it succeeds
    (not held in memory through the run)."""
    pending = marker.with_name(f"{marker.name}.{os.getpid()}.pending")
    folder_prints.write(pending, prints)
    return pending


def cache_state(cache: Path) -> list | None:
    """The scan cache's size and mtime, taken right after the scan that wrote it."""
    return _file_state(cache)


def settle(marker: Path, pending: Path, salt: str, stage_rank: int, warehouse: Path,
           cache: Path, scanned_cache: list | None) -> None:
    """Record that the tree whose prints are in ``pending`` is in the warehouse up to stage
    ``stage_rank``, and, when nobody rewrote it since the scan (``scanned_cache``), that the
    scan cache describes it."""
    digest = folder_prints.tree_digest(salt, folder_prints.read(pending))
    marker.parent.mkdir(parents=True, exist_ok=True)
    os.replace(pending, prints_path(marker))
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(json.dumps({"version": VERSION, "fingerprint": digest, "stage": stage_rank,
                               "salt": salt, "warehouse": warehouse_state(warehouse),
                               "cache": scanned_cache if _file_state(cache) == scanned_cache
                               else None}))
    os.replace(tmp, marker)


def _saved(marker: Path) -> dict:
    try:
        saved = json.loads(marker.read_text())
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) and saved.get("version") == VERSION else {}


def unchanged(marker: Path, digest: str, stage_rank: int, warehouse: Path) -> bool:
    """True when the marker says this exact tree is already done up to ``stage_rank``."""
    saved = _saved(marker)
    return (saved.get("fingerprint") == digest and saved.get("stage", -1) >= stage_rank
            and saved.get("warehouse") == warehouse_state(warehouse))


def trusted(marker: Path, salt: str, stage_rank: int, warehouse: Path, cache: Path) -> bool:
    """True when every folder whose print matches the saved one is in the warehouse up to
    ``stage_rank`` and described by the scan cache: nobody wrote either since the marker."""
    saved = _saved(marker)
    return (saved.get("salt") == salt and saved.get("stage", -1) >= stage_rank
            and saved.get("warehouse") == warehouse_state(warehouse)
            and saved.get("cache") is not None and saved.get("cache") == _file_state(cache))


def forget(marker: Path, pending: Path | None = None) -> None:
    """Drop the marker (a run failed or only some days ran: the full comparison decides)."""
    for path in (marker, prints_path(marker), pending):
        if path is not None:
            path.unlink(missing_ok=True)
