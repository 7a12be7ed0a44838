"""The newest tag of the controller's image in an OCI registry (Registry v2 API).

``GET /v2/<image>/tags/list`` answered directly, with basic auth, or — as Gitea's registry
does — after the bearer-token challenge: a 401 with ``WWW-Authenticate: Bearer realm=…,
service=…,scope=…``, then a GET to the realm with basic auth that returns ``{"token": …}``.
Credentials travel only in headers, never in a log line or error.
"""

import re
from typing import Any

import httpx

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(Exception):
    """The registry could not be asked; the message never holds a credential."""


def version_key(tag: str) -> tuple[int, int, int] | None:
    match = _VERSION.match(tag)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def newest(tags: list[str]) -> str | None:
    """The highest ``vX.Y.Z`` / ``X.Y.Z`` tag (others, like ``latest``, are ignored)."""
    versions = [(key, tag) for tag in tags if (key := version_key(tag)) is not None]
    return max(versions)[1] if versions else None


def is_newer(tag: str, current: str) -> bool:
    new, old = version_key(tag), version_key(current)
    return new is not None and (old is None or new > old)


def parse_challenge(header: str) -> dict[str, str]:
    """``Bearer realm="…",service="…",scope="…"`` → its parameters ({} if not Bearer)."""
    if not header.lower().startswith("bearer "):
        return {}
    return dict(_CHALLENGE.findall(header))


class RegistryClient:
    def __init__(self, url: str, username: str, password: str, timeout: float) -> None:
        auth = httpx.BasicAuth(username, password) if username else None
        self._auth = auth
        self._http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _get(self, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.get(url, **kwargs)
        except httpx.HTTPError as exc:
            raise RegistryError(f"registry unreachable: {type(exc).__name__}") from None

    def _token(self, challenge: dict[str, str]) -> str:
        params = {k: v for k, v in challenge.items() if k in ("service", "scope")}
        answer = self._get(challenge["realm"], params=params, auth=self._auth)
        if answer.status_code != 200:
            raise RegistryError(f"registry token endpoint answered {answer.status_code}")
        body = answer.json()
        token = body.get("token") or body.get("access_token")
        if not token:
            raise RegistryError("registry token endpoint answered without a token")
        return str(token)

    def tags(self, image: str) -> list[str]:
        path = f"/v2/{image}/tags/list"
        answer = self._get(path, auth=self._auth)
        if answer.status_code == 401:
            challenge = parse_challenge(answer.headers.get("WWW-Authenticate", ""))
            if "realm" in challenge:
                headers = {"Authorization": f"Bearer {self._token(challenge)}"}
                answer = self._get(path, headers=headers)
        if answer.status_code != 200:
            raise RegistryError(f"registry answered {answer.status_code} for {image}'s tags")
        return [str(tag) for tag in answer.json().get("tags") or []]
