"""Backend-neutral request, result and error types for the LLM step."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field


class LLMError(RuntimeError):
    """A call that failed for good. The message names host, model and what to do."""


class RetryableLLMError(LLMError):
    """A failure worth another try: connection refused, 5xx, timeout, cut stream, empty."""


CHAT, COMPLETION = "chat", "completion"


@dataclass
class LLMRequest:
    """A chat request (system and user messages, an answer schema) or, for a model without a
    chat template, a completion request (``prompt`` is the whole text, ``stop`` ends it)."""

    system: str
    user: str
    schema: dict | None
    num_ctx: int
    max_tokens: int
    options: dict = field(default_factory=dict)  # temperature, top_p, top_k, seed...
    prompt: str | None = None
    stop: list[str] = field(default_factory=list)


@dataclass
class LLMResult:
    """The text and the call's metrics (seconds; token counts as the backend reports)."""

    text: str
    backend: str
    model: str
    started_at: dt.datetime
    ttft_s: float | None = None
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    load_s: float | None = None
    prompt_eval_s: float | None = None
    eval_s: float | None = None
    total_s: float | None = None
    attempts: int = 1
    options_sent: dict = field(default_factory=dict)

    @property
    def decode_tps(self) -> float | None:
        if self.output_tokens and self.eval_s:
            return self.output_tokens / self.eval_s
        return None

    @property
    def prefill_tps(self) -> float | None:
        if self.prompt_tokens and self.prompt_eval_s:
            return self.prompt_tokens / self.prompt_eval_s
        return None


_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")


def redact(text: str) -> str:
    """Drop ``user:password@`` from any URL in ``text`` (hosts end up in logs and reports)."""
    return _CREDENTIALS.sub("***@", text)
