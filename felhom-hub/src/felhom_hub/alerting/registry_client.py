"""Reading a controller image's tags from a container registry (Registry HTTP API v2).

Basic auth with ``registry.username``/``registry.token``; when the registry answers 401 with a
``Bearer`` challenge (Gitea's and Docker Hub's token flow) a token is fetched from the realm it
names, with the same credentials, and the call is repeated. ``registry.image`` is
``host[:port]/path``, over HTTPS; a leading ``http://`` selects plain HTTP (a local registry).
"""

import re

import httpx
from packaging.version import InvalidVersion, Version

_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
MAX_PAGES = 50


class RegistryError(Exception):
    """The registry could not be read; the message is safe to store and show."""


def split_image(image: str) -> tuple[str, str]:
    """``"gitea.example/admin/ctl"`` -> ("https://gitea.example", "admin/ctl")."""
    scheme = "https"
    if "://" in image:
        scheme, image = image.split("://", 1)
    host, _, path = image.partition("/")
    if not host or not path:
        raise RegistryError("registry.image must look like host/owner/name")
    return f"{scheme}://{host}", path


def newest_version(tags: list[str]) -> str | None:
    """The highest release among the tags (``1.2.3`` or ``v1.2.3``); other tags are ignored."""
    best: tuple[Version, str] | None = None
    for tag in tags:
        try:
            version = Version(tag)
        except InvalidVersion:
            continue
        if version.is_prerelease or version.is_devrelease:
            continue
        if best is None or version > best[0]:
            best = (version, tag)
    return None if best is None else best[1]


def update_available(current: str | None, newest: str | None) -> bool | None:
    """Whether ``newest`` is a later release than ``current``; None when either is unknown."""
    if current is None or newest is None:
        return None
    try:
        return Version(newest) > Version(current)
    except InvalidVersion:
        return None


async def _token(client: httpx.AsyncClient, challenge: str, auth: httpx.BasicAuth | None) -> str:
    params = dict(_CHALLENGE.findall(challenge))
    realm = params.pop("realm", "")
    if not realm:
        raise RegistryError("the registry's Bearer challenge names no realm")
    response = await client.get(realm, params=params, auth=auth)
    if response.status_code != 200:
        raise RegistryError(f"token endpoint answered {response.status_code}")
    data = response.json()
    token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
    if not token:
        raise RegistryError("token endpoint gave no token")
    return str(token)


async def list_tags(client: httpx.AsyncClient, image: str, username: str, token: str) -> list[str]:
    """Every tag of ``image`` (following the API's pagination links, bounded)."""
    base, path = split_image(image)
    auth = httpx.BasicAuth(username, token) if username or token else None
    url: str | None = f"{base}/v2/{path}/tags/list"
    headers: dict[str, str] = {}
    tags: list[str] = []
    for _ in range(MAX_PAGES):
        if url is None:
            break
        try:
            response = await client.get(url, auth=None if headers else auth, headers=headers)
            challenge = response.headers.get("www-authenticate", "")
            if response.status_code == 401 and challenge.lower().startswith("bearer"):
                headers = {"Authorization": f"Bearer {await _token(client, challenge, auth)}"}
                response = await client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise RegistryError(f"registry unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise RegistryError(f"registry answered {response.status_code} for the tag list")
        tags.extend(str(t) for t in response.json().get("tags") or [])
        link = response.links.get("next", {}).get("url")
        url = str(httpx.URL(base).join(link)) if link else None
    return tags
