"""Containers through the Docker Engine API on a unix socket (Docker, or podman's compatible
service): name, image, state, health, restart count, and the app they belong to (the
``eu.felhom.app`` label, else the compose project).

One ``GET /containers/json?all=1`` lists them, one ``GET /containers/{id}/json`` per container
adds health and restart count (the list does not carry them). Every call is bounded by the
configured timeout; a missing or slow socket raises :class:`EngineError`.
"""

import http.client
import json
import logging
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

log = logging.getLogger(__name__)
API = "/v1.41"
COMPOSE_PROJECT = "com.docker.compose.project"
APP_LABEL = "eu.felhom.app"  # names the app of a container started without compose
STATES = {"created", "running", "paused", "restarting", "removing", "exited", "dead"}
HEALTH = {"healthy", "unhealthy", "starting"}


class EngineError(Exception):
    """The Engine API could not be reached or answered with an error."""


class _UnixConnection(http.client.HTTPConnection):
    """HTTP/1.1 over a unix socket (the standard library's client: a fraction of the CPU
    per request that a full-featured client costs, which matters at 50 inspects a cycle)."""

    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("engine", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self.path))
        except OSError:
            sock.close()
            raise
        self.sock = sock


class EngineClient:
    """A small synchronous client for the Engine API calls the controller needs (one
    keep-alive connection, every call bounded by ``timeout``)."""

    def __init__(self, socket_path: Path, timeout: float) -> None:
        self.socket = socket_path
        self._conn = _UnixConnection(socket_path, timeout)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "EngineClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, **params: str) -> Any:
        return self.request("GET", path, None, {}, **params)

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **params: str,
    ) -> Any:
        """One Engine API call; its JSON answer (None when empty; a pull's progress stream
        is returned as a list of its JSON lines)."""
        if not self.socket.exists():
            raise EngineError(f"engine socket {self.socket} does not exist")
        url = API + path + ("?" + urlencode(params) if params else "")
        data = json.dumps(body).encode() if body is not None else None
        sent = {"Host": "engine", **(headers or {})}
        if data is not None:
            sent["Content-Type"] = "application/json"
        try:
            self._conn.request(method, url, body=data, headers=sent)
            response = self._conn.getresponse()
            raw = response.read()
        except TimeoutError:
            self._conn.close()
            raise EngineError(f"engine socket {self.socket} timed out on {path}") from None
        except (OSError, http.client.HTTPException) as exc:
            self._conn.close()
            raise EngineError(f"engine socket {self.socket}: {exc}") from None
        if response.status >= 400:
            raise EngineError(f"engine answered {response.status} on {path}: {_message(raw)}")
        return _decode(raw, path)


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message", ""))[:300]
    except (ValueError, AttributeError):
        return body[:300].decode(errors="replace")


def _decode(body: bytes, path: str) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        pass
    try:  # a stream of JSON objects, one per line (image pulls)
        return [json.loads(line) for line in body.splitlines() if line.strip()]
    except ValueError:
        raise EngineError(f"engine answered non-JSON on {path}") from None


def _state(value: object) -> str:
    text = str(value or "").lower()
    if text == "configured":  # podman's name for a created container
        return "created"
    if text == "stopped":
        return "exited"
    return text if text in STATES else "dead"


def summarize(listed: dict[str, Any], inspected: dict[str, Any] | None) -> dict[str, Any]:
    """One report ``containers[]`` entry from the list entry and (if available) its inspect."""
    names = listed.get("Names") or [listed.get("Id", "?")[:12]]
    labels = listed.get("Labels") or {}
    state = (inspected or {}).get("State") or {}
    health = ((state.get("Health") or {}).get("Status") or "").lower()
    return {
        "name": str(names[0]).lstrip("/")[:255],
        "image": str(listed.get("Image", ""))[:255] or None,
        "state": _state(state.get("Status") or listed.get("State")),
        "health": health if health in HEALTH else "none",
        "restart_count": max(0, int((inspected or {}).get("RestartCount") or 0)),
        "project": labels.get(APP_LABEL) or labels.get(COMPOSE_PROJECT),
    }


def collect_containers(client: EngineClient) -> list[dict[str, Any]]:
    """Every container the engine knows, running or not, sorted by name."""
    found = []
    for listed in client.get("/containers/json", all="1"):
        try:
            inspected = client.get(f"/containers/{listed['Id']}/json")
        except EngineError as exc:  # removed between the two calls, or a slow engine
            log.warning("inspect of %s failed: %s", listed.get("Names"), exc)
            inspected = None
        found.append(summarize(listed, inspected))
    return sorted(found, key=lambda entry: entry["name"])


def collect_apps(containers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apps are compose projects: running when all their containers run, else degraded/stopped."""
    projects: dict[str, list[str]] = {}
    for container in containers:
        if container.get("project"):
            projects.setdefault(container["project"], []).append(container["state"])
    apps = []
    for name, states in sorted(projects.items()):
        running = states.count("running")
        status = "running" if running == len(states) else "degraded" if running else "stopped"
        apps.append({"name": name[:255], "status": status})
    return apps
