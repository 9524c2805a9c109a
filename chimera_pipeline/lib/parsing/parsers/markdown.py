"""Tables and ``- Label: value`` bullets in Markdown write-ups.

The real corpus lost many blank lines when it was committed, so a table header is often
glued onto the line before it (``- DType: torch.float32 | Backend | Success |``). The
separator row (``| --- | --- |``) says how many columns the table has, so the header is the
last that-many cells of the previous line, whatever text precedes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_BULLET = re.compile(
    r"^\s*[-*]\s+\**([A-Za-z][^:*|]{0,79}?)\**\s*:\s*\**\s*"
    r"([+-]?\d[\d,]*(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([A-Za-z%/µ]+(?:/[A-Za-z]+)?)?"
)
_VALUE = re.compile(
    r"^\**\s*([+-]?\d[\d,]*(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([A-Za-z%/µ]+(?:/[A-Za-z]+)?)?\s*\**$"
)


@dataclass(frozen=True)
class Table:
    """A Markdown table: header cells and data rows (lists of stripped cells)."""

    header: list[str]
    rows: list[list[str]]


def _cells(line: str) -> list[str]:
    parts = line.strip().split("|")
    if parts and parts[0].strip() == "":
        parts = parts[1:]
    if parts and parts[-1].strip() == "":
        parts = parts[:-1]
    return [p.strip() for p in parts]


def tables(text: str) -> Iterator[Table]:
    """Yield every table, recovering headers glued to the previous line's text."""
    lines = text.splitlines()
    i = 1
    while i < len(lines):
        if _SEPARATOR.match(lines[i]) and "|" in lines[i - 1]:
            width = len(_cells(lines[i]))
            header = _cells(lines[i - 1])[-width:]
            rows = []
            j = i + 1
            while j < len(lines) and "|" in lines[j] and not _SEPARATOR.match(lines[j]):
                rows.append(_cells(lines[j])[:width])
                j += 1
            yield Table(header, rows)
            i = j
        else:
            i += 1


def bullets(text: str) -> Iterator[tuple[int, str, str, str | None]]:
    """Yield ``(line_number, label, number_text, unit)`` for ``- Label: 12.5 ms`` lines."""
    for number, line in enumerate(text.splitlines(), start=1):
        match = _BULLET.match(line)
        if match:
            yield number, match.group(1).strip(), match.group(2), match.group(3)


def split_value(cell: str) -> tuple[str, str | None] | None:
    """``"102.85 tokens/s"`` -> ``("102.85", "tokens/s")``; ``None`` when not a number."""
    match = _VALUE.match(cell.strip().strip("`"))
    return (match.group(1), match.group(2)) if match else None
