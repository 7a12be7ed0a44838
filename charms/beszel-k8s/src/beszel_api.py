"""HTTP client for the Beszel Hub's PocketBase and /api/beszel endpoints. No charm concerns."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import httpx

# httpx logs every request URL at INFO, and universal-token URLs carry the agent token.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

# Tests and embedders may route every client through another transport.
TRANSPORT: httpx.BaseTransport | None = None

_BUSY_MARKER = "another backup/restore process"


class HubError(Exception):
    """The hub answered with an error or could not be reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class HubUnavailableError(HubError):
    """The hub could not be reached over HTTP."""


class BackupInProgressError(HubError):
    """PocketBase refuses a backup or restore while another one runs."""


@dataclasses.dataclass(frozen=True)
class Backup:
    """One entry of ``GET /api/backups``."""

    key: str
    size: int
    modified: str


@dataclasses.dataclass(frozen=True)
class HubInfo:
    """``GET /api/beszel/info``: the hub's SSH public key and version."""

    key: str
    version: str


class HubClient:
    """A PocketBase superuser session against one hub (normally http://localhost:<port>)."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=TRANSPORT)
        self._token: str | None = None

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def _request(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = {"Authorization": token or self._token or ""}
        try:
            response = self._http.request(method, path, headers=headers, **kw)
        except httpx.HTTPError as exc:
            raise HubUnavailableError(f"hub unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise _error_from(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def is_healthy(self) -> bool:
        """True when ``GET /api/health`` answers 200."""
        try:
            self._request("GET", "/api/health")
        except HubError:
            return False
        return True

    def login(self, email: str, password: str) -> None:
        """Authenticate as a PocketBase superuser; later calls use that token."""
        body = {"identity": email, "password": password}
        data = self._request("POST", "/api/collections/_superusers/auth-with-password", json=body)
        self._token = str(data["token"])

    def info(self) -> HubInfo:
        """The hub public key (agents' KEY) and version."""
        data = self._request("GET", "/api/beszel/info")
        return HubInfo(key=str(data["key"]), version=str(data.get("v", "")))

    def update_settings(self, patch: dict[str, Any]) -> None:
        """PATCH /api/settings with a partial settings document."""
        self._request("PATCH", "/api/settings", json=patch)

    def get_collection(self, name: str) -> dict[str, Any]:
        """GET /api/collections/<name> (superuser only)."""
        return dict(self._request("GET", f"/api/collections/{name}"))

    def update_collection(self, name: str, patch: dict[str, Any]) -> None:
        """PATCH /api/collections/<name> (superuser only)."""
        self._request("PATCH", f"/api/collections/{name}", json=patch)

    def find_user(self, email: str) -> str | None:
        """The id of the ``users`` record with this e-mail, if any."""
        params = {"filter": f"email='{email}'", "perPage": "1"}
        data = self._request("GET", "/api/collections/users/records", params=params)
        items = data.get("items", [])
        return str(items[0]["id"]) if items else None

    def count_users(self, except_email: str = "") -> int:
        """How many ``users`` records exist, leaving out the one with ``except_email``."""
        params = {"perPage": "1", "skipTotal": "0"}
        if except_email:
            params["filter"] = f"email!='{except_email}'"
        data = self._request("GET", "/api/collections/users/records", params=params)
        return int(data.get("totalItems", 0))

    def create_user(self, email: str, password: str, role: str) -> str:
        """Create a verified ``users`` record and return its id."""
        body = {
            "email": email,
            "password": password,
            "passwordConfirm": password,
            "role": role,
            "verified": True,
            # Ignored by PocketBase when the collection has no such field.
            "username": email.split("@", 1)[0],
        }
        return str(self._request("POST", "/api/collections/users/records", json=body)["id"])

    def impersonate(self, user_id: str) -> str:
        """A short-lived auth token for a ``users`` record (superuser only)."""
        path = f"/api/collections/users/impersonate/{user_id}"
        return str(self._request("POST", path, json={"duration": 300})["token"])

    def enable_universal_token(self, user_token: str, token: str) -> str:
        """Register ``token`` as the user's permanent universal agent token."""
        params = {"token": token, "enable": "1", "permanent": "1"}
        data = self._request("GET", "/api/beszel/universal-token", user_token, params=params)
        if not data.get("active") or not data.get("permanent"):
            raise HubError("hub did not activate the permanent universal token")
        return str(data["token"])

    def create_backup(self, name: str) -> None:
        """Start a backup named ``name`` (PocketBase answers 204 once it is written)."""
        self._request("POST", "/api/backups", json={"name": name})

    def list_backups(self) -> list[Backup]:
        """All backups in the active backups filesystem."""
        data = self._request("GET", "/api/backups") or []
        return [Backup(str(b["key"]), int(b["size"]), str(b["modified"])) for b in data]

    def restore_backup(self, key: str) -> None:
        """Restore a backup; the hub replaces its data and restarts."""
        self._request("POST", f"/api/backups/{key}/restore")


def _error_from(response: httpx.Response) -> HubError:
    try:
        body = response.json()
        message = str(body.get("message", ""))
        detail = _first_field_error(body.get("data") or {})
    except (ValueError, AttributeError):
        message, detail = "", None
    message = message or f"HTTP {response.status_code}"
    if detail:
        message = f"{message} ({detail})"
    if response.status_code == 400 and _BUSY_MARKER in message:
        return BackupInProgressError(message, response.status_code)
    return HubError(message, response.status_code)


def _first_field_error(data: dict[str, Any], path: str = "") -> str | None:
    """``backups.s3.endpoint: Cannot be blank.`` from PocketBase's nested error data."""
    for key, value in data.items():
        if not isinstance(value, dict):
            continue
        where = f"{path}.{key}" if path else str(key)
        if "message" in value and isinstance(value["message"], str):
            return f"{where}: {value['message']}"
        if found := _first_field_error(value, where):
            return found
    return None
