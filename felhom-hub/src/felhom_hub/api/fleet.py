"""What operators and controllers read: fleet list, latest report, history, backups, config."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from sqlalchemy import Connection

from felhom_hub.alerting.registry_client import update_available
from felhom_hub.api.auth import Caller
from felhom_hub.api.deps import AppSettings, Db, Now
from felhom_hub.api.fields import CUSTOMER_ID_PATTERN
from felhom_hub.api.responses import (
    CustomerList,
    CustomerSummary,
    InfraBackup,
    LatestReport,
    serialized,
)
from felhom_hub.config import Settings
from felhom_hub.configs.vault import SealedError, open_stored
from felhom_hub.status import CustomerStatus, status_of
from felhom_hub.store import fleet, infra_backups, registry, reports

router = APIRouter(prefix="/api/v1", tags=["fleet"])

CustomerPath = Annotated[str, Path(pattern=CUSTOMER_ID_PATTERN)]
DEFAULT_PAGE, MAX_PAGE = 100, 1000
SCAN_CHUNK = 500
READ_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "missing or invalid API key"},
    403: {"description": "the key belongs to another customer"},
    404: {"description": "nothing stored for this customer"},
}


def _status(settings: Settings, now: datetime, row: fleet.FleetRow) -> CustomerStatus:
    return status_of(row, now=now, stale=settings.alerting.stale_threshold)


def _summary(
    row: fleet.FleetRow, status: CustomerStatus, newest: str | None = None
) -> CustomerSummary:
    return CustomerSummary(
        update_available=update_available(row.controller_version, newest),
        customer_id=row.customer_id,
        status=status,
        managed=row.managed,
        last_report_at=row.received_at,
        health=row.health,
        hostname=row.hostname,
        controller_version=row.controller_version,
        controller_url=row.controller_url,
    )


def _fleet_page(
    conn: Connection, settings: Settings, now: datetime, query: "FleetQuery"
) -> CustomerList:
    """One page, filtered by status in Python (the status depends on ``now``): chunks of the
    id-ordered fleet are read until the page is full or the fleet ends."""
    listed: list[CustomerSummary] = []
    after, more = query.after, True
    found = registry.state(conn, image=settings.registry.image)
    newest = found.newest if found else None
    while more and len(listed) < query.limit:
        rows = fleet.page(conn, after=after, limit=SCAN_CHUNK, only=query.only)
        more = len(rows) == SCAN_CHUNK
        for row in rows:
            after = row.customer_id
            status = _status(settings, now, row)
            if query.status is None or status is query.status:
                listed.append(_summary(row, status, newest))
                if len(listed) == query.limit:
                    break
    more = more or (after is not None and bool(fleet.customer_ids(conn, after=after, limit=1)))
    last = listed[-1].customer_id if listed else None
    return CustomerList(customers=listed, next=last if more and last else None)


@dataclass(frozen=True, slots=True)
class FleetQuery:
    after: str | None
    limit: int
    status: CustomerStatus | None
    only: str | None


@router.get("/customers", responses=READ_ERRORS, response_model=CustomerList)
async def list_customers(
    caller: Caller,
    db: Db,
    settings: AppSettings,
    now: Now,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")] = DEFAULT_PAGE,
    after: Annotated[
        str | None,
        Query(pattern=CUSTOMER_ID_PATTERN, description="the previous page's 'next' value"),
    ] = None,
    status: Annotated[CustomerStatus | None, Query(description="only this status")] = None,
) -> Response:
    """Customers in id order, a page at a time, with the latest report summary and status.

    A per-customer key sees only its own customer. ``next`` is the ``after`` of the next page
    (null on the last one).
    """
    query = FleetQuery(after, limit, status, caller.customer_id)
    # Built and serialized on the worker thread: a 1,000-row page would hold the loop ~20 ms.
    return await db.reading(lambda conn: serialized(_fleet_page(conn, settings, now, query), 200))


@router.get("/customers/{customer_id}", responses=READ_ERRORS)
async def latest_report(
    customer_id: CustomerPath, caller: Caller, db: Db, settings: AppSettings, now: Now
) -> LatestReport:
    """The customer's latest full report, as the controller sent it."""
    caller.require(customer_id)

    def read(conn: Connection) -> tuple[Any, list[fleet.FleetRow]]:
        return reports.latest(conn, customer_id=customer_id), fleet.page(
            conn, after=None, limit=1, only=customer_id
        )

    stored, rows = await db.reading(read)
    if stored is None or not rows:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no report from this customer yet")
    summary, report = stored
    return LatestReport(
        customer_id=customer_id,
        status=_status(settings, now, rows[0]),
        received_at=summary.received_at,
        report=report,
    )


@router.get("/infra-backup/{customer_id}", responses=READ_ERRORS)
async def latest_infra_backup(
    customer_id: CustomerPath, caller: Caller, db: Db, request: Request
) -> InfraBackup:
    """The newest infrastructure snapshot, for a fresh controller restoring the node."""
    caller.require(customer_id)
    stored = await db.reading(lambda conn: infra_backups.latest(conn, customer_id=customer_id))
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no infra backup for this customer")
    try:
        body = open_stored(request.app.state.vault, stored.body)
    except SealedError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the snapshot was sealed with a key this hub no longer has (configs.secret_keys)",
        ) from None
    return InfraBackup(
        customer_id=customer_id, received_at=stored.received_at, backup=json.loads(body)
    )
