"""The one reading of a Markdown pipe table that every reader of the project shares.

Tool readers (``lib/formats``) and the generic value extractor (``lib/parsing``) must find
the same tables in the same text, or a number would be a measurement for one and absent for
the other. What counts as a table:

- a delimiter row (cells of ``-`` with optional ``:``, at least one ``|``) under a header
  line holding a ``|``;
- when the header line holds more cells than the delimiter row (the real corpus lost blank
  lines, gluing a header onto the text before it: ``- DType: fp32 | Backend | Success |``),
  its last that-many cells are the header;
- rows follow while a line holds a ``|`` (and starts with one, when the header did: a log
  line such as ``ggml_vulkan: 0 = ... | uma: 0`` after a table is not a row) and is not
  blank; cells beyond the header's width are dropped;
- a row of dashes (``| - | - |``, a tool's "no value") is a row; a delimiter of three or
  more dashes per cell under a row starts the next table, that row its header (tables
  written with no blank line between them);
- a table inside a Markdown quote (``> | PP | TG |``, pasted into a discussion) is a table;
- a tool's log line printed into a table on the same stream (``ggml_vulkan: Compiling
  shaders....Done!`` between llama-bench's delimiter and its first row) is skipped when a
  row follows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DELIMITER = re.compile(r"\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?")
_STRONG_CELL = re.compile(r"\s*:?-{3,}:?\s*")
_LOG_LINE = re.compile(r"^[a-z][a-z0-9_]*: \S")  # ``ggml_vulkan: ...``, ``llama_model_load: ...``
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")


@dataclass
class MarkdownTable:
    """One pipe table: its header cells, rows of cells, and its header's line (1-based)."""

    header: list[str]
    rows: list[list[str]]
    line: int


def cells(line: str) -> list[str]:
    """A table line's cells, stripped, without the empty ends outer pipes make."""
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [cell.strip() for cell in inner.split("|")]


def _delimiter(line: str) -> bool:
    text = line.strip()
    return "|" in text and "-" in text and _DELIMITER.fullmatch(text) is not None


def _next_table(line: str) -> bool:
    """A delimiter no data row looks like: three dashes or more in every cell."""
    return _delimiter(line) and all(_STRONG_CELL.fullmatch(c) for c in cells(line))


def markdown_tables(text: str) -> list[MarkdownTable]:
    """Every pipe table in ``text``, in order."""
    lines = [_QUOTE.sub("", line) if line.lstrip().startswith(">") else line
             for line in text.splitlines()]
    tables, i = [], 1
    while i < len(lines):
        if not (_delimiter(lines[i]) and "|" in lines[i - 1]):
            i += 1
            continue
        width = len(cells(lines[i]))
        header = cells(lines[i - 1])
        header = header[-width:] if len(header) > width else header
        piped = lines[i - 1].lstrip().startswith("|")
        rows, j = [], i + 1
        while j < len(lines) and (_row(lines[j], piped) or _log_inside(lines, j, piped)):
            if _log_inside(lines, j, piped):
                j += 1
                continue
            if _next_table(lines[j]) and rows:
                rows.pop()  # the next table's header
                j -= 1
                break
            rows.append(cells(lines[j])[:len(header)])
            j += 1
        tables.append(MarkdownTable(header, rows, i))
        i = max(j, i + 1)
    return tables


def _log_inside(lines: list[str], j: int, piped: bool) -> bool:
    """A log line (no pipe) with a row right after it: printed into the table, not ending it."""
    return (_LOG_LINE.match(lines[j].strip()) is not None and "|" not in lines[j]
            and j + 1 < len(lines) and _row(lines[j + 1], piped)
            and not _delimiter(lines[j + 1])
            and not (j + 2 < len(lines) and _delimiter(lines[j + 2])))  # a next table's header


def _row(line: str, piped: bool) -> bool:
    text = line.strip()
    return bool(text) and "|" in text and (text.startswith("|") or not piped)
