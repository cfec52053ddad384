"""A reference webhook receiver: a real HTTP server on loopback that verifies each signature
against the raw body and records what arrived (event ids in arrival order)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from webhooks import signing


class Receiver:
    def __init__(self, secret: str = "", *, fail_with: int | None = None, delay_s: float = 0.0):
        self.secrets: list[str] = [secret] if secret else []
        self.fail_with = fail_with
        self.delay_s = delay_s
        self.received: list[dict] = []  # verified deliveries: {"id", "type", "sequence", "body", "path"}
        self.rejected = 0
        self.attempts = 0  # requests seen, failed or not
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.attempts += 1
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                header = self.headers.get(signing.HEADER, "")
                ok = any(signing.verify(s, header, body) for s in receiver.secrets)
                status = 401
                if ok:
                    status = receiver.fail_with or 204
                    if status < 300:
                        event = json.loads(body)
                        assert self.headers["Qiandian-Event-Id"] == event["id"]
                        with receiver._lock:
                            receiver.received.append({**event, "path": self.path})
                else:
                    with receiver._lock:
                        receiver.rejected += 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def ids(self) -> list[int]:
        with self._lock:
            return [int(e["id"]) for e in self.received]

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
