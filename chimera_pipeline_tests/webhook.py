"""A local HTTP server that records the JSON POSTed to it: the alert webhook's other end."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    """``with WebhookReceiver() as hook:``; ``hook.url`` takes POSTs, ``hook.received`` holds
    each one's JSON body with its ``path`` and ``Authorization`` header (``auth``)."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the handler API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.received.append({"path": self.path,
                                          "auth": self.headers.get("Authorization"), **body})
                self.send_response(204)
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
