"""llama.cpp's other outputs: ``llama-batched-bench`` tables and the timing block its library
prints after each generation (``llama_print_timings``, ``llama_perf_context_print`` since
2024), in a log, a Markdown page or a notebook's cell output.

``llama-batched-bench`` (``tools/batched-bench``) runs ``B`` sequences at once, each with
``PP`` prompt and ``TG`` generated tokens; per row it prints the prompt time ``T_PP s`` and
speed ``S_PP t/s`` (``B*PP/T_PP``), the generation time and speed (``T_TG s``, ``S_TG t/s``,
``B*TG/T_TG``) and the totals (``T s``, ``S t/s``, ``N_KV/T``). One row is one result, its
batch size the concurrency. The settings line above a table (``main: n_kv_max = ...``, or
``llama_batched_bench: ...`` in newer builds) and the command the user ran (``-m model``,
``-ngl``, ``-fa``) say what tells two tables apart.

A timing block is five lines (``load``, ``sample``, ``prompt eval``, ``eval``, ``total``)
in milliseconds with token counts; builds before mid-2023 print no tokens/s, and then none
is stored (the ms-per-token figure is there, and is kept as a time).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from chimera_pipeline.lib.formats.model import Entry, Extracted
from chimera_pipeline.lib.formats.text import (
    Head,
    markdown_tables,
    printed_hardware,
    printed_model,
)

BATCHED_TOOL = "llama-batched-bench"
TIMINGS_TOOL = "llama.cpp"
BATCHED_HEADER = ("pp", "tg", "b", "n_kv", "t_pp s", "s_pp t/s", "t_tg s", "s_tg t/s", "t s",
                  "s t/s")
_SETTINGS = re.compile(r"^(?:main|llama_batched_bench): n_kv_max = .*$", re.MULTILINE)
_SETTING = re.compile(r"(\w+) = (-?\w+)")
_SETTING_NAMES = {"n_batch": "b", "n_ubatch": "ub", "flash_attn": "fa", "n_gpu_layers": "ngl",
                  "is_pp_shared": "pps"}
_COMMAND = re.compile(r"(?:llama-)?batched-bench\b(.*)$")
_FLAG = re.compile(r"(?:^|\s)(-ngl|-fa|--flash-attn|-b|-ub|-m|--model)(?:\s+(?!-)(\S+))?")

_TIMING = re.compile(
    r"^(?:llama_print_timings|llama_perf_context_print):\s*(load|sample|prompt eval|eval|total)"
    r" time =\s*([0-9.]+) ms(?: /\s*(\d+) (?:runs|tokens))?"
    r"(?:\s*\(\s*([0-9.]+) ms per token(?:,\s*([0-9.]+) tokens per second)?\))?", re.MULTILINE)


def _heading(line: str) -> str | None:
    """A Markdown or script heading's text (``## batched-bench 4 dies``, ``### GPU 0 ###``);
    plain string work, no pattern that backtracks over long runs of spaces."""
    text = line.strip()
    if not text.startswith("#"):
        return None
    return text.strip("#").strip() or None


def _batched_tables(text: str):
    return [t for t in markdown_tables(text)
            if tuple(h.lower() for h in t.header) == BATCHED_HEADER]


def recognise_batched(head: Head) -> bool:
    if head.file_type not in ("md", "txt", "log") or "S_TG t/s" not in head.text:
        return False
    return bool(_batched_tables(head.text))


def _above(lines: list[str], line: int, reach: int = 12) -> list[str]:
    """The lines just above a table, nearest first (the ``> `` of a quote removed)."""
    return [re.sub(r"^[ \t]*(?:>[ \t]?)+", "", text).strip()
            for text in reversed(lines[max(0, line - 1 - reach):line - 1])]


def _batched_config(above: list[str]) -> tuple[str | None, str | None]:
    """(model, config) from the settings line and the command just above a table (nearest
    first), and the heading of the section it is in (a script's or a page's label, which
    tells apart tables whose own lines read alike)."""
    near = above[:12]
    settings = next((t for t in near if _SETTINGS.match(t)), "")
    config = {_SETTING_NAMES[k]: v for k, v in _SETTING.findall(settings)
              if k in _SETTING_NAMES}
    model = None
    command = next((m.group(1) for t in near if (m := _COMMAND.search(t.strip("`")))), None)
    for flag, value in _FLAG.findall(command or ""):
        if flag in ("-m", "--model") and value:
            model = PurePosixPath(value).name.removesuffix(".gguf")
        elif flag in ("-fa", "--flash-attn"):
            config.setdefault("fa", "0" if value in ("off", "0") else "1")
        elif value:
            config.setdefault(flag.lstrip("-"), value)
    heading = next((label for t in above if (label := _heading(t))), None)
    parts = [f"{k}={v}" for k, v in sorted(config.items())]
    if heading:
        parts.append(f"[{heading}]")
    return model, " ".join(parts) or None


def extract_batched(head: Head) -> Extracted:
    out = Extracted()
    lines = head.text.splitlines()
    run_key = str(PurePosixPath(head.path).with_suffix(""))
    for t_index, table in enumerate(_batched_tables(head.text), start=1):
        model, config = _batched_config(_above(lines, table.line, reach=table.line))
        before = "\n".join(lines[:table.line])  # what was printed before this table
        hardware = printed_hardware(before, last=True)
        model = model or printed_model(before)
        for r_index, cells in enumerate(table.rows, start=1):
            if len(cells) != len(BATCHED_HEADER):
                continue
            pp, tg, batch, _, t_pp, s_pp, t_tg, s_tg, total, speed = cells
            entry = Entry(BATCHED_TOOL, f"table {t_index} row {r_index}",
                          f"{run_key}#{t_index}", model=model,
                          engine="llama.cpp", hardware=hardware,
                          test=f"pp{pp}+tg{tg}", config=config,
                          concurrency=float(batch) if batch.isdigit() else None,
                          input_tokens=float(pp) if pp.isdigit() else None,
                          output_tokens=float(tg) if tg.isdigit() else None)
            entry.add("prefill_tps", "mean", s_pp, "tok/s", " S_PP t/s")
            entry.add("decode_tps", "mean", s_tg, "tok/s", " S_TG t/s")
            entry.add("total_tps", "mean", speed, "tok/s", " S t/s")
            entry.add("prompt_eval_time", "mean", t_pp, "s", " T_PP s")
            entry.add("eval_time", "mean", t_tg, "s", " T_TG s")
            entry.add("run_time", "mean", total, "s", " T s")
            out.entries.append(entry)
    return out


def recognise_timings(head: Head) -> bool:
    return head.file_type in ("md", "txt", "log") and bool(_blocks(head.text))


def _blocks(text: str) -> list[tuple[int, dict[str, tuple]]]:
    """Each timing block as (where it starts in ``text``, {line name: (ms, count, ms per
    token, tokens/s)}); a block starts at its ``load`` line (or at a name already seen)."""
    blocks: list[tuple[int, dict[str, tuple]]] = []
    for match in _TIMING.finditer(text):
        name = match.group(1)
        if not blocks or name == "load" or name in blocks[-1][1]:
            blocks.append((match.start(), {}))
        blocks[-1][1][name] = match.groups()[1:]
    return [(start, b) for start, b in blocks if "eval" in b]


def extract_timings(head: Head) -> Extracted:
    out = Extracted()
    run_key = str(PurePosixPath(head.path).with_suffix(""))
    for index, (start, block) in enumerate(_blocks(head.text), start=1):
        before = head.text[:start]  # the model and device loaded nearest before this block
        model, hardware = printed_model(before), printed_hardware(before, last=True)
        prompt = block.get("prompt eval", (None,) * 4)
        generated = block["eval"]
        entry = Entry(TIMINGS_TOOL, f"timings {index}", f"{run_key}#timings{index}",
                      model=model, engine="llama.cpp", hardware=hardware, test="generate",
                      input_tokens=float(prompt[1]) if prompt[1] else None,
                      output_tokens=float(generated[1]) if generated[1] else None)
        entry.add("prefill_tps", "mean", prompt[3], "tok/s", " prompt eval tokens per second")
        entry.add("decode_tps", "mean", generated[3], "tok/s", " eval tokens per second")
        entry.add("prompt_eval_time", "mean", prompt[0], "ms", " prompt eval time")
        entry.add("eval_time", "mean", generated[0], "ms", " eval time")
        entry.add("tpot", "mean", generated[2], "ms", " eval ms per token")
        entry.add("load_time", "mean", block.get("load", (None,))[0], "ms", " load time")
        entry.add("run_time", "mean", block.get("total", (None,))[0], "ms", " total time")
        out.entries.append(entry)
    return out
