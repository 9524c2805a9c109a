"""What the no-change ``chimera run`` costs next to a bare walk of the same tree.

    .venv/bin/python bench/walk_cost.py --files 104000 [--tree /tmp/tree] [--label after]

Builds the realistic tree (the real corpus replicated into dated run folders, as
``run_bench.py --real``) unless ``--tree`` already holds one, takes it to the inventory once
(``chimera run --until artifact_inventory``: the scan and the marker, no parsing), then
measures three times each: the walk alone (``os.walk`` plus one ``stat`` per file, no reads:
the floor of any no-change check) and ``chimera run --until artifact_inventory`` when nothing
changed (a process: start-up, the fingerprint walk, the marker). Run it from two checkouts on
the same ``--tree`` to compare code before and after a change of the walk.

Writes ``bench/results/<date>_walk_cost_<files>_<label>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from run_bench import PROJECT, RESULTS, _build_tree, _chimera, _probe  # noqa: E402

UNTIL = ["run", "--until", "artifact_inventory"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=104_000)
    parser.add_argument("--tree", type=Path, default=None, help="reuse (or build) this tree")
    parser.add_argument("--label", default="now")
    parser.add_argument("--corpus", type=Path,
                        default=PROJECT.parent / "shared" / "corpus" / "chimeraforge")
    args = parser.parse_args()
    base = args.tree or Path(tempfile.mkdtemp(prefix="chimera_walk_"))
    root = base / "artifacts"
    if not root.is_dir():
        _build_tree("real", root, args.files, args.corpus)
    data = Path(tempfile.mkdtemp(prefix="chimera_walk_data_"))
    env = {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(data)}
    try:
        first = _chimera(UNTIL, env)
        walks = [_probe("walk", root) for _ in range(3)]
        unchanged = [_chimera(UNTIL, env) for _ in range(3)]
    finally:
        shutil.rmtree(data, ignore_errors=True)
    assert all("nothing changed" in r["output"] for r in unchanged), unchanged[-1]["output"]
    walk = min(w["seconds"] for w in walks)
    no_change = min(r["seconds"] for r in unchanged)
    result = {"files": args.files, "label": args.label, "first_seconds": first["seconds"],
              "walk_s": [w["seconds"] for w in walks],
              "no_change_s": [r["seconds"] for r in unchanged],
              "no_change_over_walk": round(no_change / walk, 2)}
    out = RESULTS / f"{dt.date.today()}_walk_cost_{args.files}_{args.label}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
