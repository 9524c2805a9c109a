"""Walk the artifact root and list its candidate files, without leaving the root.

The walk never follows a folder symlink (which also makes symlink loops harmless), and lists
the scan roots in their configured order, each top-down with sorted names: the *walk order*
that folder prints are saved and compared in. A folder's listing digest (paths, modes,
sizes, mtimes: one ``lstat`` per file, nothing read) is what tells a changed folder from an
unchanged one.

The default scan root is the artifact root itself (``WHOLE_ROOT``): people keep results in
``results/``, ``notebooks/``, ``runs/`` or at the top, and a tree read only under names we
chose would be silently ignored. What is never benchmark output is skipped as the walk
meets it, at no extra cost (the names are in the listing it makes anyway): hidden folders
(``.git``, ``.venv``, ``.ipynb_checkpoints``), ``node_modules``, ``__pycache__``,
``site-packages``, a folder holding ``pyvenv.cfg`` or ``conda-meta`` (a virtualenv or conda
environment of any name), and the folders in ``skip`` (the data dir, when it lies inside
the root: the pipeline's own reports must not be read back as artifacts).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path


def inside_root(path: Path, root: Path) -> bool:
    try:
        path.resolve(strict=True).relative_to(root)
    except (OSError, ValueError, RuntimeError):
        return False
    return True


WHOLE_ROOT = "."  # the scan root that is the artifact root itself
IGNORED_NAMES = frozenset({"node_modules", "__pycache__", "site-packages"})
ENVIRONMENT_FILES = frozenset({"pyvenv.cfg"})  # a virtualenv's top folder, whatever its name
ENVIRONMENT_FOLDERS = frozenset({"conda-meta"})  # a conda environment's


def top_folder(rel: str) -> str:
    """The ``artifact_files.folder`` of a file: its first folder under the root, ``.`` for a
    file at the top."""
    return rel.split("/", 1)[0] if "/" in rel else WHOLE_ROOT


def ignored_name(name: str) -> bool:
    """A folder the walk never enters, by its name alone."""
    return name.startswith(".") or name in IGNORED_NAMES


def environment(filenames: Iterable[str], folders: Iterable[str]) -> bool:
    """A folder that is a Python environment (its listing says so)."""
    return (not ENVIRONMENT_FILES.isdisjoint(filenames)
            or not ENVIRONMENT_FOLDERS.isdisjoint(folders))


def under(folder: str, top: str) -> bool:
    """Whether ``folder`` (relative to the root; ``""`` is the root) is in scan root ``top``."""
    return top == WHOLE_ROOT or folder == top or folder.startswith(top + "/")


def parts_below(folder: str, top: str) -> list[str]:
    """``folder``'s components below ``top``, led by ``""`` (``top`` itself is ``[""]``): the
    walk order within one scan root."""
    rest = ("/" + folder if folder else "") if top == WHOLE_ROOT else folder[len(top):]
    return rest.split("/")


def iter_folders(root: Path, roots: tuple[str, ...], extensions: tuple[str, ...],
                 skip: Iterable[str] = ()) -> Iterator[tuple[str, list[str]]]:
    """Yield ``(folder, paths)`` for each folder holding candidate files, in walk order: the
    scan roots in their configured order, each walked top-down with sorted names, without
    following folder links. ``folder`` is relative to ``root`` (``""`` for the root);
    ``paths`` are full path strings (a big walk should not build three Path objects per
    file), sorted. Folders in ``skip`` (relative to ``root``) are not entered."""
    wanted = {f".{ext}" for ext in extensions}
    real_root = root.resolve()
    start = len(str(root)) + 1
    pruned = frozenset(str(root / rel) for rel in skip)
    for top in roots:
        base = root if top == WHOLE_ROOT else root / top
        if not base.is_dir() or not inside_root(base, real_root):
            continue
        for dirpath, filenames in _walk(str(base), pruned):
            paths = candidate_paths(dirpath, filenames, wanted)
            if paths:
                yield dirpath[start:].replace(os.sep, "/"), paths


def _walk(top: str, pruned: frozenset[str] = frozenset(), nested: bool = False
          ) -> Iterator[tuple[str, list[str]]]:
    """``os.walk(top, followlinks=False)`` with sorted folder names, as ``(dirpath,
    filenames)``: the same folders in the same order, but a folder link is recognised from
    its directory entry, not by ``os.walk``'s ``islink`` call per folder (an extra ``lstat``
    per folder, a real share of the no-change run). Like ``os.walk`` it holds the folder
    names of one level at a time, not full paths. Ignored folders, environments and
    ``pruned`` paths are not entered (``nested``: ``top`` itself may be an environment)."""
    try:
        with os.scandir(top) as entries:
            listed = list(entries)
    except OSError:
        return  # os.walk skips a folder it cannot list
    folders, filenames = [], []
    for entry in listed:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if not is_dir:
            filenames.append(entry.name)
        elif not _is_link(entry) and not ignored_name(entry.name):
            folders.append(entry.name)
    del listed
    if nested and environment(filenames, folders):
        return
    yield top, filenames
    for name in sorted(folders):
        path = top + os.sep + name
        if path not in pruned:
            yield from _walk(path, pruned, nested=True)


def _is_link(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False  # as os.path.islink answers when lstat fails


def candidate_paths(dirpath: str, filenames: list[str], wanted: set[str]) -> list[str]:
    """The candidate files among one folder's ``filenames``, sorted, as full paths."""
    prefix = dirpath + os.sep
    # the extension as os.path.splitext sees it (a leading dot is part of the name), without
    # its call per file, a large share of a walk's Python time
    return [prefix + name for name in sorted(filenames)
            if (dot := name.rfind(".")) > 0 and name[dot:].lower() in wanted
            and name[:dot].strip(".")]


def iter_candidate_names(root: Path, roots: tuple[str, ...], extensions: tuple[str, ...]
                         ) -> Iterator[str]:
    """Every candidate file's path, in :func:`iter_folders` order."""
    for _, paths in iter_folders(root, roots, extensions):
        yield from paths


def iter_candidates(root: Path, roots: tuple[str, ...], extensions: tuple[str, ...]
                    ) -> Iterator[Path]:
    """:func:`iter_candidate_names` as Paths."""
    return map(Path, iter_candidate_names(root, roots, extensions))



FolderPrint = tuple[str, str, bool]  # (folder relative to the root, digest, scanned cleanly)


def file_line(path: str, info: os.stat_result | None) -> bytes:
    """One file's contribution to its folder's digest (``info`` None: it vanished)."""
    text = (f"{path}\0{info.st_mode}\0{info.st_size}\0{info.st_mtime_ns}\n" if info
            else f"{path}\0gone\n")
    return text.encode("utf-8", "surrogateescape")


def lstat_or_none(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def listing_digest(paths: Iterable[str]) -> str:
    """The digest of one folder's candidate files, stat-ed now."""
    digest = hashlib.blake2b(digest_size=16)
    for path in paths:
        digest.update(file_line(path, lstat_or_none(path)))
    return digest.hexdigest()

