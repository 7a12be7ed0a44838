"""A loopback HTTP server playing beskar7's callback API for one host, for the real boot test.

It accepts the report (202), answers the go-ahead with some bootstrap bytes (200), serves the
target archive and a configuration, accepts `provisioned` (202) and records every request with
the time it arrived. Every API call must carry the bearer token. `go_ahead=403` refuses the
go-ahead, to see the image fail properly.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BOOTSTRAP_DATA = b"#cloud-config\nhostname: vm-0\n"
CONFIG = b"#cloud-config\ninstall:\n  device: /dev/vda\n"


@dataclasses.dataclass
class Seen:
    method: str
    path: str
    at: float
    status: int
    authorized: bool
    body: bytes = b""


class CallbackServer:
    def __init__(
        self,
        target: Path,
        token: str,
        namespace: str = "default",
        host: str = "vm-0",
        *,
        go_ahead: int = 200,
    ):
        self.target = target
        self.go_ahead = go_ahead
        self.token = token
        self.api = f"/api/v1/%s/{namespace}/{host}"
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CallbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def requests(self, method: str, path: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.method == method and s.path == path]

    def report(self) -> dict[str, Any]:
        found = self.requests("POST", self.api % "inspection")
        assert found, "no inspection report arrived"
        report: dict[str, Any] = json.loads(found[-1].body)
        return report

    def _answer(self, method: str, path: str, authorized: bool) -> tuple[int, bytes]:
        routes: dict[tuple[str, str], tuple[int, bytes]] = {
            ("POST", self.api % "inspection"): (202, b"{}"),
            ("GET", self.api % "bootstrap"): (self.go_ahead, BOOTSTRAP_DATA),
            ("POST", self.api % "provisioned"): (202, b"{}"),
            ("POST", self.api % "provision-failed"): (202, b"{}"),
        }
        if (method, path) in routes:
            return routes[(method, path)] if authorized else (401, b"unauthorized")
        if (method, path) == ("GET", "/target.tar.gz"):
            return 200, self.target.read_bytes()
        if (method, path) == ("GET", "/config"):
            return 200, CONFIG
        return 404, b"not found"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                authorized = self.headers.get("Authorization") == f"Bearer {owner.token}"
                status, data = owner._answer(self.command, self.path, authorized)
                with owner.lock:
                    owner.seen.append(
                        Seen(self.command, self.path, time.monotonic(), status, authorized, body)
                    )
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
