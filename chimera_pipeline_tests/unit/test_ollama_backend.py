"""The Ollama backend against a local server speaking Ollama's protocol."""

import dataclasses

import pytest

from chimera_pipeline.lib.config import load_settings
from chimera_pipeline.lib.llm.narration import PromptPlan, call
from chimera_pipeline.lib.llm.ollama_backend import OllamaBackend
from chimera_pipeline.lib.llm.settings import LLMSettings
from chimera_pipeline.lib.llm.types import LLMError
from chimera_pipeline_tests.fake_ollama import REFERENCE, FakeOllama

PLAN = PromptPlan("persona", "Findings: gemma3:latest decoded at 102.2 tok/s.", num_ctx=2048,
                  prompt_tokens=40, included=["gemma3:latest decoded at 102.2 tok/s."])
# the registry's defaults, with fast retries and the options the reference answer was sent
SETTINGS = dataclasses.replace(
    LLMSettings.from_config(load_settings({})), backend="ollama", retries=2, schema_retries=1,
    backoff_s=0.01, timeout_s=1.0, max_output_tokens=3000,
    options={"temperature": 0.2, "top_p": 0.9, "seed": 42})


def _backend(server: FakeOllama, model: str = "gemma3:latest", timeout: float = 1.0):
    return OllamaBackend(server.url, model, timeout, keep_alive="30m", num_gpu=80)


def test_normal_answer_streams_with_client_ttft_and_server_timings() -> None:
    with FakeOllama() as server:
        result, sections, note = call(_backend(server), PLAN, SETTINGS)
        sent = server.requests[-1]
    assert note == "json" and sections["performance_analysis"] == "Throughput was stable."
    assert result.attempts == 1 and result.ttft_s is not None and result.ttft_s > 0
    assert result.output_tokens == 1005
    assert result.eval_s == pytest.approx(REFERENCE["eval_duration"] / 1e9)
    assert result.decode_tps == pytest.approx(1005 / 9.2044071)  # 109.19 tok/s as in the record
    assert result.load_s == pytest.approx(0.2580459)
    assert sent["path"] == "/api/chat" and sent["stream"] is True
    assert sent["format"]["required"] == ["executive_summary"]
    assert sent["messages"][0] == {"role": "system", "content": "persona"}
    assert sent["options"] == {"temperature": 0.2, "top_p": 0.9, "seed": 42, "num_ctx": 2048,
                               "num_predict": 3000, "num_gpu": 80}
    assert sent["keep_alive"] == "30m"


def test_http_500_is_retried_then_succeeds() -> None:
    with FakeOllama() as server:
        server.script = ["500", "500"]
        result, _, _ = call(_backend(server), PLAN, SETTINGS)
    assert result.attempts == 3


def test_missing_model_is_a_clear_error_without_retries() -> None:
    with FakeOllama() as server:
        with pytest.raises(LLMError) as error:
            call(_backend(server, model="gemma3:12b"), PLAN, SETTINGS)
        assert len(server.requests) == 1
    message = str(error.value)
    assert "gemma3:12b" in message and server.url in message and "ollama pull" in message


def test_connection_refused_names_host_and_fix() -> None:
    with FakeOllama() as server:
        url = server.url
    with pytest.raises(LLMError) as error:
        call(OllamaBackend(url, "gemma3:latest", 1.0, None), PLAN, SETTINGS)
    assert url in str(error.value) and "ollama serve" in str(error.value)
    assert "3 attempts" in str(error.value)


def test_timeout_is_retried_and_then_fails_clearly() -> None:
    with FakeOllama(hang_s=3) as server:
        server.script = ["hang", "hang", "hang"]
        with pytest.raises(LLMError, match="did not answer within 0.5 s"):
            call(_backend(server, timeout=0.5), PLAN, SETTINGS)


def test_stream_cut_in_the_middle_is_retried() -> None:
    with FakeOllama() as server:
        server.script = ["cut"]
        result, sections, _ = call(_backend(server), PLAN, SETTINGS)
    assert result.attempts == 2 and sections["performance_analysis"]


