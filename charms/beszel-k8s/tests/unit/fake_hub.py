"""A stateful in-process emulation of the Beszel Hub HTTP API the charm uses.

It speaks the PocketBase/Beszel protocol through an ``httpx.MockTransport``: status
codes, error bodies and auth rules follow PocketBase v0.39 and Beszel 0.18 (see
reference §1.2/§1.3), including the superuser 403 on universal tokens and the 400
while a backup or restore runs.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx

HUB_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHubKeyForTests beszel"
_BACKUP_NAME = re.compile(r"^[a-z0-9_-]+\.zip$")
BUSY = "Try again later - another backup/restore process has already been started."


def _error(status: int, message: str, data: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"status": status, "message": message, "data": data or {}})


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


@dataclass
class Session:
    """Who an auth token belongs to."""

    kind: str  # "superuser" or "user"
    record_id: str


@dataclass
class FakeHub:
    """Hub state plus request routing; ``transport`` plugs it into httpx."""

    healthy: bool = True
    superusers: dict[str, str] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    universal_tokens: dict[str, str] = field(default_factory=dict)  # permanent, by user id
    ephemeral_tokens: dict[str, str] = field(default_factory=dict)  # 1 h tokens, by user id
    backups: dict[str, int] = field(default_factory=dict)
    restored: list[str] = field(default_factory=list)
    busy: bool = False
    settings: dict[str, Any] = field(
        default_factory=lambda: {
            "meta": {"appName": "Beszel", "hideControls": True},
            "logs": {"minLevel": 4},
            "backups": {"cron": "", "cronMaxKeep": 3, "s3": {"enabled": False}},
        }
    )
    users_collection: dict[str, Any] = field(
        default_factory=lambda: {"name": "users", "oauth2": {"enabled": False, "providers": []}}
    )
    sessions: dict[str, Session] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)

    @property
    def transport(self) -> httpx.MockTransport:
        """An httpx transport that serves every request from this hub."""
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Route one request, like PocketBase's router would."""
        if not self.healthy:
            raise httpx.ConnectError("connection refused", request=request)
        self.requests.append((request.method, request.url.path))
        for method, pattern, handler in self._routes():
            match = re.fullmatch(pattern, request.url.path)
            if match and request.method == method:
                return handler(request, *match.groups())
        return _error(404, "The requested resource wasn't found.")

    def _routes(self) -> list[tuple[str, str, Callable[..., httpx.Response]]]:
        return [
            ("GET", r"/api/health", self._health),
            ("POST", r"/api/collections/_superusers/auth-with-password", self._su_login),
            ("GET", r"/api/beszel/info", self._info),
            ("GET", r"/api/beszel/universal-token", self._universal_token),
            ("GET", r"/api/settings", self._get_settings),
            ("PATCH", r"/api/settings", self._patch_settings),
            ("GET", r"/api/collections/users", self._get_users_collection),
            ("PATCH", r"/api/collections/users", self._patch_users_collection),
            ("GET", r"/api/collections/users/records", self._list_users),
            ("POST", r"/api/collections/users/records", self._create_user),
            ("POST", r"/api/collections/users/impersonate/([^/]+)", self._impersonate),
            ("GET", r"/api/backups", self._list_backups),
            ("POST", r"/api/backups", self._create_backup),
            ("POST", r"/api/backups/([^/]+)/restore", self._restore),
        ]

    # -- auth -------------------------------------------------------------------

    def _session(self, request: httpx.Request) -> Session | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return self.sessions.get(token)

    def _issue(self, kind: str, record_id: str) -> str:
        token = secrets.token_hex(12)
        self.sessions[token] = Session(kind, record_id)
        return token

    def _superuser_only(self, request: httpx.Request) -> httpx.Response | None:
        session = self._session(request)
        if session is None:
            return _error(401, "The request requires valid record authorization token.")
        if session.kind != "superuser":
            return _error(403, "The authorized record is not allowed to perform this action.")
        return None

    # -- handlers ---------------------------------------------------------------

    def _health(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"message": "API is healthy.", "code": 200, "data": {}})

    def _su_login(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if self.superusers.get(body.get("identity")) != body.get("password"):
            return _error(400, "Failed to authenticate.")
        token = self._issue("superuser", body["identity"])
        record = {"id": body["identity"], "email": body["identity"]}
        return httpx.Response(200, json={"token": token, "record": record})

    def _info(self, request: httpx.Request) -> httpx.Response:
        if self._session(request) is None:
            return _error(401, "The request requires valid record authorization token.")
        return httpx.Response(200, json={"key": HUB_KEY, "v": "0.18.8", "cu": False})

    def _universal_token(self, request: httpx.Request) -> httpx.Response:
        # Mirrors beszel internal/hub/api.go getUniversalToken.
        session = self._session(request)
        if session is None:
            return _error(401, "The request requires valid record authorization token.")
        if session.kind == "superuser":
            return _error(403, "Superusers cannot use universal tokens")
        if self.users[session.record_id].get("role") == "readonly":
            return _error(403, "The authorized record is not allowed to perform this action.")
        user, params = session.record_id, request.url.params
        token, enable = params.get("token", ""), params.get("enable")

        def answer(token: str, active: bool, permanent: bool) -> httpx.Response:
            return httpx.Response(
                200, json={"token": token, "active": active, "permanent": permanent}
            )

        if enable == "0":
            self.universal_tokens.pop(user, None)
            self.ephemeral_tokens.pop(user, None)
            return answer(token, False, False)
        if enable == "1":
            token = token or str(uuid.uuid4())
            self.ephemeral_tokens.pop(user, None)
            if params.get("permanent") == "1":
                self.universal_tokens[user] = token
                return answer(token, True, True)
            self.universal_tokens.pop(user, None)
            self.ephemeral_tokens[user] = token
            return answer(token, True, False)
        if user in self.universal_tokens:
            stored = self.universal_tokens[user]
            return (
                answer(stored, True, True)
                if token in ("", stored)
                else answer(token, False, False)
            )
        if not token and user in self.ephemeral_tokens:
            return answer(self.ephemeral_tokens[user], True, False)
        token = token or str(uuid.uuid4())
        return answer(token, self.ephemeral_tokens.get(user) == token, False)

    def _get_settings(self, request: httpx.Request) -> httpx.Response:
        if denied := self._superuser_only(request):
            return denied
        shown = copy.deepcopy(self.settings)
        shown["backups"]["s3"].pop("secret", None)  # PocketBase hides secrets on read
        return httpx.Response(200, json=shown)

    def _patch_settings(self, request: httpx.Request) -> httpx.Response:
        if denied := self._superuser_only(request):
            return denied
        candidate = copy.deepcopy(self.settings)
        _merge(candidate, json.loads(request.content))
        s3 = candidate["backups"]["s3"]
        required = ("endpoint", "bucket", "region", "accessKey", "secret")
        missing = [k for k in required if s3.get("enabled") and not s3.get(k)]
        if missing:
            blank = {"code": "validation_required", "message": "Cannot be blank."}
            errors = {missing[0]: blank}
            return _error(
                400,
                "An error occurred while validating the submitted data.",
                {"backups": {"s3": errors}},
            )
        self.settings = candidate
        return self._get_settings(request)

    def _get_users_collection(self, request: httpx.Request) -> httpx.Response:
        if denied := self._superuser_only(request):
            return denied
        shown = copy.deepcopy(self.users_collection)
        for provider in shown.get("oauth2", {}).get("providers", []):
            provider.pop("clientSecret", None)  # PocketBase never lists OAuth2 secrets
        return httpx.Response(200, json=shown)

    def _patch_users_collection(self, request: httpx.Request) -> httpx.Response:
        if denied := self._superuser_only(request):
            return denied
        patch = json.loads(request.content)
        providers = patch.get("oauth2", {}).get("providers", [])
        if any(not p.get("clientId") or not p.get("name") for p in providers):
            blank = {"code": "validation_required", "message": "Cannot be blank."}
            return _error(400, "Failed to update collection.", {"oauth2": {"providers": blank}})
        stored = self.users_collection.get("oauth2", {}).get("providers", [])
        if "providers" in patch.get("oauth2", {}):
            # PocketBase 0.39 decodes the list onto the stored one slot by slot (Go's
            # encoding/json reuses slice elements): a key left out keeps that slot's value.
            merged = [
                copy.deepcopy(stored[i]) if i < len(stored) else {} for i in range(len(providers))
            ]
            for slot, sent in zip(merged, providers, strict=True):
                slot.update(copy.deepcopy(sent))
            patch = copy.deepcopy(patch)
            patch["oauth2"]["providers"] = merged
            self.users_collection.setdefault("oauth2", {})["providers"] = []
        _merge(self.users_collection, patch)
        return self._get_users_collection(request)

    def _list_users(self, request: httpx.Request) -> httpx.Response:
        if denied := self._superuser_only(request):
            return denied
        wanted = re.fullmatch(
            r"email(!?)='([^']*)'", unquote(request.url.params.get("filter", ""))
        )
        items = [
            {k: v for k, v in user.items() if k != "password"}
            for user in self.users.values()
            if wanted is None or (user["email"] == wanted.group(2)) != bool(wanted.group(1))
        ]
        body = {"page": 1, "perPage": 30, "totalItems": len(items), "totalPages": 1}
        return httpx.Response(200, json={**body, "items": items})

    def _create_user(self, request: httpx.Request) -> httpx.Response:
        if denied := self._superuser_only(request):
            return denied
        body = json.loads(request.content)
        password = body.get("password", "")
        if len(password) < 8 or body.get("passwordConfirm") != password:
            return _error(400, "Failed to create record.", {"password": {"code": "invalid"}})
        if any(u["email"] == body.get("email") for u in self.users.values()):
            return _error(400, "Failed to create record.", {"email": {"code": "not_unique"}})
        user_id = secrets.token_hex(7)
        self.users[user_id] = {"id": user_id, **body}
        return httpx.Response(200, json={"id": user_id, "email": body["email"]})

    def _impersonate(self, request: httpx.Request, user_id: str) -> httpx.Response:
        if denied := self._superuser_only(request):
            return denied
        if user_id not in self.users:
            return _error(404, "The requested resource wasn't found.")
        token = self._issue("user", user_id)
        return httpx.Response(200, json={"token": token, "record": {"id": user_id}})

    def _list_backups(self, request: httpx.Request) -> httpx.Response:
        if denied := self._superuser_only(request):
            return denied
        listing = [
            {"key": key, "size": size, "modified": "2026-11-22 08:00:00.000Z"}
            for key, size in sorted(self.backups.items())
        ]
        return httpx.Response(200, json=listing)

    def _create_backup(self, request: httpx.Request) -> httpx.Response:
        if denied := self._superuser_only(request):
            return denied
        if self.busy:
            return _error(400, BUSY)
        name = (json.loads(request.content or b"{}") or {}).get("name", "")
        if name and not _BACKUP_NAME.match(name):
            return _error(
                400,
                "An error occurred while validating the submitted data.",
                {"name": {"code": "validation_match_invalid"}},
            )
        self.backups[name or "pb_backup_beszel_20261122080000.zip"] = 4096
        return httpx.Response(204)

    def _restore(self, request: httpx.Request, key: str) -> httpx.Response:
        if denied := self._superuser_only(request):
            return denied
        if self.busy:
            return _error(400, BUSY)
        if key not in self.backups:
            return _error(400, "Missing or invalid backup file.")
        self.restored.append(key)
        return httpx.Response(204)
