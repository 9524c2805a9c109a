"""A local HTTP server that records the JSON POSTed to it: the alert webhook's other end."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    """``with WebhookReceiver() as hook:``; ``hook.url`` takes POSTs, ``hook.received`` holds
    each one's JSON body with its ``path`` and ``Authorization`` header (``auth``), and
    ``hook.gets`` each GET's path. ``hook.answers`` queues the answers to give instead of 204:
    ``(status, headers)`` (a redirect, a 500), or ``"drop"`` to close without answering."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.gets: list[dict] = []
        self.answers: list = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the handler API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.received.append({"path": self.path,
                                          "auth": self.headers.get("Authorization"), **body})
                answer = receiver.answers.pop(0) if receiver.answers else (204, {})
                if answer == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                status, headers = answer
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:  # noqa: N802 - a followed redirect would arrive here
                receiver.gets.append({"path": self.path,
                                      "auth": self.headers.get("Authorization")})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> WebhookReceiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
