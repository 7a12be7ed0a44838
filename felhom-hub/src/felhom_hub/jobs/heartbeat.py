"""The hub watched from outside: every ``alerting.heartbeat_interval`` a fleet summary (counts
per status, the customers that are down) is POSTed to ``alerting.heartbeat_url`` — point it at
a Healthchecks check, and a silent hub alerts someone."""

from collections import Counter
from datetime import datetime

import anyio.to_thread
import httpx

from felhom_hub.config import Settings
from felhom_hub.status import CustomerStatus, status_of
from felhom_hub.store import Database, fleet

PAGE = 1000
MAX_PAGES = 1000


def summary(db: Database, settings: Settings, now: datetime) -> dict[str, object]:
    counts: Counter[str] = Counter()
    down: list[str] = []
    after: str | None = None
    for _ in range(MAX_PAGES):
        with db.read() as conn:
            rows = fleet.page(conn, after=after, limit=PAGE)
        for row in rows:
            status = status_of(row, now=now, stale=settings.alerting.stale_threshold)
            counts[status.value] += 1
            if status is CustomerStatus.DOWN:
                down.append(row.customer_id)
        if len(rows) < PAGE:
            break
        after = rows[-1].customer_id
    return {"at": now.isoformat(), "counts": dict(counts), "down": down[:100]}


async def run_once(
    db: Database, client: httpx.AsyncClient, settings: Settings, now: datetime
) -> str:
    body = await anyio.to_thread.run_sync(summary, db, settings, now)
    try:
        response = await client.post(settings.alerting.heartbeat_url, json=body)
    except httpx.HTTPError as exc:
        return f"heartbeat failed: {type(exc).__name__}"
    return f"heartbeat answered {response.status_code}"
