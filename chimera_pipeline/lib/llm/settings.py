"""LLM configuration from the environment (all documented in the README)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from chimera_pipeline.lib.settings import SettingsError, env_number


def _env(name: str, default: str | None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _number(name: str, default: str | None, kind: type = float, minimum: float | None = 0):
    return env_number(name, kind(default) if default is not None else None, kind, minimum)


@dataclass(frozen=True)
class LLMSettings:
    backend: str = "auto"
    model: str = "gemma3:latest"
    host: str = "http://127.0.0.1:11434"
    embedded_model_path: Path | None = None
    timeout_s: float = 120.0
    keep_alive: str = "30m"
    num_gpu: int | None = None
    num_ctx: int | None = None  # None: sized to the prompt
    max_ctx: int = 8192
    max_output_tokens: int = 800
    retries: int = 2
    schema_retries: int = 1
    backoff_s: float = 1.0
    language: str = "en"  # ISO 639-1 code the answer must be written in
    options: dict = field(default_factory=dict)


def llm_settings_from_env() -> LLMSettings:
    backend = (_env("CHIMERA_LLM_BACKEND", "auto") or "auto").lower()
    if backend not in ("auto", "ollama", "embedded"):
        raise SettingsError(f"CHIMERA_LLM_BACKEND={backend!r}: use auto, ollama or embedded")
    path = _env("CHIMERA_EMBEDDED_MODEL", None)
    return LLMSettings(
        backend=backend,
        model=_env("CHIMERA_LLM_MODEL", "gemma3:latest"),
        host=_env("OLLAMA_HOST", "http://127.0.0.1:11434"),
        embedded_model_path=Path(path) if path else None,
        timeout_s=_number("CHIMERA_LLM_TIMEOUT", "120", float, 0.01),
        keep_alive=_env("CHIMERA_LLM_KEEP_ALIVE", "30m"),
        num_gpu=_number("CHIMERA_LLM_NUM_GPU", None, int, -1),
        num_ctx=_number("CHIMERA_LLM_NUM_CTX", None, int, 256),
        max_ctx=_number("CHIMERA_LLM_MAX_CTX", "8192", int, 256),
        max_output_tokens=_number("CHIMERA_LLM_MAX_TOKENS", "800", int, 1),
        retries=_number("CHIMERA_LLM_RETRIES", "2", int),
        schema_retries=_number("CHIMERA_LLM_SCHEMA_RETRIES", "1", int),
        backoff_s=_number("CHIMERA_LLM_BACKOFF", "1.0"),
        language=(_env("CHIMERA_LLM_LANGUAGE", "en") or "en").lower(),
        options={
            "temperature": _number("CHIMERA_LLM_TEMPERATURE", "0.2"),
            "top_p": _number("CHIMERA_LLM_TOP_P", None),
            "top_k": _number("CHIMERA_LLM_TOP_K", None, int),
            "repeat_penalty": _number("CHIMERA_LLM_REPEAT_PENALTY", None),
            "seed": _number("CHIMERA_LLM_SEED", "42", int),
        },
    )
