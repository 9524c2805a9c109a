"""What the LLM step needs from the settings registry, as one value it can pass around.

The defaults and limits live in the registry (``lib/config/settings.py``) only; this is the
step's view of them, which the Dagster resource may override field by field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from chimera_pipeline.lib.config import Settings, load_settings


@dataclass(frozen=True)
class LLMSettings:
    backend: str
    model: str
    host: str
    embedded_model_path: Path | None
    timeout_s: float
    keep_alive: str
    num_gpu: int | None
    num_ctx: int | None  # None: sized to the prompt
    max_ctx: int
    max_output_tokens: int
    retries: int
    schema_retries: int
    backoff_s: float
    language: str  # ISO 639-1 code the answer must be written in
    mark_unverified: bool  # publish unverified sentences marked, instead of leaving them out
    options: dict = field(default_factory=dict)

    @classmethod
    def from_config(cls, settings: Settings) -> LLMSettings:
        return cls(
            backend=settings.llm_backend, model=settings.llm_model, host=settings.ollama_host,
            embedded_model_path=settings.embedded_model, timeout_s=settings.llm_timeout,
            keep_alive=settings.llm_keep_alive, num_gpu=settings.llm_num_gpu,
            num_ctx=settings.llm_num_ctx, max_ctx=settings.llm_max_ctx,
            max_output_tokens=settings.llm_max_tokens, retries=settings.llm_retries,
            schema_retries=settings.llm_schema_retries, backoff_s=settings.llm_backoff,
            language=settings.llm_language, mark_unverified=settings.llm_mark_unverified,
            options={"temperature": settings.llm_temperature, "top_p": settings.llm_top_p,
                     "top_k": settings.llm_top_k,
                     "repeat_penalty": settings.llm_repeat_penalty, "seed": settings.llm_seed},
        )


def llm_settings() -> LLMSettings:
    """The LLM settings of the current environment."""
    return LLMSettings.from_config(load_settings())