def test_stream_cut_every_time_fails_without_a_result() -> None:
    with FakeOllama() as server:
        server.script = ["cut"] * 3
        with pytest.raises(LLMError, match="broke|final chunk"):
            call(_backend(server), PLAN, SETTINGS)


def test_json_not_matching_the_schema_is_retried_then_kept_leniently() -> None:
    with FakeOllama() as server:
        server.script = ["badjson"]
        result, sections, note = call(_backend(server), PLAN, SETTINGS)
        assert result.attempts == 2 and note == "json"
        server.script = ["badjson", "badjson"]
        result, sections, note = call(_backend(server), PLAN, SETTINGS)
    assert "not matching the schema" in note and result.attempts == 2
    assert sections["performance_analysis"] == "" and isinstance(sections["executive_summary"],
                                                                   str)


def test_empty_answer_is_retried() -> None:
    with FakeOllama() as server:
        server.script = ["empty"]
        result, _, _ = call(_backend(server), PLAN, SETTINGS)
    assert result.attempts == 2


def test_auto_backend_uses_ollama_only_when_it_has_the_model(tmp_path) -> None:
    with FakeOllama() as server:
        assert _backend(server).available()
        assert not _backend(server, model="llama3:70b").available()
    assert not OllamaBackend(server.url, "gemma3:latest", 1.0, None).available()


def test_credentials_in_the_host_never_reach_messages() -> None:
    with FakeOllama() as server:
        url = server.url.replace("http://", "http://admin:s3cret@")
    with pytest.raises(LLMError) as error:
        call(OllamaBackend(url, "gemma3:latest", 1.0, None),
             PLAN, dataclasses.replace(SETTINGS, retries=0))
    assert "s3cret" not in str(error.value) and "***@" in str(error.value)


def test_auto_choice_falls_back_to_the_embedded_model(tmp_path) -> None:
    from chimera_pipeline.lib.llm.embedded_backend import EmbeddedBackend
    from chimera_pipeline.lib.llm.narration import choose_backend

    model = tmp_path / "model.gguf"
    with FakeOllama() as server:
        auto = dataclasses.replace(SETTINGS, backend="auto", host=server.url,
                                   embedded_model_path=model)
        assert isinstance(choose_backend(auto, tmp_path), OllamaBackend)
        missing = dataclasses.replace(auto, model="gemma3:12b")
        assert isinstance(choose_backend(missing, tmp_path), EmbeddedBackend)
    assert isinstance(choose_backend(auto, tmp_path), EmbeddedBackend)  # server gone


def test_an_answer_that_hits_the_token_budget_is_never_silently_cut() -> None:
    with FakeOllama() as server:
        result, _, note = call(_backend(server), PLAN,
                               dataclasses.replace(SETTINGS, max_output_tokens=500))
    assert result.output_tokens == 500
    assert "reached the 500-token budget" in note and "CHIMERA_LLM_MAX_TOKENS" in note


def test_the_prompt_form_follows_the_models_template_and_a_base_model_gets_raw_text() -> None:
    """Ollama's /api/show tells a chat model (a template) from a base model (none); the base
    model is sent the completion prompt raw to /api/generate, with its stop sequences, and
    its answer continues the primer."""
    from chimera_pipeline.lib.llm.narration import plan_prompt
    from chimera_pipeline.lib.llm.types import COMPLETION

    with FakeOllama() as server:
        assert _backend(server).prompt_format() == "chat"
    answer = "gemma3:latest was the only model measured, and every request completed."
    with FakeOllama(template="", answer=answer) as server:
        backend = _backend(server)
        assert backend.prompt_format() == COMPLETION
        plan = plan_prompt("2025-10-08", ["gemma3:latest decoded at 102.2 tok/s."], SETTINGS,
                           len, COMPLETION)
        result, sections, note = call(backend, plan, SETTINGS)
        sent = server.requests[-1]
    assert sent["path"] == "/api/generate" and sent["raw"] is True
    assert sent["prompt"] == plan.prompt and sent["prompt"].endswith("On 2025-10-08,")
    assert sent["options"]["stop"] == plan.stop and "format" not in sent
    assert note == "completion" and sections["executive_summary"] == f"On 2025-10-08, {answer}"
