"""The registry version check, every ``registry.check_interval``: the newest controller version
is stored; a failed check keeps the last good one and records its error."""

from datetime import datetime

import httpx

from felhom_hub.alerting.registry_client import RegistryError, list_tags, newest_version
from felhom_hub.config import RegistrySettings
from felhom_hub.store import Database, registry


async def run_once(
    db: Database, client: httpx.AsyncClient, settings: RegistrySettings, now: datetime
) -> str:
    try:
        tags = await list_tags(client, settings.image, settings.username, settings.token)
        newest, error = newest_version(tags), None
        if newest is None:
            error = f"no release tag among {len(tags)} tags"
    except RegistryError as exc:
        newest, error = None, str(exc)
    await db.writing(
        lambda conn: registry.record(
            conn, image=settings.image, newest=newest, error=error, now=now
        )
    )
    return f"newest {newest}" if error is None else f"check failed: {error}"
