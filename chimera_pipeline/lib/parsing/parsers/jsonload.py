"""One JSON loader for every parser, so hostile JSON fails the same clear way everywhere.

``json.loads`` accepts ``NaN``/``Infinity`` and silently keeps the last of two duplicate
keys; it raises ``RecursionError`` on very deep nesting and builds a huge integer from
``1000…0``. Here duplicates are reported as a warning, deep nesting becomes a readable
``ParseError``, and non-finite numbers are left for the value extractor to skip (it counts
them in the file's warning).
"""

from __future__ import annotations

import json

from chimera_pipeline.lib.parsing.parsers.errors import ParseError


def _pairs_hook(found: list[str]):
    def hook(pairs: list[tuple[str, object]]) -> dict:
        data: dict = {}
        for key, value in pairs:
            if key in data and len(found) < 5:
                found.append(key)
            data[key] = value
        return data

    return hook


def load_json(text: str, duplicates: list[str] | None = None) -> object:
    """Parse JSON text; duplicate keys are appended to ``duplicates`` (last value wins)."""
    found: list[str] = [] if duplicates is None else duplicates
    try:
        return json.loads(text, object_pairs_hook=_pairs_hook(found))
    except RecursionError as exc:
        raise ParseError("invalid JSON: nested too deeply to parse safely") from exc
    except ValueError as exc:
        raise ParseError(f"invalid JSON: {exc}") from exc
