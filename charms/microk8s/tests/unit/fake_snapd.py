"""A snapd REST API emulation on a Unix socket, for the charmlibs-snap calls the charm makes.

It follows snapd's API (the /v2 endpoints, as documented by snapd): every answer is a JSON
envelope ``{"type": "sync"|"async"|"error", "status-code", "status", "result"}``; state
changes answer 202 ``async`` with a ``change`` id that ``GET /v2/changes/{id}`` reports
``Done`` (or ``Error`` with ``err``); errors carry ``result.kind`` such as
``snap-not-found``, ``snap-already-installed``, ``snap-not-installed``,
``snap-needs-classic``, ``snap-channel-not-available``, ``snap-no-update-available`` and
``app-not-found``. Only the snaps in ``store`` exist.
"""

from __future__ import annotations

import http.server
import json
import socketserver
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class StoreSnap:
    """A snap the emulated store offers."""

    channels: set[str]
    classic: bool
    services: tuple[str, ...]


@dataclass
class FakeSnapd:
    """Installed snaps, the store, the changes made, and every request received."""

    store: dict[str, StoreSnap] = field(default_factory=dict)
    installed: dict[str, dict[str, Any]] = field(default_factory=dict)
    restarted: list[str] = field(default_factory=list)
    failing_changes: int = 0  # the next N changes end in status Error
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    _changes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def handle(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer one request as snapd would."""
        self.requests.append((method, path, body))
        parts = path.split("?", 1)[0].strip("/").split("/")
        if method == "GET" and parts[:2] == ["v2", "changes"]:
            return _sync(self._changes[parts[2]])
        if method == "GET" and parts[:2] == ["v2", "snaps"]:
            snap = self.installed.get(parts[2])
            if snap is None:
                return _error(404, "snap-not-found", f'snap "{parts[2]}" not found', parts[2])
            return _sync(snap)
        if method == "POST" and parts[:2] == ["v2", "snaps"]:
            return self._snap_action(parts[2], body)
        if method == "POST" and parts == ["v2", "apps"]:
            return self._apps_action(body)
        return _error(404, "", "not found", "")

    def _snap_action(self, name: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        action, offered = body.get("action"), self.store.get(name)
        if action == "install":
            return self._install_action(name, body)
        if name not in self.installed:
            return _error(400, "snap-not-installed", f'snap "{name}" is not installed', name)
        if action == "remove":
            return self._change(lambda: self.installed.pop(name))
        if action == "refresh":
            channel = body.get("channel", self.installed[name]["tracking-channel"])
            if offered is None or channel not in offered.channels:
                return _error(404, "snap-channel-not-available", "no snap revision", name)
            if channel == self.installed[name]["tracking-channel"]:
                return _error(400, "snap-no-update-available", "snap has no updates", name)
            return self._change(lambda: self.installed[name].update({"tracking-channel": channel}))
        return _error(400, "", f"unknown action {action!r}", name)

    def _install_action(self, name: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        offered, channel = self.store.get(name), body.get("channel", "latest/stable")
        if name in self.installed:
            return _error(400, "snap-already-installed", "snap is already installed", name)
        if offered is None:
            return _error(404, "snap-not-found", f'snap "{name}" not found', name)
        if offered.classic and not body.get("classic"):
            return _error(400, "snap-needs-classic", "requires classic confinement", name)
        if channel not in offered.channels:
            return _error(404, "snap-channel-not-available", "no snap revision", name)
        return self._change(lambda: self._install(name, channel, offered))

    def _apps_action(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        for full in body.get("names", []):
            snap, _, service = full.partition(".")
            known = self.installed.get(snap, {}).get("apps", [])
            if service and service not in [a["name"] for a in known]:
                return _error(404, "app-not-found", f'snap "{snap}" has no service', full)
        return self._change(lambda: self.restarted.extend(body.get("names", [])))

    def _install(self, name: str, channel: str, offered: StoreSnap) -> None:
        self.installed[name] = {
            "name": name,
            "tracking-channel": channel,
            "confinement": "classic" if offered.classic else "strict",
            "revision": "1",
            "version": "1.0",
            "apps": [{"snap": name, "name": s, "daemon": "simple"} for s in offered.services],
        }

    def _change(self, apply: Any) -> tuple[int, dict[str, Any]]:
        change_id = str(len(self._changes) + 1)
        if self.failing_changes > 0:
            self.failing_changes -= 1
            status = {"id": change_id, "status": "Error", "ready": True, "err": "download failed"}
        else:
            apply()
            status = {"id": change_id, "status": "Done", "ready": True}
        self._changes[change_id] = status
        envelope = {"type": "async", "status-code": 202, "status": "Accepted", "result": None}
        return 202, {**envelope, "change": change_id}


def _sync(result: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"type": "sync", "status-code": 200, "status": "OK", "result": result}


def _error(code: int, kind: str, message: str, value: str) -> tuple[int, dict[str, Any]]:
    result = {"message": message, "kind": kind, "value": value}
    status = "Not Found" if code == 404 else "Bad Request"
    return code, {"type": "error", "status-code": code, "status": status, "result": result}


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def serve(snapd: FakeSnapd, socket_path: Path) -> _Server:
    """Serve ``snapd`` on ``socket_path`` in a background thread; shut it down when done."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            code, payload = snapd.handle(self.command, self.path, body)
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        # http.server dispatches on these stdlib-mandated names.
        do_GET = do_POST = do_PUT = _answer  # noqa: N815

        def address_string(self) -> str:
            return "snapd-client"  # Unix sockets have no peer address

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

    server = _Server(str(socket_path), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server
