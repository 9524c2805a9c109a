"""The answer's language is checked."""

from __future__ import annotations


def test_an_answer_in_the_wrong_language_is_detected() -> None:
    from chimera_pipeline.lib.llm.language import wrong_language
    from chimera_pipeline_tests.fake_ollama import GERMAN_ANSWER, GOOD_ANSWER

    assert wrong_language(GERMAN_ANSWER, "en") == "de"
    assert wrong_language(GOOD_ANSWER, "en") is None
    assert wrong_language({"executive_summary": "{F1} {F2} 102.2 tok/s"}, "en") is None
    chinese = {"executive_summary": "gemma3:latest 在这一天的解码速度为 {F1}。吞吐量稳定。"
                                    "最佳配置是 {F2}。保持上下文大小与提示相匹配。"}
    assert wrong_language(chinese, "en") == "zh"

