"""The LLM resource: one configurable entry point for both backends."""

import dataclasses

import dagster as dg

from chimera_pipeline.lib.llm.settings import LLMSettings, llm_settings


class LLMResource(dg.ConfigurableResource):
    """Backend, model and options for ``llm_analysis``. Unset fields fall back to the
    ``CHIMERA_LLM_*`` / ``OLLAMA_HOST`` environment variables (docs/configuration.md)."""

    backend: str | None = None
    model: str | None = None
    host: str | None = None
    max_output_tokens: int | None = None
    num_ctx: int | None = None
    timeout_s: float | None = None

    def settings(self) -> LLMSettings:
        base = llm_settings()
        overrides = {k: v for k, v in self.model_dump().items() if v is not None}
        return dataclasses.replace(base, **overrides)


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"llm": LLMResource()})
