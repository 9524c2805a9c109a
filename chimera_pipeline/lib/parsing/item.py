"""What the parser is given for one file, and what it says back about it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ParseItem:
    """One inventoried file to parse: its ``artifact_files`` row, as far as parsing needs it.

    ``scan_error`` is the scanner's own failure (unreadable, busy): such a file is not
    opened again; ``duplicate_of`` an exact copy already parsed under another path."""

    path: str
    kind: str
    type: str
    partition: str
    sha256: str | None
    duplicate_of: str | None = None
    parse_status: str | None = None
    scan_error: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> ParseItem:
        """From an inventory row (``read_inventory``'s columns; extra keys are ignored)."""
        return cls(**{name: row.get(name) for name in cls.__slots__})


@dataclass(slots=True)
class FileStatus:
    """What became of one file; written back to ``artifact_files``."""

    path: str
    parser: str | None
    parse_status: str
    parse_error: str | None = None
    rows_loaded: int = 0
    values_loaded: int = 0
