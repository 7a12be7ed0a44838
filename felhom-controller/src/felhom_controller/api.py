"""The controller's HTTP API, for the hub: read and apply controller.yaml, trigger an update.

| method | path | answer |
|---|---|---|
| GET | /healthz | 200 ``{status, version}`` (no auth) |
| GET | /api/config | 200, the live controller.yaml (``application/yaml``) |
| POST | /api/config/apply | 200 ``{status: "applied", digest}``; 400 not YAML; 422 invalid |
| POST | /api/update | 202 ``{status: "started"}``; 409 no update command or one running |

Every ``/api/`` call needs ``Authorization: Bearer <hub.api_key>`` (compared in constant
time; 401 otherwise, and always 401 while no key is configured). An applied file is validated
like a file read at start-up, written atomically (the previous one kept as
``controller.yaml.previous``) and used from the next cycle on, without a restart. It is a
small stdlib server (one thread per request) to keep the agent's memory small.
"""

import hashlib
import hmac
import json
import logging
import os
import ssl
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from felhom_controller import __version__
from felhom_controller.config import ConfigError, load_text, parse_yaml
from felhom_controller.cycle import Controller
from felhom_controller.events import Event
from felhom_controller.files import write_atomic
from felhom_controller.update import Updater
from felhom_controller.vocabulary import EventType, Severity

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


class ConfigApplier:
    """Validates, writes and applies a new controller.yaml; reports the outcome as events."""

    def __init__(self, controller: Controller) -> None:
        self.controller = controller

    def apply(self, body: bytes) -> tuple[int, dict[str, Any]]:
        path = self.controller.config_file
        if path is None:
            return 409, {"detail": "the controller was started without a config file"}
        try:
            text = body.decode()
        except UnicodeDecodeError:
            return self._failed(400, "the body is not UTF-8 text")
        try:
            parse_yaml(text, "the applied config")
        except ConfigError as exc:
            return self._failed(400, str(exc))
        try:
            settings = load_text(text, "the applied config")
        except ConfigError as exc:
            return self._failed(422, str(exc))
        digest = hashlib.sha256(body).hexdigest()
        with self.controller.lock:
            if path.exists():
                write_atomic(path.with_name(path.name + ".previous"), path.read_bytes())
            write_atomic(path, body)
            self.controller.reconfigure(settings)
        self._event(EventType.CONFIG_APPLIED, Severity.INFO, f"config {digest[:12]} applied")
        log.info("applied a new controller.yaml (sha256 %s)", digest)
        return 200, {"status": "applied", "digest": digest}

    def _failed(self, status: int, detail: str) -> tuple[int, dict[str, Any]]:
        log.warning("config apply refused: %s", detail)
        self._event(EventType.CONFIG_APPLY_FAILED, Severity.ERROR, detail)
        return status, {"detail": detail}

    def _event(self, kind: EventType, severity: Severity, message: str) -> None:
        self.controller.emit(Event(kind, severity, message), datetime.now(UTC))


def _authorized(header: str | None, key: str) -> bool:
    if not key or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").encode(), key.encode())


class Handler(BaseHTTPRequestHandler):
    """The routes; :func:`make_handler` binds a controller, an applier and an updater."""

    server_version = f"felhom-controller/{__version__}"
    controller: Controller
    applier: ConfigApplier
    updater: Updater

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 401:
            self.send_header("WWW-Authenticate", "Bearer")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any]) -> None:
        self._send(status, json.dumps(data).encode())

    def _guard(self) -> bool:
        if _authorized(self.headers.get("Authorization"), self.controller.settings.hub.api_key):
            return True
        self._json(401, {"detail": "missing or invalid Bearer key"})
        return False

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._json(200, {"status": "ok", "version": __version__})
        elif self.path != "/api/config":
            self._json(404, {"detail": "not found"})
        elif self._guard():
            self._send(200, _live_config(self.controller.config_file), "application/yaml")

    def do_POST(self) -> None:
        if self.path not in ("/api/config/apply", "/api/update"):
            self._json(404, {"detail": "not found"})
        elif self._guard():
            self._post()

    def _post(self) -> None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self._json(413 if length > MAX_BODY else 400, {"detail": "bad Content-Length"})
            return
        body = self.rfile.read(length)
        if self.path == "/api/update":
            self._json(*self.updater.start())
        else:
            self._json(*self.applier.apply(body))

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("api: %s", format % args)


def make_handler(controller: Controller, updater: Updater) -> type[Handler]:
    bound = {"controller": controller, "applier": ConfigApplier(controller), "updater": updater}
    return type("BoundHandler", (Handler,), bound)


def _live_config(path: Path | None) -> bytes:
    if path is None:
        return b""
    try:
        return path.read_bytes()
    except OSError:
        return b""


class ApiServer:
    def __init__(self, controller: Controller, updater: Updater, host: str, port: int) -> None:
        self.httpd = ThreadingHTTPServer((host, port), make_handler(controller, updater))
        self.httpd.daemon_threads = True
        api = controller.settings.api
        if api.tls_cert and api.tls_key:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(os.fspath(api.tls_cert), os.fspath(api.tls_key))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)
