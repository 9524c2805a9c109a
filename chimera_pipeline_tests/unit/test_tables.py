"""The one Markdown table reader (``lib.common.tables``) that tool readers and the generic
extractor share, attacked with the shapes that split the two readers it replaced."""

from __future__ import annotations

from chimera_pipeline.lib.common.tables import markdown_tables


def _shape(text: str) -> list[tuple[list[str], list[list[str]], int]]:
    return [(t.header, t.rows, t.line) for t in markdown_tables(text)]


def test_a_row_of_dashes_is_a_row_not_the_end_of_the_table() -> None:
    assert _shape("| a | b |\n|---|---|\n| - | - |\n| 1 | 2 |\n") == [
        (["a", "b"], [["-", "-"], ["1", "2"]], 1)]


def test_a_log_line_with_a_pipe_between_two_tables_ends_the_first() -> None:
    text = ("| model | t/s |\n| --- | --: |\n| x | 1 |\n"
            "ggml_vulkan: 0 = AMD Radeon | uma: 0 | fp16: 1\n"
            "| model | t/s |\n| --- | --: |\n| y | 2 |\n")
    assert _shape(text) == [(["model", "t/s"], [["x", "1"]], 1),
                            (["model", "t/s"], [["y", "2"]], 5)]


def test_tables_with_no_blank_line_between_them_stay_two() -> None:
    text = "| a | b |\n|---|---|\n| 1 | 2 |\n| c | d |\n|---|---|\n| 3 | 4 |\n"
    assert _shape(text) == [(["a", "b"], [["1", "2"]], 1), (["c", "d"], [["3", "4"]], 4)]


def test_a_glued_header_quoted_and_pipeless_tables() -> None:
    glued = "- DType: torch.float32 | Backend | Success |\n| --- | --- |\n| eager | yes |\n"
    assert _shape(glued) == [(["Backend", "Success"], [["eager", "yes"]], 1)]
    quoted = "> | PP | TG |\n> |----|----|\n> | 128 | 128 |\n"
    assert _shape(quoted) == [(["PP", "TG"], [["128", "128"]], 1)]
    assert _shape("a | b\n---|---\n1 | 2\n") == [(["a", "b"], [["1", "2"]], 1)]
    assert _shape("a | b\n---\n") == []  # a rule under text is no table


def test_a_log_line_printed_into_a_table_is_skipped() -> None:
    """llama-bench on Vulkan prints its shader compilation between the delimiter and the
    first row (seen in a ggml-org/llama.cpp discussion, M2 Max under Asahi Linux)."""
    text = ("ggml_vulkan: 0 = Apple M2 Max (G14C B1) (Honeykrisp) | uma: 1 | fp16: 1\n"
            "| model | backend | ngl | test | t/s |\n| --- | ---: | --: | ---: | ---: |\n"
            "ggml_vulkan: Compiling shaders................................Done!\n"
            "| llama 7B Q4_K - Medium | Vulkan | 99 | pp512 | 92.16 ± 0.08 |\n"
            "| llama 7B Q4_K - Medium | Vulkan | 99 | tg128 | 19.23 ± 0.01 |\n\n"
            "build: 1234abcd (4321)\n")
    [table] = markdown_tables(text)
    assert [row[3] for row in table.rows] == ["pp512", "tg128"]
    assert markdown_tables("| a |\n|---|\n| 1 |\nnote: the end\n\n| b |\n|---|\n| 2 |\n")[0
                                                                              ].rows == [["1"]]


def test_a_log_line_before_the_next_tables_header_still_ends_the_first() -> None:
    text = ("| model | t/s |\n| --- | --: |\n| x | 1 |\nbuild: 1234abcd (4321)\n"
            "| model | t/s |\n| --- | --: |\n| y | 2 |\n")
    assert [t.rows for t in markdown_tables(text)] == [[["x", "1"]], [["y", "2"]]]
