"""Which benchmark days have new or changed artifact files since the last look.

The cursor maps each file to the ``(size, mtime_ns)`` it had when it was last taken, so an
unchanged file never triggers a run. A file whose mtime is younger than ``settle_s`` is
still being written: it is left out of the cursor and looked at again on the next tick,
so a half-written file is never ingested.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from chimera_pipeline.lib.inventory.scan import scan_file
from chimera_pipeline.lib.inventory.walk import iter_candidates


@dataclass
class Changes:
    """Days to (re)materialize, with the files that changed on each, and the next cursor."""

    days: dict[str, list[str]] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)
    cursor: str = "{}"

    def run_key(self, day: str) -> str:
        """Stable per (day, file states): the same change never launches two runs."""
        states = json.loads(self.cursor)
        digest = hashlib.sha1(json.dumps(
            [[rel, states.get(rel)] for rel in sorted(self.days[day])]).encode()).hexdigest()
        return f"{day}:{digest[:12]}"


def detect_changes(root: Path, roots: tuple[str, ...], extensions: tuple[str, ...],
                   cursor: str | None, now: float, settle_s: float) -> Changes:
    seen: dict[str, list[int]] = json.loads(cursor) if cursor else {}
    changes = Changes()
    current: dict[str, list[int]] = {}
    for path in iter_candidates(root, roots, extensions):
        rel = path.relative_to(root).as_posix()
        try:
            stat = path.stat()
        except OSError:
            continue  # vanished, or a dangling link: nothing to ingest
        state = [stat.st_size, stat.st_mtime_ns]
        if seen.get(rel) == state:
            current[rel] = state
            continue
        if now - stat.st_mtime < settle_s:
            changes.waiting.append(rel)  # still being written; keep the old state, if any
            if rel in seen:
                current[rel] = seen[rel]
            continue
        current[rel] = state
        day = scan_file(path, root).partition
        changes.days.setdefault(day, []).append(rel)
    changes.cursor = json.dumps(current, sort_keys=True)
    return changes
