"""A digest of the library's own code: what a version of derived rows is made of, so that any
edit to the code that made them makes them again, without anyone bumping a number."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from pathlib import Path

LIB = Path(__file__).resolve().parents[1]


def code_digest(sources: Iterable[str], versions: tuple[str, ...] = ()) -> hashlib._Hash:
    """A sha256 of the interpreter's and ``versions`` (the libraries that compute with the
    code), then of every ``.py`` under each of ``sources`` (folders or files relative to
    ``lib``), each by its path and bytes; the caller may add more before reading it."""
    digest = hashlib.sha256(repr((sys.version, *versions)).encode())
    for source in sources:
        path = LIB / source
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(str(file.relative_to(LIB)).encode() + b"\0" + file.read_bytes())
    return digest
