"""A run after a small change: rescan the folders that changed, not the tree.

When the marker of the last complete run can be trusted (nobody wrote the warehouse or the
scan cache since, same stage and partition start: ``tree_state.trusted``), every folder whose
print still matches is exactly as the warehouse holds it. Only the changed folders are listed
and looked up (their unchanged files still come from the cache, unread); the days their files
had before or have now are the only days that may be stale. The rest of the tree stays an
Arrow table of cache rows: no record, ``lstat`` or comparison per unchanged file, so the work
outside Dagster grows with the change, not with the tree.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from chimera_pipeline.lib.incremental import folder_prints
from chimera_pipeline.lib.inventory import scan_cache
from chimera_pipeline.lib.inventory.records import (
    FileRecord,
    cache_row,
    cacheable,
    mark_duplicates,
    record_from_row,
)
from chimera_pipeline.lib.inventory.scan import cache_outdated, scan_listings
from chimera_pipeline.lib.inventory.walk import (
    WHOLE_ROOT,
    FolderPrint,
    candidate_paths,
    environment,
    ignored_name,
    inside_root,
    parts_below,
    under,
)


@dataclass
class Rescan:
    """The changed folders' files now, and the unchanged rest of the tree as cache rows."""

    changed_records: list[FileRecord]
    kept: object  # pa.Table of the unchanged folders' cache rows
    old_hits: dict[str, dict]  # the changed folders' cache rows before the rescan
    prints: list[FolderPrint]  # the whole tree's prints, in walk order

    @property
    def file_count(self) -> int:
        return self.kept.num_rows + len(self.changed_records)

    def touched_days(self) -> set[dt.date]:
        """Days a changed folder's file had before or has now: the only ones that may be stale."""
        return ({r.benchmark_date for r in self.changed_records}
                | {row["benchmark_date"] for row in self.old_hits.values()})

    def all_days(self) -> set[dt.date]:
        import pyarrow.compute as pc

        kept = pc.unique(self.kept.column("benchmark_date")).to_pylist()
        return set(kept) | {r.benchmark_date for r in self.changed_records}

    def records_for(self, days: set[str]) -> list[FileRecord]:
        """Every file of ``days``, with duplicate links over the whole tree."""
        import pyarrow as pa
        import pyarrow.compute as pc

        dates = pa.array([dt.date.fromisoformat(d) for d in days], pa.date32())
        in_days = pc.is_in(self.kept.column("benchmark_date"), value_set=dates)
        chosen = [r for r in self.changed_records if r.partition in days]
        chosen += [record_from_row(row) for row in self.kept.filter(in_days).to_pylist()]
        shas = {r.sha256 for r in chosen if r.sha256}
        others = [r for r in self.changed_records
                  if r.partition not in days and r.sha256 in shas]
        sha_set = pa.array(sorted(shas), pa.string())
        same_sha = pc.and_(pc.invert(in_days),
                           pc.is_in(self.kept.column("sha256"), value_set=sha_set))
        others += [record_from_row(row) for row in self.kept.filter(same_sha).to_pylist()]
        mark_duplicates(chosen + others)
        return chosen

    def save_cache(self, cache: Path) -> None:
        """The cache with the changed folders' rows replaced (not rewritten when equal)."""
        import pyarrow as pa

        if not cache_outdated(self.changed_records, self.old_hits):
            return
        fresh = pa.Table.from_pylist([cache_row(r) for r in self.changed_records
                                      if cacheable(r)], schema=scan_cache.schema())
        scan_cache.save(cache, pa.concat_tables([self.kept, fresh]))


def _listing(root: Path, roots: tuple[str, ...], folder: str, wanted: set[str],
             skip: tuple[str, ...] = ()) -> list[str]:
    """The candidate files of one folder as the full walk would list them: none when the
    walk would not reach it (gone, not a folder, behind a folder link, outside the roots,
    ignored, skipped, inside an environment)."""
    top = next((t for t in roots if under(folder, t)), None)
    if top is None:
        return []
    base = root if top == WHOLE_ROOT else root / top
    if not base.is_dir() or not inside_root(base, root.resolve()):
        return []
    current = base
    for part in parts_below(folder, top)[1:]:
        current = current / part
        if (ignored_name(part) or current.is_symlink() or not current.is_dir()
                or current.relative_to(root).as_posix() in skip):
            return []
        try:
            _, folders, files = next(os.walk(current, followlinks=False))
        except StopIteration:
            return []
        if environment(files, folders):
            return []
    try:
        dirpath, _, filenames = next(os.walk(current, followlinks=False))
    except StopIteration:
        return []
    return candidate_paths(dirpath, filenames, wanted)


def rescan(root: Path, roots: tuple[str, ...], extensions: tuple[str, ...], cache: Path,
           saved_prints: Path, changed: set[str], skip: tuple[str, ...] = ()
           ) -> Rescan | None:
    """Scan only ``changed`` folders; None when the cache or the saved prints are unreadable
    (the caller scans the whole tree)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = scan_cache.load_table(cache)
    if table is None:
        return None
    try:
        previous = [p for p in folder_prints.read(saved_prints) if p[0] not in changed]
    except (OSError, ValueError, TypeError):
        return None
    folder_of = [path.rpartition("/")[0] in changed for path in table.column("path").to_pylist()]
    mask = pa.array(folder_of, pa.bool_())
    old_hits = scan_cache.rows_by_path(table.filter(mask))
    kept = table.filter(pc.invert(mask))
    wanted = {f".{ext}" for ext in extensions}
    order = folder_prints.walk_order(roots)
    listings = [(folder, paths) for folder in sorted(changed, key=order)
                if (paths := _listing(root, roots, folder, wanted, skip))]
    records, prints = scan_listings(root, listings, old_hits)
    for item in prints:  # a few into many already in order: no sort of the whole list
        bisect.insort(previous, item, key=lambda p: order(p[0]))
    return Rescan(records, kept, old_hits, previous)
