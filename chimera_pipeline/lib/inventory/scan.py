"""Describe every candidate file of the walk: hash, date, kind; scan errors kept, not raised.

A symlink whose target resolves outside the root is still listed (so it is accounted for) but
is never opened. Each file is read once, streaming, to hash it; the first ``TEXT_LIMIT`` bytes
are kept decoded for dating and recognising the file, then dropped, so memory does not grow
with the tree. A file unchanged since the last scan (same size and mtime) is taken from the
scan cache instead of being read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from chimera_pipeline.lib.common.pools import parse_workers, spawn_pool
from chimera_pipeline.lib.common.text import decode_bytes
from chimera_pipeline.lib.config import Settings
from chimera_pipeline.lib.inventory import scan_cache
from chimera_pipeline.lib.inventory.dating import date_from_mtime, date_from_path, resolve_date
from chimera_pipeline.lib.inventory.kinds import recognise_file
from chimera_pipeline.lib.inventory.records import (
    FileRecord,
    cache_row,
    cacheable,
    mark_duplicates,
    record_from_row,
)
from chimera_pipeline.lib.inventory.walk import (
    FolderPrint,
    file_line,
    inside_root,
    iter_folders,
    lstat_or_none,
    top_folder,
)

TEXT_LIMIT = 1 << 20
_CHUNK = 1 << 20


def _hash_and_head(path: str | Path) -> tuple[str, bytes]:
    digest = hashlib.sha256()
    head = bytearray()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            if len(head) < TEXT_LIMIT:
                head.extend(chunk[: TEXT_LIMIT - len(head)])
    return digest.hexdigest(), bytes(head)


def _refusal(path: str, root: Path, info: os.stat_result) -> str | None:
    """Why a listed path must not be opened, or None when it is safe to read."""
    if os.path.islink(path) and not inside_root(Path(path), root.resolve()):
        return "symlink points outside the artifact root (or loops); not read"
    if not stat.S_ISREG(info.st_mode):  # a FIFO would block the reader forever
        return "not a regular file (FIFO, socket or device); not read"
    if info.st_mode & 0o444 == 0:  # root can read it anyway; respect the owner's intent
        return "permission denied: the file has no read permission (mode 000); not read"
    return None


def _relative(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` as ``Path.relative_to(...).as_posix()`` gives it, by
    slicing when ``path`` is ``root`` joined with a plain relative path (what the walk
    lists); None when only ``pathlib``'s normalisation can say (``.`` or empty components,
    another separator)."""
    if os.sep != "/" or not path.startswith(root) or path[len(root):len(root) + 1] != "/":
        return None
    rel = path[len(root) + 1:]
    if not rel or rel.startswith(("/", "./")) or rel.endswith(("/", "/.")) or rel == "." or (
            "//" in rel or "/./" in rel):
        return None
    return rel


def _suffix_type(rel: str) -> str:
    """The file type as ``Path.suffix.lower().lstrip(".")`` reads it (a leading dot is no
    suffix, nor is a trailing one)."""
    name = rel.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower().lstrip(".") if 0 < dot < len(name) - 1 else ""


def scan_file(path: str | Path, root: Path) -> FileRecord:
    """Describe one file. Errors (unreadable, outside root, vanished) become ``scan_error``.

    The file is stat-ed again after it is hashed: a file whose size or mtime moved while it
    was read is still being written, and is recorded as ``busy`` (the next run takes it)
    instead of being half-parsed.

    Works on the path as text (``os``), not ``pathlib``: a first scan calls this for every
    file of the tree, and ``Path`` objects' parsing cost a fifth of it.
    """
    name = os.fspath(path)
    rel = _relative(name, str(root))
    if rel is None:  # read, as named, the file pathlib's normalisation names
        normal = Path(name)
        rel, name = normal.relative_to(root).as_posix(), str(normal)
    file_type = _suffix_type(rel)
    folder = top_folder(rel)
    try:
        info = os.stat(name)
    except OSError as exc:
        reason = ("symlink loop or dangling symlink" if os.path.islink(name)
                  else "file vanished or cannot be inspected")
        return _unreadable(rel, folder, file_type, 0, _lmtime(name),
                           f"cannot stat ({reason}): {exc.strerror}")
    refusal = _refusal(name, root, info)
    if refusal:
        return _unreadable(rel, folder, file_type, info.st_size, info.st_mtime, refusal)
    try:
        sha256, head = _hash_and_head(name)
        after = os.stat(name)
    except OSError as exc:
        return _unreadable(rel, folder, file_type, info.st_size, info.st_mtime,
                           f"cannot read: {exc.strerror or exc}")
    if (after.st_size, after.st_mtime_ns) != (info.st_size, info.st_mtime_ns):
        return _unreadable(rel, folder, file_type, after.st_size, after.st_mtime,
                           "file is still being written (it changed while it was read); "
                           "the next run will take it", status="busy")
    text = decode_bytes(head).text
    kind, stated = recognise_file(rel, file_type, text)
    # a benchmark tool's own run time beats a stamp in the path (a folder named for the
    # day results were copied is not the day they were measured)
    when = stated or resolve_date(rel, file_type, text, info.st_mtime)
    return FileRecord(
        path=rel, folder=folder, file_type=file_type, size_bytes=info.st_size,
        mtime=dt.datetime.fromtimestamp(info.st_mtime, tz=dt.UTC).replace(tzinfo=None),
        sha256=sha256, kind=kind, benchmark_date=when.date,
        date_source=when.source, date_raw=when.raw, mtime_ns=info.st_mtime_ns,
    )


