"""The scanner: roots and extensions, symlinks that leave the root, duplicates, hashing."""

import hashlib
import os
from pathlib import Path

import pytest

from chimera_pipeline.lib.inventory.scan import _relative, _suffix_type, scan_file, scan_tree
from chimera_pipeline_tests.support import EXTS, ROOTS


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_roots_and_extensions_are_respected(tmp_path: Path) -> None:
    _write(tmp_path, "reports/a.csv", "x\n1\n")
    _write(tmp_path, "reports/notes.txt", "a log")
    _write(tmp_path, "reports/model.gguf", "ignored")
    _write(tmp_path, "elsewhere/b.csv", "x\n1\n")
    _write(tmp_path, "csv_data/c.json", "{}")
    named = ("reports", "csv_data")
    paths = [r.path for r in scan_tree(tmp_path, named, EXTS)]
    assert paths == ["reports/a.csv", "reports/notes.txt", "csv_data/c.json"]
    only_csv = [r.path for r in scan_tree(tmp_path, named, ("csv", "json"))]
    assert only_csv == ["reports/a.csv", "csv_data/c.json"]
    only_json = [r.path for r in scan_tree(tmp_path, ("csv_data",), ("json",))]
    assert only_json == ["csv_data/c.json"]
    assert ROOTS == (".",)  # by default, the whole root
    assert [r.path for r in scan_tree(tmp_path, ROOTS, EXTS)] == [
        "csv_data/c.json", "elsewhere/b.csv", "reports/a.csv", "reports/notes.txt"]


def test_the_whole_root_is_read_but_never_tooling_environments_or_the_data_dir(
        tmp_path: Path) -> None:
    """Any layout is read (files at the top, ``results/``, ``notebooks/``); what is never
    benchmark output is not: version control, environments of any name, caches, the
    pipeline's own data dir when it lies inside the root."""
    for rel in ("top.csv", "results/run1/a.csv", "notebooks/bench.md", "zz/deep/er/x.json",
                ".git/objects/info.json", ".venv/lib/x.csv", "myenv/pyvenv.cfg",
                "myenv/lib/site.csv", "conda/conda-meta/history.json", "conda/pkgs/a.csv",
                "web/node_modules/pkg/package.json", "src/__pycache__/a.txt",
                ".ipynb_checkpoints/bench-checkpoint.md", "out/data/reports/2025/report.md",
                "out/data/warehouse.csv"):
        _write(tmp_path, rel, "x\n1\n")
    records = scan_tree(tmp_path, ROOTS, EXTS, skip=("out/data",))
    assert [(r.path, r.folder) for r in records] == [
        ("top.csv", "."), ("notebooks/bench.md", "notebooks"),
        ("results/run1/a.csv", "results"), ("zz/deep/er/x.json", "zz")]
    # a scan root named on purpose is read even if it looks like an environment
    assert [r.path for r in scan_tree(tmp_path, ("myenv",), EXTS)] == ["myenv/lib/site.csv"]


