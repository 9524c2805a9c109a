"""The benchmark's reference measurements, each run in its own process for its own peak RSS.

    python bench/probes.py walk|floor|naive ROOT
    python bench/probes.py direct_llm '{"system": ..., "user": ..., "max_tokens": ..., ...}'

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

EXTENSIONS = (".csv", ".json", ".md")


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
            elif path.endswith(".csv"):
                list(csv.reader(io.StringIO(text)))
        except (ValueError, csv.Error):
            failed += 1
    return {"files": count, "failed": failed}


def direct_llm(spec: dict) -> dict:
    """The embedded backend's library called directly: same model, prompt, grammar, budget."""
    import llama_cpp

    from chimera_pipeline.lib.llm.embedded_backend import default_model_path
    from chimera_pipeline.lib.prompts import ANALYSIS_SCHEMA

    model = llama_cpp.Llama(model_path=str(default_model_path(Path(spec["data_dir"]) / "models")),
                            n_ctx=8192, seed=42, verbose=False)
    llama_cpp.llama_perf_context_reset(model._ctx.ctx)
    model.create_chat_completion(
        messages=[{"role": "system", "content": spec["system"]},
                  {"role": "user", "content": spec["user"]}],
        max_tokens=spec["max_tokens"], temperature=0.2, seed=42,
        response_format={"type": "json_object", "schema": ANALYSIS_SCHEMA})
    perf = llama_cpp.llama_perf_context(model._ctx.ctx)
    return {"output_tokens": int(perf.n_eval), "prompt_tokens": int(perf.n_p_eval),
            "decode_tps": perf.n_eval / (perf.t_eval_ms / 1000)}


def main() -> None:
    kind, argument = sys.argv[1], sys.argv[2]
    began = time.perf_counter()
    if kind == "direct_llm":
        result = direct_llm(json.loads(argument))
    else:
        result = {"walk": walk, "floor": floor, "naive": naive}[kind](Path(argument))
    result["inner_seconds"] = round(time.perf_counter() - began, 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
