"""Files that change, vanish or lead out of the root between scan and parse."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from chimera_pipeline.lib.inventory import scan as scanning
from chimera_pipeline.lib.inventory.scan import scan_tree
from chimera_pipeline.lib.parsing.parse_file import parse_files
from chimera_pipeline_tests.support import EXTS, ROOTS, parse_items
from chimera_pipeline_tests.torture import write_torture_tree


def test_no_path_outside_the_root_is_ever_opened(tmp_path) -> None:
    """An audit hook sees every open(): scan + parse of the torture tree stay in the root."""
    root = tmp_path / "artifacts"
    write_torture_tree(root, tmp_path / "outside")
    opened: list[str] = []
    recording = [True]

    def hook(event: str, args: tuple) -> None:
        if recording[0] and event == "open" and isinstance(args[0], str | Path):
            opened.append(os.path.realpath(args[0]))

    sys.addaudithook(hook)  # audit hooks cannot be removed; the flag switches it off
    try:
        records = scan_tree(root, ROOTS, EXTS)
        inventory = parse_items(records)
        parse_files(root, inventory)
    finally:
        recording[0] = False
    touched = {p for p in opened if p.startswith(str(tmp_path))}
    assert touched, "the audit hook saw no artifact opened"
    real_root = os.path.realpath(root)
    assert all(p.startswith(real_root + os.sep) for p in touched), sorted(touched)[:5]


def test_a_file_deleted_or_changed_between_scan_and_parse(tmp_path) -> None:
    root = tmp_path / "artifacts"
    (root / "reports").mkdir(parents=True)
    for name in ("gone_20250922.json", "changed_20250922.json", "kept_20250922.json"):
        (root / "reports" / name).write_text(f'{{"name": "{name}", "tokens_per_second": 10}}')
    inventory = parse_items(scan_tree(root, ROOTS, EXTS))
    (root / "reports/gone_20250922.json").unlink()
    (root / "reports/changed_20250922.json").write_text('{"tokens_per_second": 99}')
    status = {s.path: s for s in parse_files(root, inventory).statuses}
    assert status["reports/gone_20250922.json"].parse_status == "unreadable"
    assert "No such file" in status["reports/gone_20250922.json"].parse_error
    assert status["reports/changed_20250922.json"].parse_status == "error"
    assert "changed since the inventory" in status["reports/changed_20250922.json"].parse_error
    assert status["reports/kept_20250922.json"].parse_status == "ok"


def test_a_file_growing_while_it_is_hashed_is_busy(tmp_path, monkeypatch) -> None:

    root = tmp_path / "artifacts"
    (root / "csv_data").mkdir(parents=True)
    path = root / "csv_data/live_20250922.csv"
    path.write_text("model,tokens_per_second\n")
    real = scanning._hash_and_head

    def hash_while_a_writer_appends(target: str):
        digest = real(target)
        with open(target, "a") as handle:  # the benchmark tool writes its next row meanwhile
            handle.write("gemma3,50\n")
        time.sleep(0.01)
        return digest

    monkeypatch.setattr(scanning, "_hash_and_head", hash_while_a_writer_appends)
    [record] = scan_tree(root, ROOTS, EXTS)
    assert record.scan_status == "busy" and "still being written" in record.scan_error
    monkeypatch.setattr(scanning, "_hash_and_head", real)
    [record] = scan_tree(root, ROOTS, EXTS)  # the next run takes it
    assert record.scan_status == "pending" and record.scan_error is None

