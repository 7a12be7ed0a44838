"""The unauthenticated health check, answered on the event loop from what the hub knows: one
stat() of the database file (a deleted or replaced file is seen at once), the last fault any
query met, and the background probe's verdict (the file opened afresh, or a query to the
PostgreSQL server, on a worker thread every second). So /healthz stays fast however busy
the database threads are, and answers 503 within about a second of the server going away."""

import asyncio
import contextlib
import logging

import anyio.to_thread
from fastapi import APIRouter, Response, status

from felhom_hub import __version__
from felhom_hub.api.deps import Db
from felhom_hub.api.responses import Health
from felhom_hub.store import Database
from felhom_hub.store.faults import StorageFault

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)
PROBE_SECONDS = 1.0


@router.api_route(
    "/healthz", methods=["GET", "HEAD"], responses={503: {"description": "storage fault"}}
)
async def healthz(response: Response, db: Db) -> Health:
    """200 when the database is usable; 503 with the reason otherwise. No authentication."""
    try:
        db.check_file()
        fault = db.fault
    except StorageFault as exc:
        fault = exc
    if fault is not None:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Health(
            status="database unavailable",
            version=__version__,
            engine=db.kind,
            reason=fault.kind.value,
        )
    return Health(status="ok", version=__version__, engine=db.kind)


async def probe(db: Database, stop: asyncio.Event) -> None:
    """Every few seconds, open the database afresh in a worker thread (records any fault)."""
    while not stop.is_set():
        fault = await anyio.to_thread.run_sync(db.ping)
        if fault is not None:
            log.warning("storage fault: %s", fault.kind.value)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=PROBE_SECONDS)
