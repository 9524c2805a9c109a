"""The facts stage alone over a built warehouse, its nights judged in one process and by a
child process ahead (``lib/facts/ahead.py``), alternating, so that both see the same machine.

    python bench/facts_stage.py WAREHOUSE FIRST..LAST [FIRST..LAST ...] --reps 2 --out FILE

The warehouse is opened read-only (a built bench data dir's ``warehouse.duckdb``); each
range is staged ``--reps`` times each way into a temporary folder, nothing is written back.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import tempfile
import time
from pathlib import Path


def _days(span: str) -> list[str]:
    first, last = (dt.date.fromisoformat(x) for x in span.split(".."))
    return [(first + dt.timedelta(i)).isoformat() for i in range((last - first).days + 1)]


def main() -> None:
    import duckdb

    from chimera_pipeline.lib.config import load_settings
    from chimera_pipeline.lib.findings.build import BLOCK_DAYS, stage_facts

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("spans", nargs="+", help="FIRST..LAST day ranges (ISO dates)")
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    con = duckdb.connect(str(args.warehouse), read_only=True,
                         config={"memory_limit": load_settings().duckdb_memory})
    rows = []
    for span in args.spans:
        days = _days(span)
        for rep in range(args.reps):
            for ahead in (False, True):
                with tempfile.TemporaryDirectory() as folder:
                    began = time.perf_counter()
                    # every day computed: a day kept (``facts.inputs``) measures no facts
                    staged = stage_facts(con, days, Path(folder), judge_ahead=ahead,
                                         reuse=False)
                    seconds = time.perf_counter() - began
                rows.append({"days": span, "blocks": -(-len(days) // BLOCK_DAYS), "rep": rep,
                             "judged_ahead": staged.judged_ahead, "seconds": round(seconds, 2),
                             "facts": staged.facts})
                print(json.dumps(rows[-1]), flush=True)
    if args.out:
        machine = {"cpus": len(os.sched_getaffinity(0)), "python": platform.python_version()}
        args.out.write_text(json.dumps({"machine": machine, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
