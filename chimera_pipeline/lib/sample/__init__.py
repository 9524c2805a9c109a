"""Deterministic generator of benchmark-artifact corpora, from the bundled sample to 100k files.

Every file kind of the real corpus is written, traps included: a UTF-16 error text saved
as ``.csv``, a units row and ``22,80,000`` digit grouping, ``timed out`` rows, failed rows
with zeros, exact duplicates, files without dates, and Markdown tables glued to the
previous line. The same seed always gives the same bytes, so the bundled sample can be
checked against the generator, and benchmark trees are reproducible.

Files with no date in name or content get their unit's day as mtime, so a generated tree
spreads over its days the way a real one would (a git checkout resets this: the bundled
sample's undated files then fall on the checkout day, as real undated files do).
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Callable
from pathlib import Path

from chimera_pipeline.lib.sample import llm, systems, writeups
from chimera_pipeline.lib.sample.common import Unit

Writer = Callable[[Unit], None]

# writer -> (units in the bundled sample, weight at scale ~ the real corpus's mix)
WRITERS: dict[Writer, tuple[int, int]] = {
    llm.prompt_suite: (10, 10), llm.gemma3_sweep: (3, 3), llm.ollama_sweep: (1, 1),
    llm.banter: (1, 2), systems.compilation: (9, 9), systems.timing_baselines: (5, 5),
    systems.telemetry: (1, 2), systems.odd_kinds: (1, 1), systems.nsight: (1, 1),
    systems.multiagent_artifacts: (1, 1), writeups.technical_report: (3, 3),
    writeups.digest: (3, 5), writeups.lessons: (2, 2), writeups.readme: (1, 1),
    writeups.gemma3_writeups: (1, 2), writeups.compilation_summary: (1, 2),
}

SAMPLE_START = dt.date(2025, 9, 22)
SAMPLE_DAYS = 12
SCALE_START = dt.date(2025, 1, 1)


def _plan(rng: random.Random, files: int | None) -> list[Writer]:
    if files is None:
        plan = [w for w, (count, _) in WRITERS.items() for _ in range(count)]
        rng.shuffle(plan)
        return plan
    writers, weights = list(WRITERS), [weight for _, weight in WRITERS.values()]
    mean_files = 2.05  # files per unit at these weights; a plan slightly over is trimmed
    return rng.choices(writers, weights=weights, k=int(files / mean_files) + 8)


def generate(files: int | None = None, seed: int = 7, days: int | None = None
             ) -> dict[str, tuple[bytes, dt.date]]:
    """Return ``{relative path: (bytes, day)}`` for the sample (``files=None``) or a corpus
    of about ``files`` files spread over ``days`` days."""
    rng = random.Random(seed)
    scale = files is not None
    n_days = days or (max(10, min(365, files // 100)) if scale else SAMPLE_DAYS)
    start = SCALE_START if scale else SAMPLE_START
    seen: dict[Writer, int] = {}
    out: dict[str, tuple[bytes, dt.date]] = {}
    for serial, writer in enumerate(_plan(rng, files)):
        if scale and len(out) >= files:
            break
        occurrence = seen[writer] = seen.get(writer, -1) + 1
        unit = Unit(rng, start + dt.timedelta(days=serial % n_days), serial, occurrence, scale)
        writer(unit)
        for path, content in unit.files.items():
            if scale and len(out) >= files:
                break  # the last unit is cut so the tree has exactly ``files`` files
            out[path] = (content, unit.day)
    return out


def write_corpus(root: Path, files: int | None = None, seed: int = 7, days: int | None = None
                 ) -> list[Path]:
    """Write the corpus under ``root``; each file's mtime is noon UTC of its unit's day."""
    written = []
    for rel, (content, day) in sorted(generate(files, seed, days).items()):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC).timestamp()
        os.utime(path, (noon, noon))
        written.append(path)
    return written
