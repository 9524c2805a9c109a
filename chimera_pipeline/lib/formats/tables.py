"""Markdown tables written by community benchmark scripts (around Ollama mostly): a model
column and columns whose headers name a known measure ("tokens/s", "Mean TPS", "eval rate",
"TTFT (ms)", "Mean Duration (ms)").

A header is mapped only when it says what it measures and in which unit (by name, as
"tokens/s" does, or in parentheses); a bare "TTFT" or "Latency" column has no unit, so it
is left to ``metric_values`` rather than guessed.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from chimera_pipeline.lib.formats.model import UNIT_ALIASES, Entry, Extracted, number
from chimera_pipeline.lib.formats.text import Head, MarkdownTable, markdown_tables

_MODEL_HEADERS = {"model", "model name", "name"}
_STAT = re.compile(r"^(mean|avg\.?|average|median|p\d+)\s+", re.IGNORECASE)
_UNIT = re.compile(r"\s*\(([^)]+)\)\s*$")
_RATE_NAMES = {  # header (stat and unit removed, lower case) -> metric; the name is the unit
    "tokens/s": "decode_tps", "tok/s": "decode_tps", "t/s": "decode_tps", "tps": "decode_tps",
    "eval rate": "decode_tps", "tokens per second": "decode_tps",
    "generation tokens/s": "decode_tps", "decode tokens/s": "decode_tps",
    "prompt eval rate": "prefill_tps", "prefill tokens/s": "prefill_tps",
}
_TIMED = {"ttft": "ttft", "time to first token": "ttft", "duration": "e2e_latency",
          "total duration": "e2e_latency", "latency": "e2e_latency",
          "load duration": "load_time", "load time": "load_time"}
_COUNTS = {"runs": ("requests", "count"), "ok": ("completed", "count")}


def _column(header: str) -> tuple[str, str, str] | None:
    """A header -> (metric, stat, unit written), or None when it is not a clear measure."""
    text = header.strip().strip("*`").strip()
    stat_match = _STAT.match(text)
    stat = "value"
    if stat_match:
        label = stat_match.group(1).lower().rstrip(".")
        stat = {"avg": "mean", "average": "mean"}.get(label, label)
        text = text[stat_match.end():]
    unit_match = _UNIT.search(text)
    unit = UNIT_ALIASES.get(unit_match.group(1).strip().lower()) if unit_match else None
    name = text[:unit_match.start()] if unit_match else text
    name = name.strip().lower()
    if name in _RATE_NAMES:
        return _RATE_NAMES[name], stat, "tok/s"
    if name in _TIMED and unit in ("ms", "s", "ns", "us"):
        return _TIMED[name], stat, unit
    if name in _COUNTS:
        return (*_COUNTS[name][:1], "value", _COUNTS[name][1])
    return None


def _usable(table: MarkdownTable) -> tuple[int, dict[int, tuple[str, str, str]]] | None:
    header = [h.strip().strip("*`").lower() for h in table.header]
    model = next((i for i, h in enumerate(header) if h in _MODEL_HEADERS), None)
    columns = {i: c for i, h in enumerate(table.header) if (c := _column(h))}
    if model is None or not any(c[0] not in ("requests", "completed") for c in columns.values()):
        return None
    return model, columns


def recognise(head: Head) -> bool:
    if head.file_type not in ("md", "txt"):
        return False
    return any(_usable(t) for t in markdown_tables(head.text))


def tool_of(head: Head) -> str:
    return "ollama" if "ollama" in head.text[:4096].lower() else "table"


def extract(head: Head) -> Extracted:
    out = Extracted()
    tool = tool_of(head)
    key = str(PurePosixPath(head.path).with_suffix(""))
    for t_index, table in enumerate(markdown_tables(head.text), start=1):
        usable = _usable(table)
        if not usable:
            continue
        model_column, columns = usable
        others = [i for i in range(len(table.header)) if i != model_column and i not in columns]
        for r_index, cells in enumerate(table.rows, start=1):
            if model_column >= len(cells) or not cells[model_column].strip("` "):
                continue
            test = " ".join(cells[i] for i in others if i < len(cells) and cells[i]) or None
            entry = Entry(tool, f"table {t_index} row {r_index}", f"{key}#{t_index}.{r_index}",
                          model=cells[model_column].strip("` "),
                          engine="ollama" if tool == "ollama" else None,
                          test=(test or "table")[:120])
            for i, (metric, stat, unit) in columns.items():
                if i < len(cells) and number(cells[i]) is not None:
                    entry.add(metric, stat, cells[i], unit, f".{table.header[i].strip()}")
            if entry.results:
                out.entries.append(entry)
    return out
