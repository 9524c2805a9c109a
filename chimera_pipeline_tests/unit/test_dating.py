"""Benchmark-date rules: path stamps, content dates, mtime fallback, and the real corpus."""

import datetime as dt
import os
import re
from pathlib import PurePosixPath

import pytest

from chimera_pipeline.lib.inventory.dating import date_from_content, date_from_path, resolve_date


@pytest.mark.parametrize(
    ("path", "day"),
    [
        ("reports/ollama/20251002-151204/prompt_suite_runs.csv", "2025-10-02"),
        ("reports/ascii_demo_20251004_143244.json", "2025-10-04"),
        ("reports/compilation/compilation_benchmark_lessons_20251002.md", "2025-10-02"),
        # epoch stamps are UTC: 1759197059 is 2025-09-30T01:50:59Z (still the 29th in UTC-4)
        ("csv_data/baselines/demo_baseline_1759197059.json", "2025-09-30"),
    ],
)
def test_path_stamps(path: str, day: str) -> None:
    found = date_from_path(path)
    assert found is not None and found.source == "path"
    assert found.date.isoformat() == day


def test_names_without_a_valid_stamp_have_no_path_date() -> None:
    assert date_from_path("reports/compilation/transformer_cuda_triton2508.json") is None
    assert date_from_path("reports/mcp_integration_local4000.md") is None
    assert date_from_path("reports/run_20251399.csv") is None  # month 13 is not a date


def test_content_dates_by_type() -> None:
    json_day = date_from_content("json", '{"generated_at": "2025-10-03T03:19:06+00:00"}')
    assert json_day.date == dt.date(2025, 10, 3) and json_day.source == "content"
    assert date_from_content("json", '{"timestamp": 1759186313.0}').date == dt.date(2025, 9, 29)
    csv_text = "timestamp,model\n2025-10-01T00:13:01,a\n2025-09-30T20:11:33,b\n"
    assert date_from_content("csv", csv_text).raw.endswith("2025-09-30T20:11:33")
    md = "# Report\n\n| **Test Date** | 2025-10-08 |\n"
    assert date_from_content("md", md).date == dt.date(2025, 10, 8)


def test_markdown_dates_only_count_when_labelled_near_the_top() -> None:
    assert date_from_content("md", "Test window: 2025-10-08 (local)") is None
    late = "x" * 5000 + "\n**Report Generated:** 2025-10-08\n"
    assert date_from_content("md", late) is None
    assert date_from_content("md", "**Date:** October 10, 2025") is None


def test_mtime_is_the_last_resort(tmp_path) -> None:
    noon = dt.datetime(2025, 9, 1, 12, tzinfo=dt.UTC).timestamp()
    found = resolve_date("reports/gemma3/gemma3_baseline.csv", "csv", "prompt,ttft_s\n", noon)
    assert (found.date, found.source) == (dt.date(2025, 9, 1), "mtime")


def test_real_corpus_dates_match_file_index(real_corpus, file_index) -> None:
    """Each file's date is file_index's name date, else its content date, else mtime."""
    for row in file_index:
        path = real_corpus / row["path"]
        text = path.read_text(encoding="utf-8", errors="replace")
        found = resolve_date(row["path"], row["ext"], text, os.stat(path).st_mtime)
        expected = re.search(r"\d{4}-\d{2}-\d{2}", row["date_from_name"] or row["date_from_content"])
        if row["date_from_name"]:
            assert found.source == "path", row["path"]
        if expected:
            assert found.date.isoformat() == expected.group(0), row["path"]
        else:
            assert found.source == "mtime", row["path"]


@pytest.mark.parametrize(("rel", "day"), [
    ("runs/20250304/x.csv", "2025-03-04"), ("runs//20250304/./x.csv", "2025-03-04"),
    ("/abs/run_20250102_0000/a.md", "2025-01-02"), ("20250304/", "2025-03-04"),
    ("a/./b/results_1735689600.json", "2025-01-01"), ("20250230/x.csv", None),
    ("x/20241231_2359/..", "2024-12-31"), ("no/date/here.csv", None), ("", None),
    # the nearest stamp wins: the file's name, then its folders from the nearest up
    ("20250101/run_20250102_0000/x.csv", "2025-01-02"),
    ("20250101//run_20250102_0000/./x_20250103.csv", "2025-01-03"),
    ("20250101/./undated/x.csv", "2025-01-01"), ("run-2025-03-04/x.csv", None)])
def test_a_path_is_dated_by_its_nearest_stamp_as_its_pathlib_components_are(rel, day) -> None:
    """The path is split as text; the components ``PurePosixPath`` drops or adds (empty,
    ``.``, a leading ``/``) hold no stamp, so the stamp found is the one nearest the file."""
    found = date_from_path(rel)
    assert (found.date.isoformat() if found else None) == day
    if found:  # the same stamp from the same component as pathlib's parts give it
        part = next(p for p in reversed(PurePosixPath(rel).parts) if date_from_path(p))
        assert found == date_from_path(part)
