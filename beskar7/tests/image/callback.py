"""A loopback HTTP server playing beskar7's callback API for one host, for the real boot test.

It accepts the report (202), answers the hand-off with a seed URL (200), serves the seed's
user-data and meta-data once each (then 404, as beskar7 does) and the target archive, accepts
`provisioned` (202) with the report token from the meta-data, and records every request with the
time it arrived. Every inspector call must carry the bearer token. `go_ahead=403` refuses the
hand-off, to see the image fail properly.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

USER_DATA = b"#cloud-config\nhostname: vm-0\nbeskar7-e2e: image-boot\n"
SEED_SECRET = "seed-secret-0123456789"
REPORT_TOKEN = "report-token-0123456789"
GUEST_API = "http://10.0.2.2:%d"


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
        self.seed = f"/api/v1/seed/{namespace}/{host}/{SEED_SECRET}/"
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

    def _seed(self, document: str) -> tuple[int, bytes]:
        """Each seed document once, like beskar7's seed."""
        path = self.seed + document
        if any(s.path == path and s.status == 200 for s in self.seen):
            return 404, b"not found"
        if document == "user-data":
            return 200, USER_DATA
        base = GUEST_API % self.port
        meta = {
            "provider-id": "b7://default/vm-0",
            "beskar7-report-url": base + self.api % "provisioned",
            "beskar7-report-token": REPORT_TOKEN,
        }
        return 200, "".join(f"{k}: {json.dumps(v)}\n" for k, v in meta.items()).encode()

    def _answer(self, method: str, path: str, bearer: str | None) -> tuple[int, bytes]:
        seed_url = (GUEST_API % self.port) + self.seed
        inspector: dict[tuple[str, str], tuple[int, bytes]] = {
            ("POST", self.api % "inspection"): (202, b"{}"),
            ("POST", self.api % "handoff"): (
                self.go_ahead,
                json.dumps({"seedURL": seed_url}).encode(),
            ),
            ("POST", self.api % "provision-failed"): (202, b"{}"),
        }
        if (method, path) in inspector:
            return inspector[(method, path)] if bearer == self.token else (401, b"unauthorized")
        if (method, path) == ("POST", self.api % "provisioned"):
            return (202, b"{}") if bearer == REPORT_TOKEN else (401, b"unauthorized")
        if method == "GET" and path in (self.seed + "user-data", self.seed + "meta-data"):
            return self._seed(path.removeprefix(self.seed))
        if (method, path) == ("GET", "/target.tar.gz"):
            return 200, self.target.read_bytes()
        return 404, b"not found"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                header = self.headers.get("Authorization") or ""
                bearer = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
                with owner.lock:
                    status, data = owner._answer(self.command, self.path, bearer)
                    authorized = bearer in (owner.token, REPORT_TOKEN)
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
