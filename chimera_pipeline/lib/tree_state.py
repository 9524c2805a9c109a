"""The no-change shortcut: is the tree exactly as it was when the warehouse was last brought
up to date?

A re-run over an unchanged tree must cost about a directory walk. Loading the scan cache,
building a record per file and comparing them with the warehouse is proportional to the
tree (about 3 s at 100k files). Instead, after a ``chimera run`` that brought every day up to
date, ``settle`` writes a small marker: a fingerprint of the listing (every candidate file's
path, mode, size and mtime, which is a walk plus one ``lstat`` per file), the stage reached,
and the warehouse file's own size and mtime. ``unchanged`` recomputes the fingerprint and
compares; any difference — a file added, removed, touched; the warehouse written by anyone
since; another stage asked for — falls back to the full comparison in ``staleness``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from chimera_pipeline.lib.scanning import iter_candidate_names

VERSION = 1


def fingerprint(root: Path, roots: tuple[str, ...], extensions: tuple[str, ...],
                salt: str = "") -> str:
    """A digest of the candidate files' paths, modes, sizes and mtimes (no file is read);
    ``salt`` holds any other setting that changes which days run (the partition start)."""
    digest = hashlib.blake2b(salt.encode(), digest_size=16)
    for path in iter_candidate_names(root, roots, extensions):
        try:
            info = os.lstat(path)
            digest.update(f"{path}\0{info.st_mode}\0{info.st_size}\0{info.st_mtime_ns}\n"
                          .encode("utf-8", "surrogateescape"))
        except OSError:
            digest.update(f"{path}\0gone\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _warehouse_state(warehouse: Path) -> list:
    """Size and mtime of the warehouse and its WAL: any write since changes them."""
    state = []
    for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        try:
            info = path.stat()
            state.append([info.st_size, info.st_mtime_ns])
        except OSError:
            state.append(None)
    return state


def settle(marker: Path, digest: str, stage_rank: int, warehouse: Path) -> None:
    """Record that the tree with ``digest`` is in the warehouse up to stage ``stage_rank``."""
    marker.parent.mkdir(parents=True, exist_ok=True)
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(json.dumps({"version": VERSION, "fingerprint": digest, "stage": stage_rank,
                               "warehouse": _warehouse_state(warehouse)}))
    os.replace(tmp, marker)


def unchanged(marker: Path, digest: str, stage_rank: int, warehouse: Path) -> bool:
    """True when the marker says this exact tree is already done up to ``stage_rank``."""
    try:
        saved = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return (saved.get("version") == VERSION and saved.get("fingerprint") == digest
            and saved.get("stage", -1) >= stage_rank
            and saved.get("warehouse") == _warehouse_state(warehouse))


def forget(marker: Path) -> None:
    """Drop the marker (a run failed or only some days ran: the full comparison decides)."""
    marker.unlink(missing_ok=True)
