"""A local HTTP server that speaks Ollama's protocol, for testing the Ollama backend.

It serves ``/api/tags``, ``/api/version``, ``/api/show`` (with gemma3's chat template, or none
for a base model: ``template=""``), streaming ``/api/chat`` and ``/api/generate`` as NDJSON,
with the response shapes of a real Ollama server and the timings of the reference
run record (``shared/reference/original_agent_run/metrics.json``: load 258.0459 ms, prompt
eval 79.5971 ms, eval 9204.4071 ms for 1005 tokens, total 10527.3571 ms). Each chat request
takes the next behaviour from ``script``: ``ok``, ``500``, ``404``, ``hang``, ``cut``,
``badjson``, ``empty``, ``german`` (a well-formed answer in the wrong language); once the
script is spent it answers ``ok``. ``arrivals`` holds each chat request's arrival time, so
tests can see the client's backoff between retries. ``respond`` (a function of the request
body) answers like a model that reads its prompt: the adversarial tests answer each day with
wrong claims built from that day's findings.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# timings of the reference run's first call, in nanoseconds as Ollama reports them
REFERENCE = {"load_duration": 258_045_900, "prompt_eval_duration": 79_597_100,
             "eval_count": 1005, "eval_duration": 9_204_407_100,
             "total_duration": 10_527_357_100}

GOOD_ANSWER = {
    "executive_summary": "gemma3:latest was the only model measured on this day, and its "
                         "requests all completed; throughput held steady across the suite.",
    "performance_analysis": "Throughput was stable.",
}

GERMAN_ANSWER = {
    "executive_summary": "Das Modell gemma3:latest war an diesem Tag das einzige gemessene "
                         "Modell. Die Leistung war über alle Durchläufe hinweg stabil und gut.",
    "performance_analysis": "Der Durchsatz blieb stabil, die Latenz schwankte kaum.",
}

# gemma3's chat template as Ollama's /api/show returns it (abridged to its structure)
GEMMA3_TEMPLATE = (
    "{{- range $i, $_ := .Messages }}{{- $last := eq (len (slice $.Messages $i)) 1 }}"
    "{{- if or (eq .Role \"user\") (eq .Role \"system\") }}<start_of_turn>user\n"
    "{{ .Content }}<end_of_turn>\n{{ if $last }}<start_of_turn>model\n{{ end }}"
    "{{- else if eq .Role \"assistant\" }}<start_of_turn>model\n{{ .Content }}"
    "{{ if not $last }}<end_of_turn>\n{{ end }}{{- end }}{{- end }}")


class FakeOllama:
    """Start with ``with FakeOllama() as server:``; ``server.url`` is the OLLAMA_HOST."""

    def __init__(self, models: tuple[str, ...] = ("gemma3:latest",), answer: object = None,
                 hang_s: float = 5.0, template: str = GEMMA3_TEMPLATE,
                 respond: Callable[[dict], str] | None = None) -> None:
        self.models, self.hang_s, self.template = models, hang_s, template
        self.respond = respond
        answer = answer if answer is not None else GOOD_ANSWER
        self.answer = answer if isinstance(answer, str) else json.dumps(answer)
        self.answers: list[str] = []  # per request, in order, before ``answer``
        self.script: list[str] = []
        self.requests: list[dict] = []
        self.arrivals: list[float] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeOllama:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_behaviour(self) -> str:
        return self.script.pop(0) if self.script else "ok"

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # the client may have given up (timed out, or its process was killed)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/api/tags":
                    self._json(200, {"models": [{
                        "name": m, "model": m, "modified_at": "2025-11-15T21:00:00.0000000Z",
                        "size": 3338801804, "digest": "a2af6cc3eb7fa8be8504abaf9b04e88f17a119ec3f04a3addf55f92841195f5a",
                        "details": {"parent_model": "", "format": "gguf", "family": "gemma3",
                                    "families": ["gemma3"], "parameter_size": "4.3B",
                                    "quantization_level": "Q4_K_M"}} for m in fake.models]})
                elif self.path == "/api/version":
                    self._json(200, {"version": "0.12.6"})
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                model = body.get("model")
                if self.path == "/api/show":  # a look-up, not a request to the model
                    if model not in fake.models:
                        return self._json(404, {"error": f'model "{model}" not found'})
                    return self._json(200, {
                        "modelfile": f"FROM {model}", "parameters": "stop \"<end_of_turn>\"",
                        "template": fake.template, "capabilities": ["completion"],
                        "details": {"parent_model": "", "format": "gguf", "family": "gemma3",
                                    "families": ["gemma3"], "parameter_size": "4.3B",
                                    "quantization_level": "Q4_K_M"},
                        "model_info": {"general.architecture": "gemma3"}})
                fake.requests.append({"path": self.path, **body,
                                      "authorization": self.headers.get("Authorization")})
                fake.arrivals.append(time.monotonic())
                if self.path not in ("/api/chat", "/api/generate"):
                    return self._json(404, {"error": "not found"})
                if model not in fake.models:
                    return self._json(404, {"error": f'model "{model}" not found, try pulling it first'})
                behaviour = fake.next_behaviour()
                if behaviour == "500":
                    return self._json(500, {"error": "llama runner process has terminated: exit status 2"})
                if behaviour == "404":
                    return self._json(404, {"error": f'model "{model}" not found, try pulling it first'})
                if behaviour == "hang":
                    time.sleep(fake.hang_s)
                    return self._json(200, {})
                answer = (fake.answers.pop(0) if fake.answers
                          else fake.respond(body) if fake.respond else fake.answer)
                text = {"badjson": '{"summary": 42, "findings": "none"}', "empty": "",
                        "german": json.dumps(GERMAN_ANSWER)}.get(behaviour, answer)
                self._stream(model, self.path == "/api/chat", text, cut=behaviour == "cut",
                             prompt=body)

            def _stream(self, model: str, chat: bool, text: str, cut: bool, prompt: dict) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                pieces = [text[i:i + 7] for i in range(0, len(text), 7)]
                for i, piece in enumerate(pieces):
                    if cut and i == 3:
                        self.wfile.write(b"40\r\n{\"model\": \"gemma")  # half a chunk, then gone
                        self.wfile.flush()
                        self.connection.shutdown(2)
                        return
                    self._chunk(_partial(model, piece, chat))
                prompt_text = json.dumps(prompt.get("messages") or prompt.get("prompt") or "")
                budget = (prompt.get("options") or {}).get("num_predict") or REFERENCE["eval_count"]
                evals = min(REFERENCE["eval_count"], budget)  # Ollama stops at num_predict
                final = {**_partial(model, "", chat), **REFERENCE, "eval_count": evals,
                         "done_reason": "length" if evals == budget else "stop", "done": True,
                         "prompt_eval_count": max(1, len(prompt_text) // 4)}
                self._chunk(final)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def _chunk(self, obj: dict) -> None:
                data = json.dumps(obj).encode() + b"\n"
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        return Handler


def _partial(model: str, piece: str, chat: bool) -> dict:
    base = {"model": model, "created_at": "2025-11-15T21:19:45.0000000Z"}
    if chat:
        return {**base, "message": {"role": "assistant", "content": piece}, "done": False}
    return {**base, "response": piece, "done": False}
