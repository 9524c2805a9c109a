"""The LLM step without Dagster: choose a backend, fit the prompt, call, parse, check.

One call per report. The prompt's tokens are counted before sending (with the gemma3
tokenizer when the embedded extra is installed, else a conservative 3 characters per
token) and ``num_ctx`` is sized to hold the prompt plus the answer budget. When even the
largest allowed context cannot hold every fact, the lowest-priority facts are left out,
on purpose, and the report says which: nothing is ever truncated silently.
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
from chimera_pipeline.lib.llm.prompts import ANALYSIS_SCHEMA, PERSONA, fact_line, user_prompt
from chimera_pipeline.lib.llm.settings import LLMSettings
from chimera_pipeline.lib.llm.types import LLMError, LLMRequest, LLMResult, RetryableLLMError

CHAT_OVERHEAD_TOKENS = 32
MARGIN_TOKENS = 64
MAX_ITEMS = 8
SECTIONS = ("executive_summary", "performance_analysis", "key_findings", "recommendations")


@dataclass
class PromptPlan:
    system: str
    user: str
    num_ctx: int
    prompt_tokens: int
    included: list[str]
    trimmed: list[str] = field(default_factory=list)


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
    """Exact counts with the gemma3 tokenizer when available, else 1 token per 3 chars."""
    try:
        path = str(settings.embedded_model_path or default_model_path(models_dir))
        count_tokens(path, "probe")
    except (LLMError, ImportError, ValueError, OSError):
        return lambda text: math.ceil(len(text) / 3)
    return lambda text: count_tokens(path, text)


def plan_prompt(day: str, facts: list[dict], settings: LLMSettings, count) -> PromptPlan:
    """Fit as many facts (in priority order) as the context allows; size num_ctx to fit."""
    lines = [fact_line(f["fact_id"], f["label"], f["display"]) for f in facts]
    budget = settings.max_output_tokens + MARGIN_TOKENS + CHAT_OVERHEAD_TOKENS
    limit = settings.num_ctx or settings.max_ctx
    system_tokens = count(PERSONA)

    def tokens(n: int) -> int:
        return system_tokens + count(user_prompt(day, lines[:n]))

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
    needed = prompt_tokens + budget
    num_ctx = settings.num_ctx or min(limit, max(2048, math.ceil(needed / 512) * 512))
    return PromptPlan(PERSONA, user_prompt(day, lines[:keep]), num_ctx, prompt_tokens,
                      [f["fact_id"] for f in facts[:keep]], [f["fact_id"] for f in facts[keep:]])


def parse_analysis(text: str) -> tuple[dict, str, bool]:
    """Lenient: JSON, else the first {...} block, else the text as the summary.
    Returns (sections, note, matched_schema)."""
    candidates = [text]
    block = re.search(r"\{.*\}", text, re.S)
    if block:
        candidates.append(block.group(0))
    start = text.find("{")
    if start >= 0:  # an answer cut at the token budget: close what is open
        candidates.append(repair_truncated_json(text[start:]))
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict):
            sections, ok = _coerce(data)
            return sections, "json" if ok else "json, not matching the schema; coerced", ok
    return ({"executive_summary": text.strip(), "performance_analysis": "", "key_findings": [],
             "recommendations": []}, "not JSON; the text is kept as the summary", False)


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
    ok = all(k in data for k in ANALYSIS_SCHEMA["required"])
    out = {}
    for key in SECTIONS:
        value = data.get(key)
        if key in ("key_findings", "recommendations"):
            ok &= isinstance(value, list) and all(isinstance(v, str) for v in value)
            items = value if isinstance(value, list) else ([value] if value else [])
            unique = dict.fromkeys(str(v) if not isinstance(v, dict) else json.dumps(v)
                                   for v in items)  # small models repeat themselves
            out[key] = list(unique)[:MAX_ITEMS]
        else:
            ok &= value is None or isinstance(value, str)
            out[key] = value if isinstance(value, str) else ("" if value is None else str(value))
    ok &= bool(out["executive_summary"].strip())
    return out, ok


def call(backend, plan: PromptPlan, settings: LLMSettings, log=print
         ) -> tuple[LLMResult, dict, str]:
    """Call with retries and exponential backoff. A schema mismatch is retried too, then
    kept leniently; an answer in the wrong language is retried, then fails (an English
    report cannot use it). Raises LLMError, naming the backend and the fix, once the tries
    are spent."""
    request = LLMRequest(plan.system, plan.user, ANALYSIS_SCHEMA, plan.num_ctx,
                         settings.max_output_tokens, dict(settings.options))
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
            sections, note, ok = parse_analysis(result.text)
            language = wrong_language(sections, settings.language)
            if language:
                last = LLMError(
                    f"{backend.where} answered in {language!r}, not {settings.language!r} "
                    "as the prompt asks; use a model that follows English instructions "
                    "(CHIMERA_LLM_MODEL) or set CHIMERA_LLM_LANGUAGE")
                log(f"LLM attempt {attempt}: {last}")
            else:
                schema_tries += 0 if ok else 1
                if ok or attempt > settings.retries or schema_tries > settings.schema_retries:
                    if (result.output_tokens or 0) >= settings.max_output_tokens:
                        note += (f"; the answer reached the {settings.max_output_tokens}-token "
                                 "budget (CHIMERA_LLM_MAX_TOKENS) and may be cut short")
                    return result, sections, note
                log(f"LLM attempt {attempt}: answer did not match the schema ({note}); "
                    "retrying")
        if attempt <= settings.retries:
            time.sleep(settings.backoff_s * 2 ** (attempt - 1))
    raise LLMError(f"{last} (gave up after {settings.retries + 1} attempts)")
