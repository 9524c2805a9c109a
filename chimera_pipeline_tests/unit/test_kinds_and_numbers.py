"""Kind recognition against the real corpus's index, and number/unit reading."""

import pytest

from chimera_pipeline.lib.inventory.kinds import classify
from chimera_pipeline.lib.parsing.numbers import normalise, parse_number, unit_from_name


def test_every_real_file_gets_the_kind_file_index_gives(real_corpus, file_index) -> None:
    wrong = {}
    for row in file_index:
        text = (real_corpus / row["path"]).read_text(encoding="utf-8", errors="replace")
        kind = classify(row["path"], row["ext"], text)
        if kind != row["kind"]:
            wrong[row["path"]] = (kind, row["kind"])
    assert wrong == {}


def test_unknown_content_is_generic() -> None:
    assert classify("reports/x.csv", "csv", "a,b\n1,2\n") == "generic_csv"
    assert classify("reports/x.json", "json", "[1, 2]") == "generic_json"
    assert classify("reports/x.json", "json", "{not json") == "generic_json"


@pytest.mark.parametrize(
    ("raw", "value"),
    [("22,80,000", 2280000.0), ("1,024", 1024.0), ("2,14,74,83,647", 2147483647.0),
     ("0.000000", 0.0), ("-3.5", -3.5), (12, 12.0)],
)
def test_numbers(raw, value) -> None:
    assert parse_number(raw) == value


@pytest.mark.parametrize("raw", ["1e309", "nan", "inf", "TRUE", True, "1,2", "", None, "12 ms"])
def test_not_numbers(raw) -> None:
    assert parse_number(raw) is None


def test_units_from_names_and_normalisation() -> None:
    assert unit_from_name("ttft_s") == "s"
    assert unit_from_name("mean_time_ms") == "ms"
    assert unit_from_name("Generation Time (ms)") == "ms"
    assert unit_from_name("Tokens per Second") == "tok/s"
    assert unit_from_name("eval_s_mean") == "s"
    assert normalise(9.408, "us") == pytest.approx((9.408e-6, "s"))
    assert normalise(1.024, "Kbyte") == pytest.approx((1024.0, "B"))
    assert normalise(3.0, "block") == (3.0, "block")
