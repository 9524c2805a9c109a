"""The benchmark's realistic tree: real files, every copy unique, every copy still readable."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from pathlib import Path

from chimera_pipeline.lib.config import PROJECT_ROOT
from chimera_pipeline.lib.inventory.dating import date_from_path


def _replicate():
    spec = importlib.util.spec_from_file_location("replicate", PROJECT_ROOT / "bench" /
                                                  "replicate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_copies_are_unique_valid_and_dated_by_their_run_folder(tmp_path: Path,
                                                               real_corpus: Path) -> None:
    replicate = _replicate()
    sources = replicate.corpus_files(real_corpus)
    counts = replicate.replicate(real_corpus, tmp_path, 3 * len(sources), days=2)
    assert counts["files"] == 3 * len(sources) and counts["copies"] == 3
    for source in sources:
        rel = source.relative_to(real_corpus)
        copies = [tmp_path.joinpath(rel.parts[0], run, *rel.parts[1:]) for run in
                  ("run_20250101_0000", "run_20250102_0001", "run_20250101_0002")]
        data = [p.read_bytes() for p in copies]
        assert len(set(data)) == 3, rel  # one number changed per copy
        original = source.read_bytes()
        for copy in data:
            assert abs(len(copy) - len(original)) <= 12
            if source.suffix == ".json":
                assert json.loads(copy).keys() == json.loads(original).keys()
            if source.suffix == ".csv" and b"\x00" not in original:
                rows = list(csv.reader(io.StringIO(copy.decode())))
                assert len(rows) == len(list(csv.reader(io.StringIO(original.decode()))))
        day = date_from_path(str(copies[1].relative_to(tmp_path)))
        assert day is not None
        if date_from_path(str(rel)) is None:  # undated names take their run folder's day
            assert day.date.isoformat() == "2025-01-02"
