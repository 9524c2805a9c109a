"""Per-folder fingerprints of the artifact tree: which folders changed since the warehouse was
last brought up to date, so a run after a small change rescans those folders, not the tree.

A folder's print is a digest of its candidate files' paths, modes, sizes and mtimes (one
``lstat`` each, nothing read) and whether every file in it was scanned cleanly: a folder that
holds an unreadable, busy or linked file is always looked at again. The tree's fingerprint is
a digest of the folder prints. Prints are saved in walk order, so comparing a walk with the
saved prints streams both and the no-change run's memory does not grow with the tree.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from chimera_pipeline.lib.inventory.walk import FolderPrint, parts_below, under


class TreeDigest:
    """The tree's fingerprint, fed one folder print at a time in walk order; ``salt`` holds
    any other setting that changes which days run (the partition start)."""

    def __init__(self, salt: str) -> None:
        self._digest = hashlib.blake2b(salt.encode(), digest_size=16)

    def add(self, folder: str, digest: str) -> None:
        self._digest.update(f"{folder}\0{digest}\n".encode("utf-8", "surrogateescape"))

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def tree_digest(salt: str, prints: Iterable[FolderPrint]) -> str:
    tree = TreeDigest(salt)
    for folder, digest, _ in prints:
        tree.add(folder, digest)
    return tree.hexdigest()


def walk_order(roots: tuple[str, ...]):
    """The sort key of :func:`scanning.iter_folders`'s order: the scan root's position, then
    the path's components (a top-down walk with sorted names is a pre-order traversal)."""
    tops = sorted(enumerate(roots), key=lambda item: -len(item[1]))  # the deepest root first

    def key(folder: str) -> tuple[int, list[str]]:
        for rank, top in tops:
            if under(folder, top):
                return rank, parts_below(folder, top)
        return len(roots), folder.split("/")
    return key


def write(path: Path, prints: Iterable[FolderPrint]) -> None:
    """Save prints atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        handle.writelines(b"%s\0%s\0%s\0" % (folder.encode("utf-8", "surrogateescape"),
                                             digest.encode(), b"1" if clean else b"0")
                          for folder, digest, clean in prints)
    os.replace(temporary, path)


def read(path: Path) -> Iterator[FolderPrint]:
    """Saved prints, streamed in blocks; a malformed file raises ``ValueError``.

    Fields end in NUL, the one byte no path can hold (splitting on it is far cheaper than
    parsing JSON lines)."""
    rest = b""
    with path.open("rb") as handle:
        while block := handle.read(1 << 16):
            fields = (rest + block).split(b"\0")
            rest = fields.pop()
            usable = len(fields) - len(fields) % 3
            rest = b"\0".join([*fields[usable:], rest]) if usable < len(fields) else rest
            for i in range(0, usable, 3):
                yield _parsed(fields[i], fields[i + 1], fields[i + 2])
    if rest:
        raise ValueError(f"{path}: truncated folder prints")


def _parsed(folder: bytes, digest: bytes, clean: bytes) -> FolderPrint:
    if len(digest) != 32 or clean not in (b"0", b"1"):
        raise ValueError(f"not a folder print: {folder[:80]!r}")
    return folder.decode("utf-8", "surrogateescape"), digest.decode("ascii"), clean == b"1"


class _Saved:
    """The saved prints, one at a time; each one's walk-order key is worked out only when a
    comparison needs it (folders that match the walk's, the usual case, need none)."""

    def __init__(self, prints: Iterator[FolderPrint], order) -> None:
        self._prints, self._order = prints, order
        self.valid, self._last = True, None
        self.advance()

    def advance(self) -> None:
        self._key = None
        try:
            self.item = next(self._prints, None) if self.valid else None
        except (OSError, ValueError, TypeError):
            self.valid, self.item = False, None

    @property
    def key(self):
        if self._key is None:
            self._key = self._order(self.item[0])
            if self._last is not None and self._key <= self._last:  # not in walk order
                self.valid = False  # the merge ends at the next advance; the answer is None
            self._last = self._key
        return self._key


def changed_folders(previous: Iterator[FolderPrint], current: Iterable[tuple[str, str]],
                    roots: tuple[str, ...]) -> set[str] | None:
    """Folders added, removed, changed, or not clean last time, merging two walk-ordered
    sequences. ``current`` is always consumed whole (the caller digests it as it goes).
    None when ``previous`` is unreadable or either sequence is out of order (overlapping
    scan roots): the caller must then compare the whole tree."""
    order = walk_order(roots)
    changed: set[str] = set()
    saved, last, valid = _Saved(previous, order), None, True
    for folder, digest in current:
        if saved.item is None or saved.item[0] != folder:
            folder_key = order(folder)
            valid = valid and (last is None or last < folder_key)
            last = folder_key
            while saved.item is not None and saved.key < folder_key:
                changed.add(saved.item[0])  # removed
                saved.advance()
        if saved.item is not None and saved.item[0] == folder:
            if saved.item[1] != digest or not saved.item[2]:
                changed.add(folder)
            saved.advance()
        else:
            changed.add(folder)  # added
    while saved.item is not None:
        changed.add(saved.item[0])
        saved.advance()
    return changed if valid and saved.valid else None
