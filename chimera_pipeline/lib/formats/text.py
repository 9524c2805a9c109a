"""Reading helpers the tool readers share: JSON after console noise, Go durations,
Markdown tables and ``Label: value`` blocks."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property

from chimera_pipeline.lib.common.tables import MarkdownTable, markdown_tables

__all__ = ["Head", "MarkdownTable", "go_duration", "labelled_values", "loose_json",
           "markdown_tables", "printed_hardware", "printed_model"]

_JSON_START = re.compile(r"^[ \t]*[\[{]", re.MULTILINE)
# console lines before a JSON document are a few device lines: where a document starts
# later than this, or after more false starts, it is not JSON with a preamble (and trying
# every line of a big broken file would parse it again per line)
PREAMBLE_CHARS = 16384
PREAMBLE_TRIES = 8


@dataclass
class Head:
    """What a recogniser looks at: the path, the file type and the decoded text (the first
    MiB of a big file, so a recogniser must not need the whole document)."""

    path: str
    file_type: str
    text: str
    skipped: int = field(default=0, init=False)

    @cached_property
    def json(self) -> object:
        """The document as JSON (after any leading non-JSON lines), or None."""
        data, self.skipped = loose_json(self.text)
        return data

    @cached_property
    def json_lines(self) -> list[object]:
        """A JSON-lines document's objects (lines that are not JSON are skipped)."""
        rows = []
        for line in self.text.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    continue
        return rows


def json_start(text: str) -> int | None:
    """Where the JSON starts after lines a tool printed before it (llama-bench writes its
    device lines to the same stream), or None when no later line opens a JSON document."""
    for attempt, match in enumerate(_JSON_START.finditer(text, 0, PREAMBLE_CHARS)):
        if attempt > PREAMBLE_TRIES:
            break
        if match.start() == 0:
            continue
        try:
            json.loads(text[match.start():])
        except ValueError:
            continue
        return match.start()
    return None


def loose_json(text: str) -> tuple[object, int]:
    """Parse ``text`` as JSON, after any lines printed before it; returns (data or None,
    lines skipped)."""
    stripped = text.lstrip("\ufeff")
    try:
        return json.loads(stripped), 0
    except ValueError:
        pass
    start = json_start(stripped)
    if start is None:
        return None, 0
    return json.loads(stripped[start:]), stripped[:start].count("\n")


_GO_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|µs|us|ns)")
_GO_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6,
               "ns": 1e-9}


def go_duration(text: str) -> float | None:
    """A Go duration string (``25m35.616323214s``, ``470ms``, ``18.7014ms``) in seconds."""
    text = text.strip()
    parts = _GO_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _GO_SECONDS[u] for n, u in parts)


def labelled_values(text: str) -> dict[str, str]:
    """``Label:   value`` lines -> {label: value}, first occurrence of each label kept."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        label, sep, value = line.partition(":")
        if sep and value.strip() and label.strip() and label.strip() not in found:
            found[label.strip()] = value.strip()
    return found


# the devices a tool or a shell printed: llama.cpp's backend lines (``Device 0: NVIDIA RTX
# A2000 12GB, compute capability 8.6``, ``ggml_vulkan: 0 = AMD Radeon RX 7900 XTX (RADV
# NAVI31) | ...``) and the GPU rows of an ``nvidia-smi`` box (``|   0  NVIDIA GB10   On |``)
_DEVICE_LINES = (
    re.compile(r"^\s*Device \d+: (.+?)(?:, compute capability|, gfx|\s*\(|$)"),
    re.compile(r"^ggml_\w+: \d+ = (.+?)(?: \(| \||$)"),
    re.compile(r"^\|\s+\d+\s+((?:NVIDIA|Tesla|Quadro|GeForce)[^|]*?)\s+(?:On|Off)\s+\|"),
)


DEVICE_GROUP_GAP = 4  # lines between two device lines of one listing (nvidia-smi: 3 per GPU)


def printed_hardware(text: str, last: bool = False) -> str | None:
    """The devices ``text`` printed, in order, joined with ' + ' (None when it printed
    none): what a table or a timing block ran on when its own lines do not say. ``last``:
    only the last listing (device lines at most ``DEVICE_GROUP_GAP`` lines apart), the one
    printed nearest before what follows ``text``."""
    devices: list[str] = []
    previous = None
    for number, line in enumerate(text.splitlines()):
        for pattern in _DEVICE_LINES:
            match = pattern.match(line)
            if match:
                if last and previous is not None and number - previous > DEVICE_GROUP_GAP:
                    devices = []
                previous = number
                if match.group(1).strip() not in devices:
                    devices.append(match.group(1).strip())
                break
    return " + ".join(devices) or None


_MODEL_LINES = (
    re.compile(r"general\.name\s+(?:str\s+)?=\s+(.+?)\s*$"),
    re.compile(r"^llama\.cpp: loading model from (\S+)"),
)


def printed_model(text: str) -> str | None:
    """The last model llama.cpp printed loading one (``general.name``, or the file it
    loaded): the one loaded nearest before what follows ``text``; None when none was."""
    found = None
    for line in text.splitlines():
        for pattern in _MODEL_LINES:
            match = pattern.search(line)
            if match:
                found = match.group(1).rsplit("/", 1)[-1]
                break
    return found
