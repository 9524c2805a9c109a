"""Tables and ``- Label: value`` bullets in Markdown write-ups.

The real corpus lost many blank lines when it was committed, so a table header is often
glued onto the line before it (``- DType: torch.float32 | Backend | Success |``). The
separator row (``| --- | --- |``) says how many columns the table has, so the header is the
last that-many cells of the previous line, whatever text precedes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from chimera_pipeline.lib.common.tables import MarkdownTable, markdown_tables

_BULLET = re.compile(
    r"^\s*[-*]\s+\**([A-Za-z][^:*|]{0,79}?)\**\s*:\s*\**\s*"
    r"([+-]?\d[\d,]*(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([A-Za-z%/µ]+(?:/[A-Za-z]+)?)?"
)
_VALUE = re.compile(
    r"^\**\s*([+-]?\d[\d,]*(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([A-Za-z%/µ]+(?:/[A-Za-z]+)?)?\s*\**$"
)


def tables(text: str) -> Iterator[MarkdownTable]:
    """Every table, as every reader finds it (:mod:`lib.common.tables`: headers glued to
    the previous line's text are recovered there)."""
    yield from markdown_tables(text)


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
