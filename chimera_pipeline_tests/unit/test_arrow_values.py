"""The Arrow CSV extractor gives row for row what the Python one gives, on real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from chimera_pipeline.lib.common.text import decode_bytes
from chimera_pipeline.lib.parsing.parsers import arrow_values, values
from chimera_pipeline.lib.parsing.parsers.base import ParseContext, ParseError, ParseOutput
from chimera_pipeline.lib.sample import write_corpus
from chimera_pipeline_tests.torture import _contents

HOSTILE = {
    "signs, exponents, grouping, overflow": (
        "model,ttft_s,tokens_s,note\nm1,-1,5,x\nm2,1e309,NaN,y\nm3,\"1,024\",2e8,z\n"
        "m4,400000000,12.5,w\nm5, 7 ,1_000,0.5\nm6,+.5e-3,1.,.5\nm7,\"22,80,000\",1,2\n"),
    "a units row under the header": "a_ms,b\nms,%\n1,2\n3,4\n",
    "semicolons and a decimal comma": "name;value_s;x\nA;1,5;3\nB;2;4\n",
    "tabs": "name\tvalue_ms\nA\t1.5\nB\t2\n",
    "blank and whitespace-only rows": "model,tokens_s\n\nm1,1\n , \n,\nm2,2\n",
    "CRLF and bare CR": "model,tokens_s\r\nm1,1\r\nm2,2\rm3,3\r\n",
    "quotes and line breaks in cells": 'prompt,ttft_ms\n"say ""hi"", then\nstop",12\n"a,b",3\n',
    "Unicode digits and spaces": "model,tokens_s,b\nm1,\u0661\u0662,\u00a07\u00a0\nm2,\uff13,\u2003\n"
                                 "m3,\x1c8\x1f,\u00b5s\n",
    "duplicate and empty header names": "a,a,,tokens_s\n1,2,3,4\n",
    "header only": "model,tokens_s\n",
    "ragged rows (the Python path)": "model,tokens_s\nm1,1,extra\nm2\n",
    "blank first line (the Python path)": "\nmodel,tokens_s\nm1,1\n",
    "one column": "tokens_s\n5\n \n6\n",
    "infinities and signs as text": "x,y\ninf,-inf\n+inf,nan\n-0,+0\n",
}


def _rows(out: ParseOutput) -> list[dict]:
    return out.all_rows("metric_values")


def _compare(text: str) -> tuple[int, bool]:
    """Both extractors on one text: (rows, whether the Arrow path took the file)."""
    ctx = ParseContext("x.csv", "generic_csv", "csv", "2025-10-02", text)
    arrow, python = ParseOutput(), ParseOutput()
    try:
        values.csv_values_python(ctx, python)
    except ParseError:
        assert not arrow_values.csv_values(ctx, arrow)
        return 0, False
    took = arrow_values.csv_values(ctx, arrow)
    if not took:
        return 0, False
    assert _rows(arrow) == _rows(python)
    assert +arrow.counts == +python.counts
    assert arrow.warnings == python.warnings
    return len(_rows(python)), True


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_tables_give_the_same_rows(case: str) -> None:
    rows, took = _compare(HOSTILE[case])
    assert took == ("Python path" not in case)


def _csv_texts(root: Path) -> list[str]:
    texts = [decode_bytes(p.read_bytes()).text for p in sorted(root.rglob("*.csv"))
             if p.is_file()]
    return [t for t in texts if "\x00" not in t]  # parse_file refuses these before parsing


def test_real_tool_sample_and_torture_csvs_give_the_same_rows(
        tmp_path: Path, real_corpus: Path, tools_corpus: Path) -> None:
    """Every CSV of four corpora through both paths. The project's real files all take the
    Arrow path; the ones it declines elsewhere are the ragged ones (GenAI-Perf's sectioned
    exports, the torture tree's broken tables), which the Python path reads."""
    write_corpus(tmp_path, tools=True)
    torture = [decode_bytes(data).text for rel, (data, _, _) in _contents().items()
               if rel.endswith(".csv")]
    rows = 0
    for name, texts in (("real", _csv_texts(real_corpus)), ("tools", _csv_texts(tools_corpus)),
                        ("sample", _csv_texts(tmp_path)), ("torture", torture)):
        results = [_compare(text) for text in texts if "\x00" not in text]
        rows += sum(n for n, _ in results)
        taken = sum(took for _, took in results)
        if name == "real":
            assert taken == len(results), name
        assert taken >= len(results) // 2, (name, taken, len(results))
    assert rows > 10_000


def test_a_table_wider_than_the_arrow_limit_takes_the_python_path(monkeypatch) -> None:
    """pyarrow's reader costs memory per column whatever the data: the torture tree's
    100,000-column file is declined, and the Arrow path would have read it the same."""
    wide = next(decode_bytes(data).text for rel, (data, _, _) in _contents().items()
                if "wide_100k" in rel)
    assert _compare(wide) == (0, False)
    monkeypatch.setattr(arrow_values, "MAX_COLUMNS", 200_000)
    assert _compare(wide) == (100_000, True)


def test_the_per_file_cap_keeps_the_first_values_in_row_order(monkeypatch) -> None:
    monkeypatch.setattr(arrow_values, "MAX_VALUES_PER_FILE", 7)
    ctx = ParseContext("x.csv", "generic_csv", "csv", "d", "a,b,c\n" + "1,2,3\n" * 5)
    out = ParseOutput()
    assert arrow_values.csv_values(ctx, out)
    assert [r["locator"] for r in _rows(out)] == [
        "row1.a", "row1.b", "row1.c", "row2.a", "row2.b", "row2.c", "row3.a"]
    assert out.counts["values"] == 15
