"""The claim reader: every form a quantity is written in is read, with its unit, precision and
what it counts; names are masked as whole tokens only; no digit is left unread."""

from __future__ import annotations

import pytest

from chimera_pipeline.lib.facts.model import FactRecord
from chimera_pipeline.lib.llm.names import FILLER, NameIndex, mask_shapes, subject_parts
from chimera_pipeline.lib.llm.quantities import read_quantities


def _read(text: str) -> list[tuple]:
    return [(q.form, q.value, q.unit, q.noun) for q in read_quantities(mask_shapes(text))]


@pytest.mark.parametrize(("text", "expected"), [
    ("at 102.2 tok/s", [("number", 102.2, "tok/s", None)]),
    ("in 17162.6 ms", [("number", pytest.approx(17.1626), "s", None)]),
    ("2,280,000 files", [("number", 2280000.0, None, "file")]),
    ("22,80,000 rows", [("number", 2280000.0, None, "row")]),
    ("it moved +2.1%", [("number", 2.1, "%", None)]),
    ("it moved −5 %", [("number", -5.0, "%", None)]),
    ("roughly 50k output tokens", [("number", 50000.0, None, "token")]),
    ("1.2M requests", [("number", 1200000.0, None, "request")]),
    ("3B tokens", [("number", 3e9, None, "token")]),
    ("2 million tokens", [("number", 2e6, None, "token")]),
    ("71 KB", [("number", 71000.0, "bytes", None)]),
    ("1e4 tok/s", [("number", 10000.0, "tok/s", None)]),
    ("**99.9** tok/s", [("number", 99.9, "tok/s", None)]),
    ("99.9tok/s", [("number", 99.9, "tok/s", None)]),
    ("5 times faster", [("number", 5.0, "x", None)]),
    ("5x faster", [("number", 5.0, "x", None)]),
    ("x5 faster", [("number", 5.0, "x", None)]),
    ("3-fold", [("number", 3.0, "x", None)]),
    ("3 pp", [("number", 3.0, "pp", None)]),
    ("20 percentage points", [("number", 20.0, "pp", None)]),
    ("twice as fast", [("multiplier", 2.0, "x", None)]),
    ("doubled its speed", [("multiplier", 2.0, "x", None)]),
    ("half the throughput", [("multiplier", 0.5, "fraction", None)]),
    ("a third of the requests", [("multiplier", pytest.approx(1 / 3), "fraction", None)]),
    ("a quarter of the requests", [("multiplier", 0.25, "fraction", None)]),
    ("five requests", [("word", 5.0, None, "request")]),
    ("twenty-five files", [("word", 25.0, None, "file")]),
    ("a dozen configs", [("word", 12.0, None, "config")]),
    ("thousands of tokens", [("vague", 2000.0, None, None)]),
])
def test_every_form_of_a_quantity_is_read(text: str, expected: list[tuple]) -> None:
    assert _read(text) == expected


@pytest.mark.parametrize(("text", "first", "second"), [
    ("moved by 12-15% between runs", (12.0, "%"), (15.0, "%")),
    ("moved by 12 to 15 % overall", (12.0, "%"), (15.0, "%")),
    ("between 12 and 15 tok/s", (12.0, "tok/s"), (15.0, "tok/s")),
    ("from 500 to 1500 ms", (0.5, "s"), (1.5, "s")),
    ("102.2 ± 3.1 tok/s", (102.2, "tok/s"), (3.1, "tok/s")),
])
def test_both_ends_of_a_range_take_the_unit_written_after_the_second(text, first, second):
    quantities = read_quantities(mask_shapes(text))
    assert [(pytest.approx(q.value), q.unit) for q in quantities] == [first, second]


def test_written_precision_is_half_the_last_digit_in_the_unit_written() -> None:
    tolerance = {q.text: q.tolerance for q in read_quantities(mask_shapes(
        "76 tok/s, 76.6 tok/s, 50k tokens, 1.2M rows and 20 ms"))}
    assert tolerance["76 tok/s"] == pytest.approx(0.5)
    assert tolerance["76.6 tok/s"] == pytest.approx(0.05)
    assert tolerance["50k"] == pytest.approx(500)
    assert tolerance["1.2M"] == pytest.approx(50_000)
    assert tolerance["20 ms"] == pytest.approx(0.0005)


