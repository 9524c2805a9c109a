"""A realistic benchmark tree: a real artifact corpus copied N times into dated run folders.

    python bench/replicate.py CORPUS OUT FILES [--days 365]

The generated corpus (``chimera_pipeline.lib.sample``) has the real corpus's mix of kinds
but small files with few numbers, which flatters a parser. This tree is the real files
themselves: copy ``c`` of the corpus goes to ``<top>/run_<YYYYMMDD>_<c>/<rest of path>`` (so
a file whose name holds no date stamp belongs to its run folder's day, and one whose name
does keeps it, as it would in a user's history), and each copy changes one number per file
(the last decimal number gets the copy's index appended to its fraction) so no file is an
exact duplicate of another and nothing is skipped as one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

TOPS = ("reports", "csv_data", "artifacts")
_DECIMAL = re.compile(rb"\d+\.\d+")
_INTEGER = re.compile(rb"\d+")
_WIDE_DECIMAL = re.compile(rb"(?:\d\x00)+\.\x00(?:\d\x00)+")
_WIDE_INTEGER = re.compile(rb"(?:\d\x00)+")


def corpus_files(corpus: Path) -> list[Path]:
    """The corpus's artifact files (its top folders; not its MANIFEST or index)."""
    return sorted(p for top in TOPS if (corpus / top).is_dir()
                  for p in (corpus / top).rglob("*") if p.is_file())


def unique_copy(data: bytes, copy: int) -> bytes:
    """``data`` with one number changed so that every copy index gives other bytes: the
    last decimal number's fraction gets ``copy`` appended (``12.5`` -> ``12.50042``),
    else the last integer grows by ``copy``."""
    wide = b"\x00" in data  # UTF-16 (LE, as the corpus's Nsight exports): digits are d\0
    decimal, integer = (_WIDE_DECIMAL, _WIDE_INTEGER) if wide else (_DECIMAL, _INTEGER)
    suffix = f"{copy:05d}".encode()
    if wide:
        suffix = b"".join(bytes([c, 0]) for c in suffix)
    matches = list(decimal.finditer(data))
    if matches:
        last = matches[-1]
        return data[:last.end()] + suffix + data[last.end():]
    if wide:
        return data + suffix
    matches = list(integer.finditer(data))
    if matches:
        last = matches[-1]
        return data[:last.start()] + str(int(last.group()) + copy).encode() + data[last.end():]
    return data + f"\n{copy}\n".encode()


def replicate(corpus: Path, out: Path, files: int, days: int = 365,
              first_day: dt.date = dt.date(2025, 1, 1)) -> dict:
    """Write copies of ``corpus`` under ``out`` until ``files`` files exist; copy ``c``
    belongs to day ``first_day + c mod days``. Returns the counts."""
    sources = [(p.relative_to(corpus).parts, p.read_bytes()) for p in corpus_files(corpus)]
    if not sources:
        raise ValueError(f"{corpus} holds no artifact files under {', '.join(TOPS)}")
    written = size = copy = 0
    while written < files:
        day = first_day + dt.timedelta(days=copy % days)
        run = f"run_{day:%Y%m%d}_{copy:04d}"
        for parts, data in sources[:files - written]:
            target = out.joinpath(parts[0], run, *parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True)
            body = unique_copy(data, copy)
            target.write_bytes(body)
            written += 1
            size += len(body)
        copy += 1
    return {"files": written, "copies": copy, "bytes": size,
            "days": min(copy, days)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("files", type=int)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    print(replicate(args.corpus, args.out, args.files, args.days))
    return 0


if __name__ == "__main__":
    sys.exit(main())
