"""The LLM step without Dagster: choose a backend, fit the prompt, call, parse.

One call per report: the model narrates the day's top findings, in the prompt form it was
trained on (chat or completion, see ``prompts.py``). The prompt's tokens are counted before
sending (with the gemma3 tokenizer when the embedded extra is installed, else a conservative
3 characters per token) and ``num_ctx`` is sized to hold the prompt plus the answer budget.
When even the largest allowed context cannot hold every finding, the lowest-ranked ones are
left out, on purpose, and the report says so. What the model wrote is then checked by the
gate (``gate.py``) before anything of it is published.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from chimera_pipeline.lib.llm.embedded_backend import (
    EmbeddedBackend,
    count_tokens,
    default_model_path,
)
from chimera_pipeline.lib.llm.language import wrong_language
from chimera_pipeline.lib.llm.ollama_backend import OllamaBackend
from chimera_pipeline.lib.llm.prompts import (
    NARRATIVE_SCHEMA,
    PERSONA,
    STOP_SEQUENCES,
    chat_user_prompt,
    completion_primer,
    completion_prompt,
    finding_line,
)
from chimera_pipeline.lib.llm.settings import LLMSettings
from chimera_pipeline.lib.llm.types import (
    CHAT,
    LLMError,
    LLMRequest,
    LLMResult,
    RetryableLLMError,
)

CHAT_OVERHEAD_TOKENS = 32
MARGIN_TOKENS = 64
TOP_FINDINGS = 8  # the findings the model narrates: the day's most important
SECTIONS = ("executive_summary", "performance_analysis")


@dataclass
class PromptPlan:
    system: str
    user: str
    num_ctx: int
    prompt_tokens: int
    included: list[str]  # the findings narrated (their text)
    trimmed: list[str] = field(default_factory=list)  # left out to fit num_ctx
    prompt_format: str = CHAT
    prompt: str | None = None  # the whole text, for the completion form
    stop: list[str] = field(default_factory=list)
    primer: str = ""  # the answer's first words, written into the completion prompt

    @property
    def sent(self) -> str:
        """Everything the model was given, to tell an echo from an answer."""
        return self.prompt if self.prompt is not None else f"{self.system}\n{self.user}"


def choose_backend(settings: LLMSettings, models_dir: Path):
    """``auto``: Ollama when it answers and has the model, else the embedded model."""
    if settings.backend in ("auto", "ollama"):
        ollama = OllamaBackend(settings.host, settings.model, settings.timeout_s,
                               settings.keep_alive, settings.num_gpu)
        if settings.backend == "ollama" or ollama.available():
            return ollama
    path = settings.embedded_model_path or default_model_path(models_dir)
    return EmbeddedBackend(path, seed=int(settings.options["seed"]))


def token_counter(settings: LLMSettings, models_dir: Path):
    """Exact counts with the gemma3 tokenizer when available, else 1 token per 3 chars;
    and which of them, as words (the counts size the context and trim the findings, so a
    narrative is written from them: ``llm.inputs``)."""
    try:
        path = Path(settings.embedded_model_path or default_model_path(models_dir))
        count_tokens(str(path), "probe")
        kind = f"tokenizer of {path.name} ({path.stat().st_size} bytes)"
    except (LLMError, ImportError, ValueError, OSError):
        return (lambda text: math.ceil(len(text) / 3)), "3 characters a token"
    return (lambda text: count_tokens(str(path), text)), kind


def plan_prompt(day: str, findings: list[str], settings: LLMSettings, count,
                prompt_format: str = CHAT) -> PromptPlan:
    """Fit as many of the top findings (in rank order) as the context allows; size num_ctx
    to hold the prompt and the answer budget."""
    top = findings[:TOP_FINDINGS]
    lines = [finding_line(t) for t in top]
    budget = settings.max_output_tokens + MARGIN_TOKENS + CHAT_OVERHEAD_TOKENS
    limit = settings.num_ctx or settings.max_ctx

    def text(n: int) -> tuple[str, str, str | None]:
        if prompt_format == CHAT:
            return PERSONA, chat_user_prompt(day, lines[:n]), None
        prompt = completion_prompt(day, lines[:n])
        return "", prompt, prompt

    def tokens(n: int) -> int:
        system, user, _ = text(n)
        return count(system) + count(user)

    keep = len(lines)
    if tokens(keep) + budget > limit:
        low, high = 0, keep  # largest n that fits
        while low < high:
            mid = (low + high + 1) // 2
            low, high = (mid, high) if tokens(mid) + budget <= limit else (low, mid - 1)
        keep = low
        if tokens(keep) + budget > limit:
            raise LLMError(f"even an empty prompt does not fit num_ctx={limit} with "
                           f"{settings.max_output_tokens} answer tokens; raise CHIMERA_LLM_MAX_CTX")
    prompt_tokens = tokens(keep)
    num_ctx = settings.num_ctx or min(limit, max(2048, math.ceil((prompt_tokens + budget)
                                                                  / 512) * 512))
    system, user, prompt = text(keep)
    return PromptPlan(system, user, num_ctx, prompt_tokens, top[:keep], top[keep:],
                      prompt_format, prompt, STOP_SEQUENCES if prompt else [],
                      completion_primer(day) if prompt else "")


def parse_analysis(text: str) -> tuple[dict, str, bool]:
    """Lenient: JSON, else the first {...} block, else a truncated JSON answer closed, else
    the text as the summary. Returns (sections, note, matched_schema); the note says which."""
    block = re.search(r"\{.*\}", text, re.S)
    start = text.find("{")
    candidates = [(text, "json"), (block.group(0) if block else None, "json inside text"),
                  (repair_truncated_json(text[start:]) if start >= 0 else None,
                   "truncated JSON, closed")]
    for candidate, how in candidates:
        if candidate is None:
            continue
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict):
            sections, ok = _coerce(data)
            return sections, how if ok else f"{how}, not matching the schema; coerced", ok
    return ({"executive_summary": text.strip(), "performance_analysis": ""},
            "not JSON; the text is kept as the summary", False)


def repair_truncated_json(text: str) -> str:
    """Close the strings, arrays and objects a truncated JSON answer left open."""
    stack, in_string, escaped = [], False, False
    for char in text:
        if in_string:
            escaped = not escaped and char == "\\"
            if char == '"' and not escaped:
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            stack.append("]" if char == "[" else "}")
        elif char in "]}" and stack:
            stack.pop()
    tail = ('"' if in_string else "") + "".join(reversed(stack))
    return re.sub(r",\s*$", "", text + ('"' if in_string else "")) + tail[1 if in_string else 0:]


def _coerce(data: dict) -> tuple[dict, bool]:
    ok = all(k in data for k in NARRATIVE_SCHEMA["required"])
    out = {}
    for key in SECTIONS:
        value = data.get(key)
        ok &= value is None or isinstance(value, str)
        if isinstance(value, list):  # small models answer a list where a paragraph is asked
            value = " ".join(str(v) for v in value)
        out[key] = value if isinstance(value, str) else ("" if value is None else str(value))
    ok &= bool(out["executive_summary"].strip())
    return out, ok


def _sections(result: LLMResult, plan: PromptPlan) -> tuple[dict, str, bool]:
    if plan.prompt is None:
        return parse_analysis(result.text)
    text = result.text.strip()
    return ({"executive_summary": f"{plan.primer} {text}".strip() if text else "",
             "performance_analysis": ""}, "completion", bool(text))


def call(backend, plan: PromptPlan, settings: LLMSettings, log=print
         ) -> tuple[LLMResult, dict, str]:
    """Call with retries and exponential backoff. A failed call, an answer that misses the
    schema and one in the wrong language are tried again; once the tries for the latter two
    are spent, the answer is returned as it is and the gate judges it. Raises LLMError,
    naming the backend and the fix, when every call failed."""
    request = LLMRequest(plan.system, plan.user,
                         NARRATIVE_SCHEMA if plan.prompt is None else None, plan.num_ctx,
                         settings.max_output_tokens, dict(settings.options),
                         prompt=plan.prompt, stop=plan.stop)
    last: Exception | None = None
    schema_tries = 0
    for attempt in range(1, settings.retries + 2):
        try:
            result = backend.generate(request)
        except RetryableLLMError as exc:
            last = exc
            log(f"LLM attempt {attempt} failed: {exc}")
        else:
            result.attempts = attempt
            sections, note, ok = _sections(result, plan)
            language = wrong_language(sections, settings.language)
            if language:
                note = f"answered in {language!r}, not {settings.language!r}"
                ok = False
            schema_tries += 0 if ok else 1
            if ok or attempt > settings.retries or schema_tries > settings.schema_retries:
                if (result.output_tokens or 0) >= settings.max_output_tokens:
                    note += (f"; the answer reached the {settings.max_output_tokens}-token "
                             "budget (CHIMERA_LLM_MAX_TOKENS) and may be cut short")
                return result, sections, note
            log(f"LLM attempt {attempt}: {note}; retrying")
        if attempt <= settings.retries:
            time.sleep(settings.backoff_s * 2 ** (attempt - 1))
    raise LLMError(f"{last} (gave up after {settings.retries + 1} attempts)")
