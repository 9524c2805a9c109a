"""Read files of the artifact tree, refusing any that a link now leads out of it."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class TooLarge(Exception):
    """The file exceeds ``CHIMERA_MAX_PARSE_MB``: catalogued, not parsed."""


@dataclass(frozen=True)
class Pinned:
    """A file opened once: its sha256, and a path that names that open file itself."""

    sha256: str
    path: str  # /proc/self/fd/N (or /dev/fd/N): no glob characters, no link to follow
    fd: int

    def unchanged(self, before: os.stat_result) -> bool:
        """The open file still has the size and mtime it was hashed with."""
        now = os.fstat(self.fd)
        return (now.st_size, now.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def _fd_path(fd: int) -> str:
    proc = f"/proc/self/fd/{fd}"
    return proc if os.path.exists(proc) else f"/dev/fd/{fd}"


class RootReader:
    """Opens files under the artifact root for parsing.

    The walk never follows folder links, but a file may be a link, or a folder may have been
    swapped for one since. Resolving every path from the root costs one ``lstat`` per path
    component per file (a noticeable share of the parse), so each folder is resolved
    once and only the file itself is checked; ``O_NOFOLLOW`` closes the gap between check
    and open (and ``O_NONBLOCK`` a FIFO put in its place).
    """

    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)
        self._folders: dict[str, str] = {}

    def real_path(self, rel: str) -> str:
        folder, name = os.path.split(os.path.join(self.root, rel))
        real = self._folders.get(folder)
        if real is None:
            real = self._folders[folder] = os.path.realpath(folder)
        path = os.path.join(real, name)
        if os.path.islink(path):
            path = os.path.realpath(path)
        if not path.startswith(self.root + os.sep):
            raise ValueError(f"{rel} leads outside the artifact root")
        return path

    def _open(self, rel: str):
        fd = os.open(self.real_path(rel), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        handle = os.fdopen(fd, "rb")
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            handle.close()
            raise OSError(f"{rel} is no longer a regular file")
        return handle

    def read(self, rel: str, limit: int) -> bytes:
        """The whole file; :class:`TooLarge` beyond ``limit`` bytes."""
        with self._open(rel) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise TooLarge(f"too large to parse: {size / 2**20:.0f} MB > "
                               f"CHIMERA_MAX_PARSE_MB={limit / 2**20:.0f}; catalogued only")
            return handle.read()

    @contextmanager
    def pinned(self, rel: str) -> Iterator[tuple[Pinned, os.stat_result]]:
        """The file opened without following a link and hashed, for a reader that takes a
        path (DuckDB's ``read_csv``/``read_json``): handed ``Pinned.path``, it reads the
        very file that was hashed. Its own name would not do: DuckDB expands glob
        characters in a path (``x[1].csv`` reads ``x1.csv``, ``y*.csv`` every match) and
        would open it again by name, after a swap for a link. The descriptor's offset is
        back at 0 for ``/dev/fd`` (a dup on macOS); the stat taken with the hash lets the
        caller check the file did not change while it was read."""
        with self._open(rel) as handle:
            before = os.fstat(handle.fileno())
            digest = hashlib.sha256()
            while block := handle.read(1 << 22):
                digest.update(block)
            handle.seek(0)
            yield Pinned(digest.hexdigest(), _fd_path(handle.fileno()), handle.fileno()), before

    def sha256(self, rel: str) -> tuple[str, str]:
        """The file's sha256, read in blocks (a file too big to hold), and its real path."""
        path = self.real_path(rel)
        digest = hashlib.sha256()
        with self._open(rel) as handle:
            while block := handle.read(1 << 22):
                digest.update(block)
        return digest.hexdigest(), path
