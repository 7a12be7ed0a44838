"""The simulated fleet's own HTTP server: boot files for the servers, and the emulator's
change notifications (sushy-tools `external_notifier` PUTs the system's JSON on every change)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PLACEHOLDER_KERNEL = b"not a kernel: the simulated servers never boot it\n"


class FleetServer:
    """Serves `/inspector/vmlinuz`, `/inspector/initrd.img`, `/images/target.tar.gz` and takes
    notifications on `/notify` on a free 127.0.0.1 port (start it before the emulator)."""

    def __init__(self, target: bytes) -> None:
        self.files = {
            "/inspector/vmlinuz": PLACEHOLDER_KERNEL,
            "/inspector/initrd.img": PLACEHOLDER_KERNEL,
            "/images/target.tar.gz": target,
        }
        self.on_notification: Callable[[dict[str, Any]], None] = lambda system: None
        self.requests: list[str] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def notify_url(self) -> str:
        return f"{self.url}/notify"

    def start(self) -> FleetServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()


def _handler(server: FleetServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.requests.append(self.path)
            body = server.files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                system = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                system = None
            self.send_response(204)
            self.end_headers()
            if isinstance(system, dict) and isinstance(system.get("uuid"), str):
                server.on_notification(system)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: tests read `requests` instead

    return Handler
