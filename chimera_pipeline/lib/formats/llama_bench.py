"""llama.cpp ``llama-bench``: ``-o json``/``jsonl``/``csv`` rows and the default Markdown table
(on its own or inside a console log).

A row is one test: ``pp512`` (prompt processing, ``n_gen`` 0), ``tg128`` (generation,
``n_prompt`` 0), ``pp512+tg128`` (both), with ``@ d4096`` when run at a context depth
(llama-bench's own naming). ``avg_ts``/``stddev_ts`` are tokens/s over the repetitions,
``avg_ns``/``stddev_ns`` nanoseconds per repetition. The Markdown ``t/s`` cell is
"mean ± std"; its columns vary with the options used, so they are matched by name.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import PurePosixPath

from chimera_pipeline.lib.formats.model import Entry, Extracted, number
from chimera_pipeline.lib.formats.text import Head, markdown_tables, printed_hardware

TOOL = "llama-bench"
_ROW_KEYS = {"model_type", "n_prompt", "n_gen", "avg_ts"}
_CONFIG_KEYS = (("n_gpu_layers", "ngl"), ("n_batch", "b"), ("n_ubatch", "ub"),
                ("n_threads", "t"), ("flash_attn", "fa"), ("type_k", "ctk"), ("type_v", "ctv"),
                ("n_cpu_moe", "ncmoe"), ("split_mode", "sm"))
_MD_KNOWN = {"model", "size", "params", "backend", "test", "t/s"}
_TS_CELL = re.compile(r"^\s*([0-9.,]+)\s*(?:±\s*([0-9.,]+))?\s*$")
_DEVICE = re.compile(r"^(?:ggml_\w+:\s*\d+ = |\s*Device \d+: )(.+?)(?:,| \(|$)")
_BUILD = re.compile(r"^build: (\S+) \((\d+)\)")


def test_name(n_prompt: int, n_gen: int, n_depth: int = 0) -> str:
    parts = ([f"pp{n_prompt}"] if n_prompt else []) + ([f"tg{n_gen}"] if n_gen else [])
    return "+".join(parts) + (f" @ d{n_depth}" if n_depth else "")


def _rows(head: Head) -> list[dict] | None:
    data = head.json
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return data
    if head.file_type in ("jsonl", "log", "txt") and head.json_lines:
        return head.json_lines
    if head.file_type == "csv":
        return list(csv.DictReader(io.StringIO(head.text)))
    return None


def recognise_rows(head: Head) -> bool:
    if head.file_type == "csv":
        first = head.text.split("\n", 1)[0]
        return all(key in first for key in _ROW_KEYS)
    if head.file_type not in ("json", "jsonl", "log", "txt"):
        return False
    if '"avg_ts"' not in head.text or '"n_prompt"' not in head.text:
        return False
    rows = _rows(head)
    return bool(rows) and set(rows[0]) >= _ROW_KEYS


def recognise_table(head: Head) -> bool:
    if head.file_type not in ("md", "txt", "log") or "t/s" not in head.text:
        return False
    return any({"model", "test", "t/s"} <= {h.lower() for h in t.header}
               for t in markdown_tables(head.text))


def row_date(head: Head) -> tuple[object, str] | None:
    for row in _rows(head) or ():
        if row.get("test_time"):
            return row["test_time"], f"test_time={row['test_time']}"
    return None


def _int(value: object) -> int:
    parsed = number(value)
    return int(parsed) if parsed is not None else 0


def _config(row: dict) -> str | None:
    parts = [f"{short}={row[key]}".lower() for key, short in _CONFIG_KEYS
             if row.get(key) not in (None, "")]
    return " ".join(parts) or None


def extract_rows(head: Head) -> Extracted:
    out = Extracted()
    rows = _rows(head) or []
    run_key = str(PurePosixPath(head.path).with_suffix(""))
    for i, row in enumerate(rows):
        if not set(row) >= _ROW_KEYS:
            continue
        n_prompt, n_gen, n_depth = _int(row["n_prompt"]), _int(row["n_gen"]), _int(
            row.get("n_depth"))
        build = row.get("build_commit")
        version = f"{build} ({row['build_number']})" if build and row.get("build_number") \
            else build
        backends = str(row.get("backends") or "").strip()
        hardware = (str(row.get("gpu_info") or "").strip()
                    or str(row.get("cpu_info") or "").strip())
        entry = Entry(
            TOOL, f"[{i}]", f"{run_key}#{i}", tool_version=version,
            model=str(row["model_type"]).strip(),
            engine=f"llama.cpp {backends}".strip(), hardware=hardware or None,
            test=test_name(n_prompt, n_gen, n_depth), config=_config(row),
            input_tokens=n_prompt or None, output_tokens=n_gen or None,
            run_at=row.get("test_time"))
        metric = "decode_tps" if n_gen and not n_prompt else (
            "prefill_tps" if n_prompt and not n_gen else "total_tps")
        entry.add(metric, "mean", row.get("avg_ts"), "tok/s", ".avg_ts")
        entry.add(metric, "std", row.get("stddev_ts"), "tok/s", ".stddev_ts")
        entry.add("run_time", "mean", row.get("avg_ns"), "ns", ".avg_ns")
        entry.add("run_time", "std", row.get("stddev_ns"), "ns", ".stddev_ns")
        samples = row.get("samples_ts")
        if isinstance(samples, list):
            entry.add(metric, "count", len(samples), "count", ".samples_ts")
        out.entries.append(entry)
    return out


def _hardware_above(lines: list[str], line: int) -> str | None:
    """The device lines llama-bench printed just before a table (``ggml_vulkan: 0 = ...``,
    ``Device 0: ...``); several devices are joined with ' + '."""
    devices: list[str] = []
    for text in reversed(lines[max(0, line - 12):line - 1]):
        match = _DEVICE.match(text)
        if match:
            devices.insert(0, match.group(1).strip())
        elif devices:
            break
    return " + ".join(devices) or None


def _section_above(lines: list[str], line: int) -> str | None:
    """A heading a script printed just above a table (``### GPU 0 ONLY ###``): the same
    test on two devices reads alike in llama-bench's own lines, so the log's label keeps
    the two results apart."""
    for text in reversed(lines[max(0, line - 8):line - 1]):
        if text.startswith("#"):
            return text.strip("# ").strip() or None
    return None


def extract_table(head: Head) -> Extracted:
    out = Extracted()
    lines = head.text.splitlines()
    run_key = str(PurePosixPath(head.path).with_suffix(""))
    for t_index, table in enumerate(markdown_tables(head.text), start=1):
        header = [h.lower() for h in table.header]
        if not {"model", "test", "t/s"} <= set(header):
            continue
        build = next((m.groups() for text in lines[table.line + len(table.rows):
                                                    table.line + len(table.rows) + 4]
                      if (m := _BUILD.match(text))), None)
        hardware = _hardware_above(lines, table.line) or printed_hardware(
            "\n".join(lines[:table.line]), last=True)
        section = _section_above(lines, table.line)
        for r_index, cells in enumerate(table.rows, start=1):
            row = dict(zip(header, cells, strict=False))
            match = _TS_CELL.match(row.get("t/s", ""))
            test = row.get("test", "")
            if not match or not test:
                continue
            config = " ".join([f"{h}={row[h]}" for h in header
                               if h not in _MD_KNOWN and row.get(h)]
                              + ([f"[{section}]"] if section else [])) or None
            kind = re.match(r"(pp|tg)(\d+)(?:\+tg(\d+))?", test)
            metric = ("decode_tps" if kind and kind.group(1) == "tg" else
                      "total_tps" if kind and kind.group(3) else "prefill_tps")
            entry = Entry(TOOL, f"table {t_index} row {r_index}", f"{run_key}#{t_index}.{r_index}",
                          tool_version=f"{build[0]} ({build[1]})" if build else None,
                          model=row.get("model"), engine=f"llama.cpp {row.get('backend', '')}"
                          .strip(), hardware=hardware, test=test,
                          config=config)
            entry.add(metric, "mean", match.group(1), "tok/s", " t/s")
            if match.group(2):
                entry.add(metric, "std", match.group(2), "tok/s", " t/s ±")
            out.entries.append(entry)
    return out
