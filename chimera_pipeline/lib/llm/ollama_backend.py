"""The production backend: an Ollama server through the official ``ollama`` client.

The answer is streamed so that TTFT is measured on the client (request start to the first
non-empty chunk); Ollama's final chunk carries its own load / prompt-eval / eval timings
in nanoseconds. Failures are sorted into "try again" (connection refused, 5xx, timeout, a
stream that ends without its final chunk, an empty answer) and "stop" (a model that is not
pulled), each with a message that names the host, the model and what to do.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from urllib.parse import unquote, urlsplit

import httpx
import ollama

from chimera_pipeline.lib.llm.types import (
    CHAT,
    COMPLETION,
    LLMError,
    LLMRequest,
    LLMResult,
    RetryableLLMError,
    redact,
)

_NS = 1e-9


def _basic_auth(host: str) -> dict[str, str]:
    """``http://user:pass@host`` -> an Authorization header (an auth proxy in front of
    Ollama). The ``ollama`` client would silently drop the credentials from the URL."""
    parts = urlsplit(host if "://" in host else f"http://{host}")
    if parts.username is None:
        return {}
    token = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(token).decode()}


class OllamaBackend:
    """Calls ``/api/chat`` on one host with one model."""

    name = "ollama"

    def __init__(self, host: str, model: str, timeout_s: float, keep_alive: str | None,
                 num_gpu: int | None = None) -> None:
        self.host, self.model, self.timeout_s = host, model, timeout_s
        self.keep_alive, self.num_gpu = keep_alive, num_gpu
        self._client = ollama.Client(host=redact(host).replace("***@", ""), timeout=timeout_s,
                                     headers=_basic_auth(host))
        self._shown = None

    @property
    def where(self) -> str:
        return f"model {self.model} on Ollama at {redact(self.host)}"

    def available(self) -> bool:
        """True when the server answers and lists the model (``auto`` backend choice)."""
        try:
            listed = ollama.Client(host=self.host, timeout=3).list()
        except (ConnectionError, httpx.HTTPError, ollama.ResponseError, OSError):
            return False
        names = {m.model for m in listed.models}
        return self.model in names or f"{self.model}:latest" in names

    def _show(self):
        if self._shown is None:
            try:
                self._shown = self._client.show(self.model)
            except (ConnectionError, httpx.HTTPError, ollama.ResponseError, OSError):
                return None  # the call itself will fail with a clear message
        return self._shown

    def prompt_format(self) -> str:
        """``chat`` when Ollama holds a chat template for the model (``/api/show``), else
        ``completion``, sent raw to ``/api/generate``."""
        shown = self._show()
        return COMPLETION if shown is not None and not (shown.template or "").strip() else CHAT


    def _options(self, request: LLMRequest) -> dict:
        options = {k: v for k, v in request.options.items() if v is not None}
        options.update(num_ctx=request.num_ctx, num_predict=request.max_tokens)
        if self.num_gpu is not None:
            options["num_gpu"] = self.num_gpu
        return options

    def generate(self, request: LLMRequest) -> LLMResult:
        options = self._options(request)
        if request.stop:
            options["stop"] = request.stop
        started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        began = time.perf_counter()
        ttft, parts, final = None, [], None
        try:
            if request.prompt is not None:
                stream = self._client.generate(
                    model=self.model, prompt=request.prompt, raw=True, stream=True,
                    options=options, keep_alive=self.keep_alive)
            else:
                stream = self._client.chat(
                    model=self.model, stream=True, options=options, keep_alive=self.keep_alive,
                    format=request.schema,
                    messages=[{"role": "system", "content": request.system},
                              {"role": "user", "content": request.user}])
            for chunk in stream:
                content = _content(chunk)
                if content:
                    ttft = ttft if ttft is not None else time.perf_counter() - began
                    parts.append(content)
                if chunk.done:
                    final = chunk
        except ollama.ResponseError as exc:
            if exc.status_code == 404:
                raise LLMError(f"{self.where} is not available ({exc.error}); run "
                               f"`ollama pull {self.model}` there, or set CHIMERA_LLM_MODEL to a "
                               "pulled model, or CHIMERA_LLM_BACKEND=embedded") from None
            if exc.status_code >= 500 or exc.status_code == 429:
                raise RetryableLLMError(f"{self.where} answered HTTP {exc.status_code}: "
                                        f"{exc.error}; check the server's log (the model "
                                        "runner may have crashed or run out of memory)") from None
            raise LLMError(f"{self.where} refused the request (HTTP {exc.status_code}: "
                           f"{exc.error}); check the options sent") from None
        except (ConnectionError, httpx.ConnectError) as exc:
            raise RetryableLLMError(f"cannot connect to {self.where}: start `ollama serve` or "
                                    f"set OLLAMA_HOST ({redact(str(exc))[:120]})") from None
        except httpx.TimeoutException:
            raise RetryableLLMError(f"{self.where} did not answer within {self.timeout_s:g} s; "
                                    "raise CHIMERA_LLM_TIMEOUT or check the server") from None
        except (httpx.HTTPError, ValueError) as exc:
            raise RetryableLLMError(f"the stream from {self.where} broke: "
                                    f"{type(exc).__name__}: {redact(str(exc))[:120]}; check the "
                                    "server and the network between it and this worker") from None
        if final is None:
            raise RetryableLLMError(f"the stream from {self.where} ended before its final chunk; "
                                    "check the server and the network")
        text = "".join(parts)
        if not text.strip():
            raise RetryableLLMError(f"{self.where} returned an empty answer; check that the "
                                    "model loads (`ollama run`), or try another model")
        return LLMResult(
            text=text, backend=self.name, model=self.model, started_at=started, ttft_s=ttft,
            prompt_tokens=final.prompt_eval_count, output_tokens=final.eval_count,
            load_s=_seconds(final.load_duration),
            prompt_eval_s=_seconds(final.prompt_eval_duration),
            eval_s=_seconds(final.eval_duration), total_s=_seconds(final.total_duration),
            options_sent={**options, "keep_alive": self.keep_alive},
        )


def _content(chunk) -> str:
    """The text of a streamed chat or generate chunk."""
    if getattr(chunk, "message", None) is not None:
        return chunk.message.content or ""
    return getattr(chunk, "response", "") or ""


def _seconds(nanoseconds: int | None) -> float | None:
    return nanoseconds * _NS if nanoseconds is not None else None