def _lmtime(path: str) -> float:
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return 0.0


def _unreadable(rel: str, folder: str, file_type: str, size: int, mtime: float,
                error: str, status: str = "unreadable") -> FileRecord:
    when = date_from_path(rel) or date_from_mtime(mtime)
    return FileRecord(
        path=rel, folder=folder, file_type=file_type, size_bytes=size,
        mtime=dt.datetime.fromtimestamp(mtime, tz=dt.UTC).replace(tzinfo=None),
        sha256=None, kind=f"unreadable_{file_type}", benchmark_date=when.date,
        date_source=when.source, date_raw=when.raw, scan_error=error, scan_status=status,
    )


def _from_cache(path: str, hit: dict | None, info: os.stat_result | None) -> FileRecord | None:
    """The cached record when the file (``info``: its ``lstat``) is a plain file with the
    cached size and mtime; a symlink is never taken from the cache."""
    if hit is None or info is None or not stat.S_ISREG(info.st_mode) or (
            info.st_size, info.st_mtime_ns) != (hit["size_bytes"], hit["mtime_ns"]):
        return None
    return record_from_row(hit, path)


POOL_MIN_FILES = 2000  # below this, starting worker processes costs more than it saves
SCAN_CHUNK = 500  # paths per task sent to a worker


def _scan_files(paths: list[str], root: Path) -> list[FileRecord]:
    """``scan_file`` for each path, in order; a first scan of a large tree (hash, sniff and
    date every file: Python per file) is spread over ``CHIMERA_PARSE_WORKERS`` processes."""
    workers = min(parse_workers(), len(paths) // (POOL_MIN_FILES // 2))
    if workers <= 1:
        return [scan_file(p, root) for p in paths]
    # a task per chunk of paths as text, the root sent once a chunk, not pickled with every
    # path
    chunks = [paths[i:i + SCAN_CHUNK] for i in range(0, len(paths), SCAN_CHUNK)]
    with spawn_pool(workers) as pool:
        return [record for scanned in pool.map(_scan_chunk, chunks, [root] * len(chunks))
                for record in scanned]


def _scan_chunk(paths: list[str], root: Path) -> list[FileRecord]:
    return [scan_file(path, root) for path in paths]


def scan_listings(root: Path, listings: Iterable[tuple[str, list[str]]],
                  cached: Mapping[str, dict]) -> tuple[list[FileRecord], list[FolderPrint]]:
    """Describe the files of each ``(folder, paths)`` listing, and print each folder from the
    same ``lstat`` calls (see :mod:`folder_prints`). A file whose ``lstat`` matches its cached
    row is taken from the cache; the rest are read. A folder is clean when every file in it
    is a plain file scanned without error and unchanged since its ``lstat``."""
    records: list[FileRecord | None] = []
    missed: list[tuple[int, str, os.stat_result | None, int]] = []
    folders: list[list] = []  # [folder, digest, clean]
    prefix = len(str(root)) + 1
    for folder, paths in listings:
        digest = hashlib.blake2b(digest_size=16)
        for path in paths:
            info = lstat_or_none(path)
            digest.update(file_line(path, info))
            record = _from_cache(path, cached.get(path[prefix:]), info)
            if record is None:
                missed.append((len(records), path, info, len(folders)))
            records.append(record)
        folders.append([folder, digest.hexdigest(), True])
    scanned = _scan_files([path for _, path, _, _ in missed], root)
    for (i, _, info, folder), record in zip(missed, scanned, strict=True):
        records[i] = record
        if not (cacheable(record) and info is not None and stat.S_ISREG(info.st_mode)
                and (info.st_size, info.st_mtime_ns) == (record.size_bytes, record.mtime_ns)):
            folders[folder][2] = False  # looked at again next time, whatever its print says
    return records, [(folder, digest, clean) for folder, digest, clean in folders]


def scan_tree(root: Path, roots: tuple[str, ...], extensions: tuple[str, ...],
              cache: Path | None = None, prints: list[FolderPrint] | None = None,
              skip: tuple[str, ...] = ()) -> list[FileRecord]:
    """Scan every candidate file under the artifact root and mark exact duplicates.

    With ``cache`` (see :mod:`scan_cache`), files unchanged since the last scan are not read.
    ``prints``, when given, receives every folder's print, in walk order.
    """
    cached = scan_cache.load(cache)
    records, folders = scan_listings(root, iter_folders(root, roots, extensions, skip), cached)
    mark_duplicates(records)
    if prints is not None:
        prints.extend(folders)
    if cache is not None and cache_outdated(records, cached):  # unchanged: no rewrite
        scan_cache.save(cache, [cache_row(r) for r in records if cacheable(r)])
    return records


def cache_outdated(records: list[FileRecord], cached: Mapping[str, dict]) -> bool:
    """Whether the cacheable records are not exactly the cached rows."""
    kept = 0
    for record in records:
        if cacheable(record):
            row = cached.get(record.path)
            if row is None or (row["size_bytes"], row["mtime_ns"], row["sha256"]) != (
                    record.size_bytes, record.mtime_ns, record.sha256):
                return True
            kept += 1
    return kept != len(cached)




def scan_configured(settings: Settings, prints: list[FolderPrint] | None = None
                    ) -> list[FileRecord]:
    """:func:`scan_tree` over the configured root, scan roots and extensions, with the
    configuration's scan cache (``prints`` receives the folder prints)."""
    return scan_tree(settings.artifact_root, settings.scan_roots, settings.extensions,
                     scan_cache.cache_path_for(settings), prints, settings.scan_skip)
