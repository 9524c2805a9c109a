"""A run after a small change rescans only the changed folders, and decides exactly what a
whole-tree scan and comparison would: same days, same inventory rows, same prints, same cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.incremental import folder_prints, tree_state
from chimera_pipeline.lib.incremental.planner import Planner
from chimera_pipeline.lib.inventory import scan_cache
from chimera_pipeline.lib.inventory.records import inventory_row
from chimera_pipeline.lib.sample import write_corpus
from chimera_pipeline_tests.support import chimera

UNTIL = "artifact_inventory"


def _copy_of(source: Path, rel: str) -> bytes:
    return (source / rel).read_bytes()


def _new_day(root: Path) -> None:
    folder = root / "reports/incoming_20251010"
    folder.mkdir(parents=True)
    (folder / "notes_20251010.md").write_text("# Late run\n- Throughput: 42.5 tok/s\n")


def _old_day_new_folder_file(root: Path) -> None:
    (root / "reports/ollama/20250923-150013/extra_20250923.md").write_text("# More\n- 1 tok/s\n")


def _edit(root: Path) -> None:
    target = root / "csv_data/ollama_quant_bench.csv"
    target.write_text(target.read_text() + "\n")


def _touch(root: Path) -> None:
    target = root / "reports/ollama/20250924-150014/prompt_suite_summary.json"
    info = target.stat()
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))


def _delete_file(root: Path) -> None:
    (root / "reports/ollama/20250925-150027/prompt_suite_runs.csv").unlink()


def _delete_folder(root: Path) -> None:
    shutil.rmtree(root / "reports/ollama/20250926-150040")


def _duplicate_sorting_first(root: Path) -> None:
    # an exact copy of a file of another day, under a path that sorts before it: the original
    # becomes the copy's duplicate in the whole-tree sense
    source = root / "reports/ollama/20250928-150042/prompt_suite_summary.json"
    target = root / "reports/aaa_copies/prompt_suite_summary.json"
    target.parent.mkdir()
    target.write_bytes(source.read_bytes())


def _duplicate_sorting_last(root: Path) -> None:
    # ...and a copy, dated by its name to a new day, sorting after its original: its duplicate
    # link points into a folder and a day that are not rescanned
    source = root / "reports/llama3/ollama_benchmark_summary.md"
    target = root / "reports/zzz_copies/ollama_benchmark_summary_20251011.md"
    target.parent.mkdir()
    target.write_bytes(source.read_bytes())


def _unreadable(root: Path) -> None:
    # a new file that can't be read (an old one made unreadable is unchanged bytes: cached)
    target = root / "reports/ollama/20250929-150031/late_20250929.md"
    target.write_text("# Late\n- Throughput: 3.5 tok/s\n")
    target.chmod(0)


def _folder_becomes_a_link(root: Path) -> None:
    folder = root / "reports/ollama/20250930-150032"
    shutil.rmtree(folder)
    folder.symlink_to(root / "reports/ollama/20250924-150014")


CHANGES = [_new_day, _old_day_new_folder_file, _edit, _touch, _delete_file, _delete_folder,
           _duplicate_sorting_first, _duplicate_sorting_last, _unreadable,
           _folder_becomes_a_link]


@pytest.fixture(scope="module")
def settled(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A tree brought up to date by `chimera run`, kept pristine (times included) to restore."""
    base = tmp_path_factory.mktemp("rescan")
    root, data = base / "artifacts", base / "data"
    write_corpus(root)
    env = {"CHIMERA_ARTIFACT_ROOT": str(root), "CHIMERA_DATA_DIR": str(data)}
    result = chimera(["run", "--until", UNTIL], env)
    assert result.returncode == 0, result.stdout + result.stderr
    shutil.copytree(root, base / "pristine_artifacts", symlinks=True)
    shutil.copytree(data, base / "pristine_data")
    return {"base": base, "root": root, "data": data, "env": env}


def _restore(settled: dict, data_only: bool = False) -> None:
    base = settled["base"]
    if not data_only:
        for path in settled["root"].rglob("*"):
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(settled["root"])
        shutil.copytree(base / "pristine_artifacts", settled["root"], symlinks=True)
    shutil.rmtree(settled["data"])
    shutil.copytree(base / "pristine_data", settled["data"])


def _plans(settled: dict, monkeypatch: pytest.MonkeyPatch):
    for key, value in settled["env"].items():
        monkeypatch.setenv(key, value)
    planner = Planner(load_settings(), UNTIL)
    tree = planner.fingerprint()
    assert tree.changed and tree_state.trusted(planner.marker, planner.settings.partition_start,
                                               planner.rank, planner.settings.warehouse_path,
                                               planner.cache)
    fast = planner.stale(tree)
    fast_cache = scan_cache.load(planner.cache)
    _restore(settled, data_only=True)
    whole = planner.stale(tree_state.TreePrint(tree.digest, None))
    return tree, fast, fast_cache, whole, scan_cache.load(planner.cache)


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__.strip("_") for c in CHANGES])
def test_rescanning_changed_folders_decides_as_the_whole_tree(settled, change,
                                                              monkeypatch) -> None:
    _restore(settled)
    change(settled["root"])
    tree, fast, fast_cache, whole, whole_cache = _plans(settled, monkeypatch)
    assert any("changed folder(s) rescanned" in m for m in fast.messages)
    assert len(tree.changed) <= 2  # the point: a folder or two, not the tree
    assert fast.days == whole.days
    rows = sorted((inventory_row(r) for r in fast.records), key=lambda r: r["path"])
    assert rows == sorted((inventory_row(r) for r in whole.records), key=lambda r: r["path"])
    assert fast.tree_files == whole.tree_files
    assert fast.prints == whole.prints
    assert folder_prints.tree_digest("x", fast.prints) == folder_prints.tree_digest(
        "x", whole.prints)
    assert fast_cache == whole_cache
    if change in (_touch,):
        assert fast.days == []  # same bytes: nothing to run
    else:
        assert fast.days, "a change that alters a day's files must run that day"
    _restore(settled)








