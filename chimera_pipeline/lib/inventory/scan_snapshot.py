"""Hand the launcher's scan to the runs it starts, so one command walks the tree once.

``chimera run`` scans the whole tree before it starts a run: it must know which days exist
and which changed. Rather than let the run's first step, ``artifact_inventory``, walk the
tree and look every file up in the scan cache again (a cost proportional to the tree on every
incremental run, whatever changed), the launcher writes its scan (every record, scan errors and
duplicate links included, as ``artifact_files`` rows) to a Parquet file and tags its runs
with the file's name; ``artifact_inventory`` reads its days' rows from there. Runs started
any other way (schedule, sensor, UI, a re-execution once the file is gone) scan as before.
A file that changes after the launcher's scan is still caught: the parser checks each
file's sha256 against the inventory before it loads anything.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pyarrow is imported when used: a no-change run never needs it
    import pyarrow as pa

TAG = "chimera/scan_snapshot"
_NAME = re.compile(r"^snapshot_[0-9a-f]{32}\.parquet$")


def folder(data_dir: Path) -> Path:
    return data_dir / "scan_cache"


def save(data_dir: Path, records: Sequence, tree_files: int) -> str:
    """Write the inventory rows of the days about to run (scanned, with duplicates marked,
    over the whole tree); return the name the runs' tag carries."""
    import pyarrow.parquet as pq

    from chimera_pipeline.lib.inventory.records import inventory_row
    from chimera_pipeline.lib.store.warehouse import to_arrow

    name = f"snapshot_{uuid.uuid4().hex}.parquet"
    folder(data_dir).mkdir(parents=True, exist_ok=True)
    table = to_arrow("artifact_files", [inventory_row(r) for r in records])
    pq.write_table(table.replace_schema_metadata({"tree_files": str(tree_files)}),
                   folder(data_dir) / name)
    return name


def load(data_dir: Path, name: str | None, partitions: Iterable[str]
         ) -> tuple[pa.Table, int] | None:
    """The partitions' rows and the number of files in the scanned tree, or None when there
    is no usable snapshot (no tag, a name that is not ours, the file gone)."""
    if not name or not _NAME.match(name):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        whole = pq.read_table(folder(data_dir) / name)
    except (OSError, pa.ArrowException):
        return None
    wanted = pa.array(sorted(set(partitions)), pa.string())
    tree_files = int((whole.schema.metadata or {}).get(b"tree_files", whole.num_rows))
    selected = whole.filter(pc.is_in(whole["partition"], value_set=wanted))
    return selected.replace_schema_metadata(None), tree_files


def remove(data_dir: Path, name: str | None) -> None:
    if name and _NAME.match(name):
        (folder(data_dir) / name).unlink(missing_ok=True)
