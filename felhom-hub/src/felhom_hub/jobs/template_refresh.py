"""The template refresh, every ``registry.template_interval``: a conditional GET of
``registry.template_url`` (If-None-Match / If-Modified-Since); a new copy is kept only when it
is a YAML mapping with the controller's sections, else the last good one stays and the error
is recorded for the pages. The registry's credentials go along only to the registry's own host
(the seed's Gitea serves both the image and the repository holding the template)."""

from dataclasses import dataclass
from datetime import datetime

import httpx

from felhom_hub.alerting.registry_client import RegistryError, split_image
from felhom_hub.config import RegistrySettings
from felhom_hub.configs.merge import TemplateError
from felhom_hub.configs.template import check_template
from felhom_hub.store import Database, templates

MAX_BYTES = 512 * 1024


class FetchError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int
    etag: str | None
    last_modified: str | None
    body: bytes


def template_auth(settings: RegistrySettings) -> httpx.BasicAuth | None:
    """Basic auth with registry.username/token when the template lives on the registry's host
    (same scheme, host and port); None otherwise."""
    if not (settings.username or settings.token) or not settings.template_url:
        return None
    try:
        registry_base, _ = split_image(settings.image)
    except RegistryError:
        return None
    ours, theirs = httpx.URL(settings.template_url), httpx.URL(registry_base)
    same = (ours.scheme, ours.host, ours.port) == (theirs.scheme, theirs.host, theirs.port)
    return httpx.BasicAuth(settings.username, settings.token) if same else None


async def _fetch(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], auth: httpx.BasicAuth | None
) -> Fetched:
    try:
        async with client.stream("GET", url, headers=headers, timeout=30, auth=auth) as response:
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise FetchError(f"the template is larger than {MAX_BYTES} bytes")
            found = response.headers
            return Fetched(
                response.status_code, found.get("ETag"), found.get("Last-Modified"), body
            )
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch the template: {type(exc).__name__}") from None


def _usable(fetched: Fetched) -> str:
    if fetched.status != 200:
        raise FetchError(f"the template source answered HTTP {fetched.status}")
    try:
        text = fetched.body.decode()
        check_template(text)
    except (UnicodeDecodeError, TemplateError) as exc:
        raise FetchError(f"the template source served an unusable file: {exc}") from None
    return text


def _conditional(state: templates.TemplateState | None, url: str) -> dict[str, str]:
    if state is None or state.source != url or state.body is None:
        return {}
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


async def run_once(
    db: Database,
    client: httpx.AsyncClient,
    url: str,
    now: datetime,
    auth: httpx.BasicAuth | None = None,
) -> str:
    state = await db.reading(templates.get)
    try:
        fetched = await _fetch(client, url, _conditional(state, url), auth)
        if fetched.status == 304:
            await db.writing(lambda conn: templates.record_unchanged(conn, now=now))
            return "template unchanged"
        text = _usable(fetched)
    except FetchError as exc:
        error = str(exc)
        await db.writing(
            lambda conn: templates.record_failure(conn, source=url, error=error, now=now)
        )
        return f"template kept: {error}"
    etag, modified = fetched.etag, fetched.last_modified
    await db.writing(
        lambda conn: templates.record_good(
            conn, source=url, body=text, etag=etag, last_modified=modified, now=now
        )
    )
    return "template updated"
