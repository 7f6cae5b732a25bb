"""A partner's webhook receiver on a loopback port: keeps what it gets; how it answers depends on the path."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """`/ok…` answers 204; `/flaky…` 500 to a message's first two attempts, then 204; `/down…` 503; `/gone…` 410;
    `/slow…` 204 after half a second."""

    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:
                    return  # the sender died mid-request: a web server hands no partner a truncated body
                got = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver.lock:
                    receiver.received.append(got)
                    tries = sum(
                        1 for r in receiver.received if r.headers.get("webhook-id") == got.headers.get("webhook-id")
                    )
                self.send_response(receiver.status_for(self.path, tries))
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @staticmethod
    def status_for(path: str, tries: int) -> int:
        if path.startswith("/flaky"):
            return 500 if tries <= 2 else 204
        if path.startswith("/down"):
            return 503
        if path.startswith("/gone"):
            return 410
        if path.startswith("/slow"):
            time.sleep(0.5)
        return 204

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [got for got in self.received if got.path == path]

    def verified(self, path: str, secret: str) -> list[dict[str, Any]]:
        """Every message at this path, each verified with the Standard Webhooks library, once per webhook-id."""
        seen: dict[str, dict[str, Any]] = {}
        for got in self.at(path):
            seen[got.headers["webhook-id"]] = Webhook(secret).verify(got.body, got.headers)
        return list(seen.values())
