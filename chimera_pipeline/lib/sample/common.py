"""Shared pieces of the sample-corpus writers: the unit context, stamps and CSV text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from dataclasses import dataclass, field

PROMPTS = (
    "banter prompt: Player failed a mission but needs encouragement.",
    "Give a battle quote for a co-op shooter win.",
    "Prompt for rare loot find celebration banter.",
    "Craft a witty remark after a close racing finish.",
    "Motivate a teammate before a final boss fight.",
)

# model -> (mean decode tok/s, warm TTFT s) roughly as measured in the real corpus
MODELS = {
    "gemma3:latest": (102.0, 0.13),
    "gemma3:1b-it-qat": (183.0, 0.09),
    "gemma3:270m": (284.0, 0.06),
    "llama3.1:8b-instruct-q4_0": (77.5, 0.09),
    "llama3.1:8b-instruct-q5_K_M": (70.0, 0.10),
    "llama3.1:8b-instruct-q8_0": (55.0, 0.12),
}


@dataclass
class Unit:
    """What one writer call knows: its day, a serial number and the shared RNG."""

    rng: random.Random
    day: dt.date
    serial: int
    occurrence: int
    scale: bool
    files: dict[str, bytes] = field(default_factory=dict)

    def at(self, hour: int) -> dt.datetime:
        """A local time on this unit's day; seconds from the serial keep stamps unique."""
        second = self.serial % 3600
        return dt.datetime.combine(self.day, dt.time(hour % 24, second // 60, second % 60))

    def stamp(self, hour: int, sep: str = "-") -> str:
        return self.at(hour).strftime(f"%Y%m%d{sep}%H%M%S")

    def epoch(self, hour: int) -> int:
        return int(self.at(hour).replace(tzinfo=dt.UTC).timestamp())

    def undated(self, folder: str) -> str:
        """Folder for files without a date in the name; unique per unit at scale."""
        return f"{folder}/set_{self.serial:05d}" if self.scale else folder

    def jitter(self, value: float, spread: float = 0.02) -> float:
        return value * (1 + self.rng.uniform(-spread, spread))

    def add(self, path: str, content: str | bytes) -> None:
        self.files[path] = content.encode() if isinstance(content, str) else content

    def add_json(self, path: str, data: object, indent: int | None = 2) -> None:
        self.add(path, json.dumps(data, indent=indent) + "\n")


def csv_text(header: list[str], rows: list[list[object]], quote_all: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
                        lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def filler(rng: random.Random, paragraphs: int) -> str:
    """Deterministic prose so Markdown write-ups have realistic sizes."""
    words = (  # noqa: SIM905
        "throughput latency context window quantization gpu layers warm cold cache "
        "prompt decode prefill tokens model backend sweep baseline variance run "
        "configuration observed stable regression improvement memory").split()
    out = []
    for _ in range(paragraphs):
        out.append(" ".join(rng.choice(words) for _ in range(rng.randint(40, 90))).capitalize()
                   + ".")
    return "\n\n".join(out)
