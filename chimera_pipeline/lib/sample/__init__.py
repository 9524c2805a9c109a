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

from chimera_pipeline.lib.sample import llm, systems, tools, writeups
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

# other benchmark tools' outputs: units in the bundled sample; written with their own random
# stream after the project's files, so adding a tool leaves every other sample file as it was
TOOL_WRITERS: dict[Writer, int] = {
    tools.llama_bench: 2, tools.vllm_serve: 3, tools.llmperf: 1, tools.guidellm: 1,
    tools.genai_perf: 2, tools.ollama_logs: 1,
}
TOOL_SHARE = 0.25  # of a mixed tree's units (``generate(..., tools=True)``)

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


def _tool_plan(rng: random.Random, files: int | None, mixed: bool) -> list[Writer]:
    if files is None:
        return [w for w, count in TOOL_WRITERS.items() for _ in range(count)]
    if not mixed:
        return []
    mean_files = 1.6  # files per tool unit
    return rng.choices(list(TOOL_WRITERS), k=int(files * TOOL_SHARE / mean_files) + 4)


def generate(files: int | None = None, seed: int = 7, days: int | None = None,
             tools: bool = False) -> dict[str, tuple[bytes, dt.date]]:
    """Return ``{relative path: (bytes, day)}`` for the sample (``files=None``) or a corpus
    of about ``files`` files spread over ``days`` days; ``tools`` mixes other benchmark
    tools' outputs into a corpus of that size (the sample always has them)."""
    rng = random.Random(seed)
    scale = files is not None
    n_days = days or (max(10, min(365, files // 100)) if scale else SAMPLE_DAYS)
    start = SCALE_START if scale else SAMPLE_START
    seen: dict[Writer, int] = {}
    out: dict[str, tuple[bytes, dt.date]] = {}
    tool_rng = random.Random(seed * 7919 + 1)
    tool_units = _tool_plan(tool_rng, files, tools)
    quota = files - int(files * TOOL_SHARE) if scale and tools else files
    main = [(writer, rng) for writer in _plan(rng, quota)]
    for serial, (writer, unit_rng) in enumerate(main + [(w, tool_rng) for w in tool_units]):
        if scale and len(out) >= (quota if unit_rng is rng else files):
            if unit_rng is rng:
                continue
            break
        occurrence = seen[writer] = seen.get(writer, -1) + 1
        unit = Unit(unit_rng, start + dt.timedelta(days=serial % n_days), serial, occurrence,
                    scale)
        writer(unit)
        for path, content in unit.files.items():
            if scale and len(out) >= (quota if unit_rng is rng else files):
                break  # the last unit is cut so the tree has exactly ``files`` files
            out[path] = (content, unit.day)
    return out


def write_corpus(root: Path, files: int | None = None, seed: int = 7, days: int | None = None,
                 tools: bool = False) -> list[Path]:
    """Write the corpus under ``root``; each file's mtime is noon UTC of its unit's day."""
    written = []
    for rel, (content, day) in sorted(generate(files, seed, days, tools).items()):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC).timestamp()
        os.utime(path, (noon, noon))
        written.append(path)
    return written
