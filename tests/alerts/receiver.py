"""A real HTTP receiver on 127.0.0.1 (a free port), standing in for a webhook or Slack.

It answers from a script of status codes (then 200) and keeps every request it got; it
runs in a thread, so the code under test talks to it over a real socket.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


class Receiver:
    """`with Receiver([503, 503]) as r:` — `r.url`, then `r.requests` after the test."""

    def __init__(self, statuses: Iterable[int] = (), path: str = "/hook/s3cr3t-token") -> None:
        self.statuses = list(statuses)
        self.path = path
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        """The full URL, secret path included."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self.path}"

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=0.02)  # so that shutdown() is quick

    def answer(self, request: Received) -> int:
        """Keep `request`; the next scripted status, or 200."""
        with self._lock:
            self.requests.append(request)
            return self.statuses.pop(0) if self.statuses else 200

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            received = Received(
                "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw)
            )
            status = receiver.answer(received)
            payload = b"ok" if status < 400 else b"unavailable"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test output is not the place for access logs."""

    return Handler