def test_parts_of_a_whole_are_linked() -> None:
    part, whole, rate = read_quantities(mask_shapes("5 of the 25 requests failed (20.0%)"))
    assert (part.noun, part.part_of, whole.whole_of) == ("request", 1, 0)
    assert rate.part_of is None and rate.unit == "%"
    slash = read_quantities(mask_shapes("5/25 requests failed"))
    assert (slash[0].part_of, slash[1].whole_of) == (1, 0)


@pytest.mark.parametrize("text", [
    "88,90 tok/s",        # a decimal comma
    "1,5x faster",
    "about99.9 tok/s",    # glued to a word
    "８８.９ tok/s",       # fullwidth digits
    "٨٨ tok/s",           # Arabic-Indic digits
    "10² requests",       # a superscript
    "1_000 requests",
    "7abc",               # glued to letters that are no unit
])
def test_a_number_that_cannot_be_read_safely_is_unreadable_never_skipped(text: str) -> None:
    quantities = read_quantities(mask_shapes(text))
    assert quantities and any(q.form == "unreadable" for q in quantities), quantities


def test_ranks_and_dates_and_identifier_shapes() -> None:
    assert [q.form for q in read_quantities(mask_shapes("ranked 3rd"))] == ["ordinal"]
    masked = mask_shapes("On 2025-10-08 at 10:30, in 2025, on October 8, 2025, with v1.2.3, "
                         "H100, fp16, Q4_K_M, ascii_demo_20251004_143244.json and 109.md")
    assert read_quantities(masked) == []
    assert "2025" not in masked and "109" not in masked


def test_one_as_a_pronoun_is_not_a_count() -> None:
    assert _read("no one saw it, one by one") == []
    assert _read("only one model") == [("word", 1.0, None, "model")]


def _fact(fact_id: str, subject: str | None, context: str | None = None,
          text_value: str | None = None) -> FactRecord:
    return FactRecord(fact_id=fact_id, subject=subject, context=context, text_value=text_value)


def test_names_are_masked_as_whole_tokens_never_inside_a_number() -> None:
    names = NameIndex([_fact("F1", "llama 7B Q4_0 (ngl=100) on NVIDIA GeForce RTX 4090",
                             "llama-bench tg128"), _fact("F2", "gemma3:270m", "baseline")])
    named, masked, mentions = names.mask("On NVIDIA GeForce RTX 4090, gemma3:270m decoded at "
                                         "14090 tok/s in llama-bench tg128.")
    assert [m.name for m in mentions] == ["NVIDIA GeForce RTX 4090", "gemma3:270m",
                                          "llama-bench tg128"]
    assert [(q.value, q.unit) for q in read_quantities(masked)] == [(14090.0, "tok/s")]
    assert FILLER in named and "14090" in named


def test_a_subject_is_made_of_its_model_config_backend_and_gpu() -> None:
    prefixes = {"gemma3:latest", "conv_bench"}
    assert subject_parts("gemma3:latest g60_c1024_t0.4", prefixes) == (
        "gemma3:latest g60_c1024_t0.4", "gemma3:latest", "g60_c1024_t0.4")
    assert subject_parts("conv_bench onnx", prefixes) == ("conv_bench onnx", "conv_bench",
                                                          "onnx")
    assert subject_parts("llama 7B Q4_0 (fa=1) on AMD Radeon RX 7900 XTX", set()) == (
        "llama 7B Q4_0 (fa=1) on AMD Radeon RX 7900 XTX", "llama 7B Q4_0",
        "AMD Radeon RX 7900 XTX", "Radeon RX 7900 XTX", "RX 7900 XTX", "7900 XTX")
    assert subject_parts("gemma3:270m vs gemma3:latest", set()) == (
        "gemma3:270m vs gemma3:latest", "gemma3:270m", "gemma3:latest")
