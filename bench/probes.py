"""The benchmark's reference measurements, each run in its own process for its own peak RSS.

    python bench/probes.py walk|floor|naive|typed_floor ROOT
    python bench/probes.py direct_llm '{"system": ..., "user": ..., "max_tokens": ..., ...}'
    python bench/probes.py big_csv '{"root": DIR, "mb": 1024, "layout": "quant_bench"}'

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


def _prompt_suite_rows() -> tuple[bytes, bytes]:
    """(header, body) of a generated prompt-suite file, the body repeated as it is."""
    from chimera_pipeline.lib.sample import generate

    sample = next(data for rel, (data, _) in sorted(generate().items())
                  if "prompt" in rel and rel.endswith(".csv") and data.count(b"\n") > 5)
    header, _, body = sample.partition(b"\n")
    return header, body


def _write_prompt_suite(target: Path, size: int) -> None:
    header, body = _prompt_suite_rows()
    with target.open("wb") as handle:
        handle.write(header + b"\n")
        while handle.tell() < size:
            handle.write(body)


def _write_quant_bench(target: Path, size: int, corpus: Path) -> None:
    """The real ``csv_data/ollama_quant_bench.csv`` rows over and over, each copy with its
    own prompt indexes and slightly other timings, so that no two requests are the same
    measurement (the day's statistics count equal ones once)."""
    with (corpus / "csv_data" / "ollama_quant_bench.csv").open(newline="") as handle:
        header, *rows = list(csv.reader(handle))
    at = {name: i for i, name in enumerate(header)}
    timed = [at[name] for name in ("ttft_s", "tokens_s", "load_s", "prompt_eval_s", "eval_s")]
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    with target.open("w", newline="") as handle:
        copy = 0
        while handle.tell() < size:
            for k in range(copy, copy + 1000):
                factor = 1 + (k % 9973) * 1e-6
                for i, row in enumerate(rows):
                    row = list(row)
                    row[at["prompt_index"]] = str(k * len(rows) + i + 1)
                    for j in timed:
                        row[j] = repr(round(float(row[j]) * factor, 6))
                    writer.writerow(row)
            copy += 1000
            handle.write(out.getvalue())
            out.seek(0)
            out.truncate()


def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def big_csv(spec: dict) -> dict:
    """Build a CSV of ``mb`` megabytes, then ingest it the way ``benchmark_metrics`` does
    (staged as Parquet: read by DuckDB above the columnar threshold) and load the staged
    rows into a fresh warehouse with the day's statistics (``write_staged_metrics``).

    ``layout``: ``prompt_suite`` (a generated prompt-suite file repeated) or ``quant_bench``
    (the real corpus's quant bench rows, ``corpus``: the real corpus, replicated).
    """
    import tempfile

    import duckdb
    import pyarrow.parquet as pq

    from chimera_pipeline.lib.config import load_settings
    from chimera_pipeline.lib.inventory.records import inventory_row
    from chimera_pipeline.lib.inventory.scan import scan_file
    from chimera_pipeline.lib.parsing.item import ParseItem
    from chimera_pipeline.lib.parsing.staging import parse_in_chunks
    from chimera_pipeline.lib.store.warehouse import write_inventory, write_staged_metrics

    layout, root = spec.get("layout", "prompt_suite"), Path(spec["root"])
    target = root / "csv_data" / f"huge_{layout}_20250922.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    if layout == "quant_bench":
        corpus = Path(spec.get("corpus") or load_settings().real_corpus)
        _write_quant_bench(target, spec["mb"] * 2**20, corpus)
    else:
        _write_prompt_suite(target, spec["mb"] * 2**20)
    began = time.perf_counter()
    row = inventory_row(scan_file(target, root))
    item = ParseItem.from_row(row)
    with tempfile.TemporaryDirectory() as staging:
        statuses, staged = parse_in_chunks(root, [item], Path(staging))
        rows = {t: sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
                for t, paths in staged.items()}
        parsed, parse_rss = time.perf_counter(), _peak_rss_mb()
        con = duckdb.connect(str(Path(staging) / "warehouse.duckdb"),
                             config={"memory_limit": load_settings().duckdb_memory})
        try:
            write_inventory(con, [item.partition], [row])
            write_staged_metrics(con, [item.partition], staged, statuses)
            results = con.execute("SELECT count(*) FROM benchmark_results").fetchone()[0]
        except duckdb.Error as exc:  # measured, not hidden: the figure says the load failed
            results = f"load failed: {str(exc).splitlines()[0]}"
        finally:
            con.close()
    [status] = statuses.to_pylist()
    return {"layout": layout, "mb": round(target.stat().st_size / 2**20, 1),
            "status": status["parse_status"], "note": status["parse_error"], "rows": rows,
            "benchmark_results": results, "parse_seconds": round(parsed - began, 2),
            "load_seconds": round(time.perf_counter() - parsed, 2),
            "peak_rss_mb_after_parse": parse_rss, "peak_rss_mb": _peak_rss_mb()}


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
