"""Compare two chimera data dirs: every warehouse table row for row, and every report file
byte for byte, apart from what differs between any two runs (timings, run and call ids).

    python scripts/compare_outputs.py DATA_DIR_A DATA_DIR_B

Used to show that a change that should not change behaviour (a refactor) gives the same
warehouse and reports as before it. Exits 1 and prints the differences when there are any.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import duckdb

# columns that differ between any two runs of the same data
VOLATILE = {
    "stage_timings": {"seconds", "run_id"},
    "llm_calls": {"call_id", "started_at", "ttft_s", "decode_tps", "prefill_tps", "load_s",
                  "prompt_eval_s", "eval_s", "total_s"},
    "llm_analyses": {"call_id"},
    "analysis_inputs": {"call_id"},
}
VOLATILE_KEYS = {"seconds", "run_id", "call_id", "started_at", "ttft_s", "decode_tps",
                 "prefill_tps", "load_s", "prompt_eval_s", "eval_s", "total_s", "timings"}
SIGNIFICANT = 9  # DuckDB aggregates in parallel: a std's last digits vary from run to run
TIMED_ROWS = re.compile(r"^\| (ingest|parse|facts|analysis|report|embedded|ollama) \|.*$", re.M)


def tables(warehouse: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                           "ORDER BY 1").fetchall()]
        out = {}
        for name in names:
            columns = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [name]).fetchall()]
            kept = [c for c in columns if c not in VOLATILE.get(name, ())]
            rows = con.execute(f"SELECT {', '.join(kept)} FROM {name}").fetchall()
            out[name] = sorted((tuple(_round(v) for v in row) for row in rows), key=repr)
        return out
    finally:
        con.close()


def _round(value: object) -> object:
    return float(f"{value:.{SIGNIFICANT}g}") if isinstance(value, float) else value


def _strip(value: object) -> object:
    if isinstance(value, float):
        return _round(value)
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def report_text(path: Path) -> bytes:
    if path.suffix == ".json":
        return json.dumps(_strip(json.loads(path.read_text())), sort_keys=True).encode()
    if path.suffix == ".md":
        return TIMED_ROWS.sub("| (timed row) |", path.read_text()).encode()
    return path.read_bytes()


def compare(a: Path, b: Path) -> list[str]:
    problems = []
    left, right = tables(a / "warehouse.duckdb"), tables(b / "warehouse.duckdb")
    for name in sorted(set(left) | set(right)):
        rows_a, rows_b = left.get(name, []), right.get(name, [])
        if rows_a != rows_b:
            only_a = [r for r in rows_a if r not in rows_b][:3]
            only_b = [r for r in rows_b if r not in rows_a][:3]
            problems.append(f"table {name}: {len(rows_a)} vs {len(rows_b)} rows; "
                            f"only in A: {only_a}; only in B: {only_b}")
    files_a = {p.relative_to(a) for p in (a / "reports").rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in (b / "reports").rglob("*") if p.is_file()}
    for rel in sorted(files_a ^ files_b):
        problems.append(f"report file only in {'A' if rel in files_a else 'B'}: {rel}")
    for rel in sorted(files_a & files_b):
        if report_text(a / rel) != report_text(b / rel):
            problems.append(f"report file differs: {rel}")
    return problems


def main() -> int:
    a, b = map(Path, sys.argv[1:3])
    problems = compare(a, b)
    counts = {name: len(rows) for name, rows in tables(a / "warehouse.duckdb").items()}
    files = sum(1 for p in (a / "reports").rglob("*") if p.is_file())
    for line in problems:
        print(line)
    print(f"{'DIFFERENT' if problems else 'same'}: {sum(counts.values())} rows in "
          f"{len(counts)} tables, {files} report files")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
