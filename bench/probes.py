"""The benchmark's reference measurements, each run in its own process for its own peak RSS.

    python bench/probes.py walk|floor|naive|typed_floor ROOT
    python bench/probes.py direct_llm '{"system": ..., "user": ..., "max_tokens": ..., ...}'
    python bench/probes.py big_csv '{"root": DIR, "mb": 1024}'

Prints one JSON line of results last.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
from pathlib import Path

# what the pipeline scans by default (CHIMERA_EXTENSIONS)
EXTENSIONS = (".csv", ".json", ".jsonl", ".md", ".txt", ".log", ".yaml", ".yml")


def _files(root: Path):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(EXTENSIONS):
                yield os.path.join(dirpath, name)


def walk(root: Path) -> dict:
    """The directory walk with one stat per file and no reads: what a no-change run needs."""
    count = 0
    for path in _files(root):
        os.stat(path)
        count += 1
    return {"files": count}


def floor(root: Path) -> dict:
    """Walk and read every byte, no parsing: no tool that looks at the content can beat it."""
    count = size = 0
    for path in _files(root):
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                size += len(chunk)
        count += 1
    return {"files": count, "bytes": size}


def naive(root: Path) -> dict:
    """The original tool: walk, parse every CSV/JSON fully into memory, store nothing."""
    count = failed = 0
    for path in _files(root):
        count += 1
        try:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8", "replace")
            if path.endswith(".json"):
                json.loads(text)
            elif path.endswith(".jsonl"):
                [json.loads(line) for line in text.splitlines() if line.startswith("{")]
            elif path.endswith(".csv"):
                list(csv.reader(io.StringIO(text)))
        except (ValueError, csv.Error):
            failed += 1
    return {"files": count, "failed": failed}


def typed_floor(root: Path) -> dict:
    """The naive parse plus the least any tool must add to *keep* the numbers: every CSV
    cell and JSON leaf tried as a float and kept with where it came from. No units, no
    checks, no storage: the lower bound of a Python build, which makes the 1.5 x naive
    target measurable against what Python can do at all."""
    count = values = 0
    for path in _files(root):
        count += 1
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
        kept: list[tuple[str, float]] = []
        try:
            if path.endswith(".csv"):
                rows = list(csv.reader(io.StringIO(text)))
                header = rows[0] if rows else []
                for r, row in enumerate(rows[1:], start=1):
                    for name, cell in zip(header, row, strict=False):
                        try:  # noqa: SIM105 - fastest form; a floor must not be inflated
                            kept.append((f"row{r}.{name}", float(cell)))
                        except ValueError:
                            pass
            elif path.endswith(".json"):
                stack = [("", json.loads(text))]
                while stack:
                    where, node = stack.pop()
                    if isinstance(node, dict):
                        stack.extend((f"{where}.{k}", v) for k, v in node.items())
                    elif isinstance(node, list):
                        stack.extend((f"{where}[{i}]", v) for i, v in enumerate(node))
                    elif isinstance(node, int | float) and not isinstance(node, bool):
                        kept.append((where, float(node)))
        except (ValueError, csv.Error, RecursionError):
            pass
        values += len(kept)
    return {"files": count, "values": values}


def direct_llm(spec: dict) -> dict:
    """The embedded backend's library called directly: same model, prompt, form and budget
    (a completion prompt with its stop sequences, or a chat prompt with its JSON grammar)."""
    import llama_cpp

    from chimera_pipeline.lib.llm.embedded_backend import default_model_path
    from chimera_pipeline.lib.llm.prompts import NARRATIVE_SCHEMA, STOP_SEQUENCES

    model = llama_cpp.Llama(model_path=str(default_model_path(Path(spec["data_dir"]) / "models")),
                            n_ctx=spec.get("n_ctx", 8192), seed=42, verbose=False)
    llama_cpp.llama_perf_context_reset(model._ctx.ctx)
    if spec.get("prompt_format") == "completion":
        model.create_completion(spec["user"], max_tokens=spec["max_tokens"], temperature=0.2,
                                seed=42, stop=STOP_SEQUENCES)
    else:
        model.create_chat_completion(
            messages=[{"role": "system", "content": spec["system"]},
                      {"role": "user", "content": spec["user"]}],
            max_tokens=spec["max_tokens"], temperature=0.2, seed=42,
            response_format={"type": "json_object", "schema": NARRATIVE_SCHEMA})
    perf = llama_cpp.llama_perf_context(model._ctx.ctx)
    return {"output_tokens": int(perf.n_eval), "prompt_tokens": int(perf.n_p_eval),
            "decode_tps": perf.n_eval / (perf.t_eval_ms / 1000)}


def big_csv(spec: dict) -> dict:
    """Build a CSV of ``mb`` megabytes from a generated prompt-suite file, then ingest it
    the way ``benchmark_metrics`` does (streamed in chunks, rows staged as Parquet)."""
    import tempfile

    from chimera_pipeline.lib.inventory.records import inventory_row
    from chimera_pipeline.lib.inventory.scan import scan_file
    from chimera_pipeline.lib.parsing.item import ParseItem
    from chimera_pipeline.lib.parsing.staging import parse_in_chunks
    from chimera_pipeline.lib.sample import generate

    sample = next(data for rel, (data, _) in sorted(generate().items())
                  if "prompt" in rel and rel.endswith(".csv") and data.count(b"\n") > 5)
    header, _, body = sample.partition(b"\n")
    root = Path(spec["root"])
    target = root / "csv_data" / "huge_prompt_suite_20250922.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        handle.write(header + b"\n")
        while handle.tell() < spec["mb"] * 2**20:
            handle.write(body)
    began = time.perf_counter()
    item = ParseItem.from_row(inventory_row(scan_file(target, root)))
    with tempfile.TemporaryDirectory() as staging:
        statuses, staged = parse_in_chunks(root, [item], Path(staging))
        import pyarrow.parquet as pq

        rows = {t: sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
                for t, paths in staged.items()}
    [status] = statuses.to_pylist()
    return {"mb": round(target.stat().st_size / 2**20, 1), "status": status["parse_status"],
            "note": status["parse_error"], "rows": rows,
            "parse_seconds": round(time.perf_counter() - began, 2)}


def main() -> None:
    kind, argument = sys.argv[1], sys.argv[2]
    began = time.perf_counter()
    if kind == "direct_llm":
        result = direct_llm(json.loads(argument))
    elif kind == "big_csv":
        result = big_csv(json.loads(argument))
    else:
        probes = {"walk": walk, "floor": floor, "naive": naive, "typed_floor": typed_floor}
        result = probes[kind](Path(argument))
    result["inner_seconds"] = round(time.perf_counter() - began, 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
