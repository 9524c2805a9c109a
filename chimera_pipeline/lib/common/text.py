"""Turning artifact bytes into text without losing track of what was odd about them.

Benchmark tools on Windows write UTF-16 (with a BOM), UTF-8 with a BOM, or UTF-16 that a
later tool re-encoded byte by byte into UTF-8 (the real corpus's ``ncu_summary.csv``: it
starts with ``ÿþ`` and has a NUL between characters). Decoding never raises: the caller
gets the best text available plus a note it can store as the reason a parse failed.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(frozen=True)
class DecodedText:
    """Decoded text, the encoding used, and a note when the bytes were not clean UTF-8."""

    text: str
    encoding: str
    note: str | None = None


_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or (13 < b < 32 and b != 27))  # ESC: ANSI


def _looks_binary(data: bytes) -> bool:
    """Binary data (images, archives, random bytes) rather than text in some encoding."""
    sample = data[:8192]
    if not sample:
        return False
    nul_even, nul_odd = sample[0::2].count(0), sample[1::2].count(0)
    if max(nul_even, nul_odd) > 0.3 * len(sample) / 2 and min(nul_even, nul_odd) < 4:
        return False  # NULs on one side only: UTF-16 without a BOM, not binary
    if min(nul_even, nul_odd) >= 4:
        return True  # NULs everywhere: no text encoding looks like that
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > 0.05 * len(sample)


def decode_bytes(data: bytes) -> DecodedText:
    """Decode artifact bytes: BOM-aware, UTF-8 first, never raising."""
    if data.startswith(codecs.BOM_UTF8):
        return DecodedText(data[len(codecs.BOM_UTF8):].decode("utf-8", "replace"), "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return DecodedText(data.decode("utf-16", "replace"), "utf-16",
                           "UTF-16 text (BOM); decoded as UTF-16")
    if _looks_binary(data):
        return DecodedText("", "binary", "binary data (control bytes), not text; not parsed")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return DecodedText(data.decode("utf-8", "replace"), "utf-8",
                           f"invalid UTF-8 at byte {exc.start}; bad bytes replaced")
    if "\x00" in text:
        readable = text.replace("\x00", "").lstrip("\ufeffÿþ").strip()
        return DecodedText(text, "utf-8",
                           "NUL bytes: UTF-16 text re-encoded as UTF-8, not a table; "
                           f"it reads: {readable[:160]!r}")
    return DecodedText(text, "utf-8")


def one_line(text: str, limit: int = 500) -> str:
    """Errors are stored and shown as one printable line, whatever bytes caused them."""
    clean = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(clean.split())[:limit]