def test_symlink_out_of_the_root_is_listed_but_never_read(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "secret"
    secret = _write(outside, "passwords.csv", "user,password\nroot,hunter2\n")
    (root / "reports").mkdir(parents=True)
    os.symlink(secret, root / "reports/leak.csv")
    os.symlink(outside, root / "reports/linked_dir")  # folder links are not followed
    _write(root, "reports/ok.csv", "x\n1\n")
    records = {r.path: r for r in scan_tree(root, ROOTS, EXTS)}
    assert set(records) == {"reports/leak.csv", "reports/ok.csv"}
    leak = records["reports/leak.csv"]
    assert leak.sha256 is None and "outside the artifact root" in leak.scan_error
    assert records["reports/ok.csv"].sha256 == hashlib.sha256(b"x\n1\n").hexdigest()


def test_symlink_loop_does_not_hang_or_crash(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    os.symlink(tmp_path / "reports/loop.csv", tmp_path / "reports/loop.csv")
    records = scan_tree(tmp_path, ROOTS, EXTS)
    assert [r.scan_error is not None for r in records] == [True]


def test_exact_duplicates_point_at_the_first_path(tmp_path: Path) -> None:
    for rel in ("reports/llama3/x.csv", "csv_data/x.csv", "reports/y.csv"):
        _write(tmp_path, rel, "a,b\n1,2\n")
    _write(tmp_path, "reports/z.csv", "a,b\n3,4\n")
    dup = {r.path: r.duplicate_of for r in scan_tree(tmp_path, ROOTS, EXTS)}
    assert dup == {"csv_data/x.csv": None, "reports/llama3/x.csv": "csv_data/x.csv",
                   "reports/y.csv": "csv_data/x.csv", "reports/z.csv": None}


def test_real_corpus_duplicates(real_corpus) -> None:
    records = scan_tree(real_corpus, ROOTS, EXTS)
    pairs = {(r.path, r.duplicate_of) for r in records if r.duplicate_of}
    assert pairs == {
        ("reports/llama3/ollama_param_tuning.csv", "csv_data/ollama_param_tuning.csv"),
        ("reports/llama3/ollama_param_tuning_summary.csv", "csv_data/ollama_param_tuning_summary.csv"),
        ("reports/llama3/ollama_quant_bench.csv", "csv_data/ollama_quant_bench.csv"),
        ("reports/ollama_benchmark_summary.md", "reports/llama3/ollama_benchmark_summary.md"),
    }


def test_a_first_scan_spread_over_processes_gives_the_same_records(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spawned_pools: list[int]) -> None:
    from chimera_pipeline.lib.inventory import scan as scanning
    from chimera_pipeline.lib.sample import write_corpus

    write_corpus(tmp_path)
    monkeypatch.setattr(scanning, "POOL_MIN_FILES", 4)  # the sample tree is small
    monkeypatch.setattr(scanning, "SCAN_CHUNK", 7)  # several tasks, taken back in order
    monkeypatch.setenv("CHIMERA_PARSE_WORKERS", "1")
    serial = scan_tree(tmp_path, ROOTS, EXTS)
    monkeypatch.setenv("CHIMERA_PARSE_WORKERS", "2")
    pooled = scan_tree(tmp_path, ROOTS, EXTS)
    assert spawned_pools == [2] and len(serial) > 50
    assert pooled == serial


def test_extensions_are_matched_as_os_path_splitext_sees_them(tmp_path: Path) -> None:
    from chimera_pipeline.lib.inventory.walk import iter_candidate_names

    names = ["a.csv", ".csv", "..csv", "...csv", "x..csv", ".a.csv", "A.CSV", "a.csv.bak",
             "a.", "a.tar.json", "b.Md", "c.mdx", ".hidden.md", "_.md", "a .csv", "noext"]
    for name in names:
        (tmp_path / "reports" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "reports" / name).write_text("x\n1\n")
    found = {os.path.basename(p) for p in iter_candidate_names(tmp_path, ROOTS, EXTS)}
    assert found == {n for n in names if os.path.splitext(n)[1].lower().lstrip(".") in EXTS}
    assert "x..csv" in found and ".csv" not in found


def test_the_walk_lists_what_os_walk_lists_in_the_same_order(tmp_path: Path) -> None:
    """The scan's own walk (links told from directory entries) against os.walk without
    following links: folder links, a link loop, dangling and file links, an unlistable
    folder, names whose sort order differs from their path order."""
    from chimera_pipeline.lib.inventory.walk import _walk

    base = tmp_path / "reports"
    for folder in ("a", "a-c", "a/b", "a/b/c", "B", "z", "locked", "a.b"):
        (base / folder).mkdir(parents=True)
        (base / folder / "f.csv").write_text("x\n1\n")
    (base / "a" / "to_z").symlink_to(base / "z")  # folder link: listed, not descended
    (base / "a" / "loop").symlink_to(base / "a")
    (base / "z" / "dangling.csv").symlink_to(base / "nowhere")
    (base / "z" / "file_link.csv").symlink_to(base / "a" / "f.csv")
    (tmp_path / "outside").mkdir()
    (base / "out").symlink_to(tmp_path / "outside")
    locked = base / "locked"
    (locked / "inner").mkdir()
    locked.chmod(0)
    try:
        ours = list(_walk(str(base)))
        reference = []
        for dirpath, dirnames, filenames in os.walk(str(base), followlinks=False):
            dirnames.sort()
            reference.append((dirpath, sorted(filenames)))
    finally:
        locked.chmod(0o755)
    assert [(d, sorted(f)) for d, f in ours] == reference
    assert any(d.endswith("/a/b/c") for d, _ in ours) and not any("to_z" in d for d, _ in ours)


def test_a_scan_that_finds_nothing_says_why(tmp_path: Path, monkeypatch) -> None:
    from chimera_pipeline.lib.config import load_settings
    from chimera_pipeline.lib.inventory.explain import why_nothing_was_read

    root = tmp_path / "root"
    monkeypatch.setenv("CHIMERA_ARTIFACT_ROOT", str(root))
    monkeypatch.setenv("CHIMERA_DATA_DIR", str(root / "data"))
    root.mkdir()
    assert why_nothing_was_read(load_settings()) == [
        f"the artifact root {root} holds no files (CHIMERA_ARTIFACT_ROOT)"]
    for rel in ("results/a.parquet", "results/b.parquet", "results/c.xlsx", ".git/x.json",
                "env/pyvenv.cfg", "env/lib/deep/a.csv", "data/reports/2025-10-01/report.md",
                "reports/old.csv"):
        _write(root, rel, "x")
    monkeypatch.setenv("CHIMERA_SCAN_ROOTS", "runs")
    lines = why_nothing_was_read(load_settings())
    assert lines[0] == f"nothing read under {root}:"
    assert lines[1].startswith("  3 file(s) of extensions not read (2 .parquet, 1 .xlsx); "
                               "read: csv, json")
    assert set(lines[2:]) == {
        "  1 file(s) in Python environments, never read",
        "  1 file(s) in hidden or tool folders (.git, node_modules, __pycache__, ...), never read",
        "  1 file(s) in the data dir (the pipeline's own output), never read",
        "  1 file(s) outside the scan roots runs (CHIMERA_SCAN_ROOTS; '.' reads the whole root)"}


def test_a_data_dir_that_is_the_root_keeps_the_pipelines_own_output_out(
        tmp_path: Path, monkeypatch) -> None:
    from chimera_pipeline.lib.config import load_settings
    from chimera_pipeline.lib.inventory.scan import scan_configured

    for rel in ("results/a.csv", "reports/2025-10-01/report.md", "scan_cache/x.json",
                "dagster_home/history/runs.json"):
        _write(tmp_path, rel, "x\n1\n")
    monkeypatch.setenv("CHIMERA_ARTIFACT_ROOT", str(tmp_path))
    monkeypatch.setenv("CHIMERA_DATA_DIR", str(tmp_path))
    assert [r.path for r in scan_configured(load_settings())] == ["results/a.csv"]


@pytest.mark.parametrize("rel", [
    "a.csv", "dir/a.CSV", "dir/.hidden", "dir/..a", "dir/a.", "dir/a..b", "x/y/z.tar.gz",
    "no_suffix", "dir.d/file", "a b/c d.json", "runs[1]/x[1].csv", "ü/ñ.md", ".md"])
def test_a_file_is_named_and_typed_as_pathlib_names_it(rel: str) -> None:
    """``scan_file`` slices the walk's path text instead of building ``Path`` objects; the
    relative path and file type are what ``Path.relative_to(...).as_posix()`` and
    ``Path.suffix`` say, for the names where ``os.path.splitext`` and ``pathlib`` differ."""
    root = Path("/tmp/some root")
    path = f"{root}/{rel}"
    assert _relative(path, str(root)) == Path(path).relative_to(root).as_posix()
    assert _suffix_type(rel) == Path(path).suffix.lower().lstrip(".")


@pytest.mark.parametrize("path", ["/r/./a.csv", "/r//a.csv", "/r/a/", "/r/a/.", "/rx/a.csv",
                                  "/r", "/r/"])
def test_a_path_only_pathlib_can_normalise_is_left_to_it(path: str) -> None:
    assert _relative(path, "/r") is None


def test_scanning_by_path_text_describes_files_as_pathlib_paths_did(tmp_path: Path) -> None:
    """The same record whether the file is named by text (the walk, the pool) or by a
    ``Path``, for plain, odd and unreadable files."""
    (tmp_path / "sub.dir").mkdir()
    for name in ("a.csv", "sub.dir/..b", "sub.dir/c.", "sub.dir/d.JSON"):
        (tmp_path / name).write_text("x,y\n1,2\n")
    (tmp_path / "sub.dir" / "fifo.csv").symlink_to(tmp_path / "missing.csv")
    for name in ("a.csv", "sub.dir/..b", "sub.dir/c.", "sub.dir/d.JSON", "sub.dir/fifo.csv"):
        by_text = scan_file(f"{tmp_path}/{name}", tmp_path)
        assert by_text == scan_file(tmp_path / name, tmp_path)
        named = (tmp_path / name).relative_to(tmp_path)  # what pathlib said
        assert (by_text.path, by_text.file_type) == (
            named.as_posix(), named.suffix.lower().lstrip("."))
    assert scan_file(f"{tmp_path}/sub.dir/d.JSON", tmp_path).file_type == "json"
    assert scan_file(f"{tmp_path}/sub.dir/..b", tmp_path).file_type == "b"
    assert scan_file(f"{tmp_path}/sub.dir/fifo.csv", tmp_path).scan_error


def test_a_path_text_pathlib_would_normalise_reads_the_file_it_names(tmp_path: Path) -> None:
    """Text the walk never lists (a trailing separator, ``.`` or doubled separators) is read
    as the file ``pathlib`` names, as before."""
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    expected = scan_file(tmp_path / "a.csv", tmp_path)
    for text in (f"{tmp_path}/a.csv/", f"{tmp_path}/./a.csv", f"{tmp_path}//a.csv"):
        found = scan_file(text, tmp_path)
        assert found == expected and not found.scan_error


def test_a_file_the_system_cannot_stat_is_recorded_not_raised(tmp_path: Path) -> None:
    """A listed path the system refuses to stat for another reason than its absence (here a
    name over the file system's limit) is an unreadable record with the reason; the rest of
    the scan goes on (``pathlib``'s ``is_symlink`` raised such errors out of the scan)."""
    record = scan_file(f"{tmp_path}/{'x' * 300}.csv", tmp_path)
    assert record.scan_status == "unreadable" and record.file_type == "csv"
    assert "cannot stat" in record.scan_error and "too long" in record.scan_error
