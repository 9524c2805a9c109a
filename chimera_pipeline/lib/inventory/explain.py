"""Why a scan found nothing: what the artifact root holds, and what kept each part out.

A run that reads nothing must not just say "no benchmark days": the user pointed it at a
folder of results and needs to know whether the folder is empty, holds files of extensions
that are not read, keeps them only in folders that are never entered, or lies outside the
configured scan roots. Only asked when a scan found no candidate file, so its walk (which,
unlike the scan's, enters everything to count it) costs nothing on a normal run.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from chimera_pipeline.lib.config import Settings
from chimera_pipeline.lib.inventory.walk import WHOLE_ROOT, environment, ignored_name

MAX_ENTRIES = 200_000  # a root this big with no candidate is counted in part


def why_nothing_was_read(settings: Settings) -> list[str]:
    """Lines saying what the root holds and why none of it was read."""
    root = settings.artifact_root
    if not root.is_dir():
        return [f"the artifact root {root} is not a folder (CHIMERA_ARTIFACT_ROOT)"]
    wanted = {f".{ext}" for ext in settings.extensions}
    skip = {str(root / rel) for rel in settings.scan_skip}
    by_ext: Counter = Counter()
    kept_out: Counter = Counter()  # why files were not reached: folder kind -> files
    outside_roots = 0
    seen = 0
    roots = settings.scan_roots
    environments: set[str] = set()
    for dirpath, folders, files in os.walk(root):
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        reason = _kept_out(rel, dirpath, folders, files, skip, environments)
        if reason is None and WHOLE_ROOT not in roots and not any(
                rel == top or rel.startswith(top + "/") for top in roots):
            outside_roots += sum(1 for f in files if Path(f).suffix.lower() in wanted)
        for name in files:
            suffix = Path(name).suffix.lower()
            if reason is not None and suffix in wanted:
                kept_out[reason] += 1
            elif reason is None and suffix not in wanted:
                by_ext[suffix or "(no extension)"] += 1
        seen += len(files) + len(folders)
        if seen > MAX_ENTRIES:
            break
    total = sum(by_ext.values()) + sum(kept_out.values()) + outside_roots
    if total == 0:
        return [f"the artifact root {root} holds no files (CHIMERA_ARTIFACT_ROOT)"]
    lines = [f"nothing read under {root}:"]
    if by_ext:
        listed = ", ".join(f"{n} {ext}" for ext, n in by_ext.most_common(6))
        lines.append(f"  {sum(by_ext.values())} file(s) of extensions not read ({listed}); "
                     f"read: {', '.join(settings.extensions)} (CHIMERA_EXTENSIONS)")
    for reason, n in sorted(kept_out.items()):
        lines.append(f"  {n} file(s) in {reason}, never read")
    if outside_roots:
        lines.append(f"  {outside_roots} file(s) outside the scan roots "
                     f"{', '.join(roots)} (CHIMERA_SCAN_ROOTS; '.' reads the whole root)")
    return lines


def _kept_out(rel: str, dirpath: str, folders: list[str], files: list[str],
              skip: set[str], environments: set[str]) -> str | None:
    """Why the scan does not enter this folder (None: it does); ``environments`` collects
    the environments met, whose subfolders share their reason."""
    parts = [] if rel == "." else rel.split("/")
    if any(ignored_name(p) for p in parts):
        return "hidden or tool folders (.git, node_modules, __pycache__, ...)"
    if _within(dirpath, skip):
        return "the data dir (the pipeline's own output)"
    if _within(dirpath, environments) or (parts and environment(files, folders)):
        environments.add(dirpath)
        return "Python environments"
    return None


def _within(dirpath: str, folders: set[str]) -> bool:
    return dirpath in folders or any(dirpath.startswith(f + os.sep) for f in folders)
