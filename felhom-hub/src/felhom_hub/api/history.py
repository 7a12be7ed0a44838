"""Reading a customer's past: metric history, whole raw reports, events."""

import re
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy import Connection

from felhom_hub.api.auth import Caller
from felhom_hub.api.deps import AppSettings, Db, Now
from felhom_hub.api.fleet import READ_ERRORS, CustomerPath
from felhom_hub.api.responses import (
    EventList,
    History,
    RawReportItem,
    RawReportList,
    serialized,
)
from felhom_hub.events import EventType, Severity
from felhom_hub.history import Resolution, choose
from felhom_hub.store import events, reports, series

router = APIRouter(prefix="/api/v1", tags=["history"])

MAX_PERIOD = timedelta(days=3660)
MAX_ID = 2**63 - 1  # SQLite's largest integer
PAGE_BYTES = 2 * 1024 * 1024  # raw reports per page are bounded by size too (peak memory)
_PERIOD = re.compile(r"([1-9][0-9]{0,5})([hd])")
Period = Annotated[str, Query(description="'<N>h' or '<N>d', at most 3660 days")]


def parse_period(text: str) -> timedelta:
    """``"12h"`` or ``"7d"`` → timedelta; ValueError for anything else or beyond the bound."""
    match = _PERIOD.fullmatch(text)
    if not match:
        raise ValueError("period must look like '24h' or '7d'")
    amount, unit = int(match.group(1)), match.group(2)
    period = timedelta(hours=amount) if unit == "h" else timedelta(days=amount)
    if period > MAX_PERIOD:
        raise ValueError("period is longer than 3660 days")
    return period


def _since(now: datetime, period: str) -> datetime:
    try:
        return now - parse_period(period)
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None


@router.get("/customers/{customer_id}/history", responses=READ_ERRORS, response_model=History)
async def metric_history(
    customer_id: CustomerPath,
    caller: Caller,
    db: Db,
    now: Now,
    settings: AppSettings,
    period: Period = "7d",
    resolution: Annotated[
        str, Query(pattern="^(auto|15m|1h|1d)$", description="bucket width; auto fits the period")
    ] = "auto",
) -> Response:
    """The customer's metric series over the period, one point per bucket, oldest first."""
    caller.require(customer_id)
    since = _since(now, period)
    chosen = (
        choose(now - since, settings.retention)
        if resolution == "auto"
        else Resolution.parse(resolution)
    )

    def read(conn: Connection) -> Response:
        found = series.points(conn, customer_id=customer_id, resolution=chosen, since=since)
        history = History(
            customer_id=customer_id,
            period=period,
            resolution=chosen.label,
            since=since,
            points=found,
        )
        return serialized(history, 200)

    return await db.reading(read)


@router.get("/customers/{customer_id}/reports", responses=READ_ERRORS, response_model=RawReportList)
async def raw_reports(
    customer_id: CustomerPath,
    caller: Caller,
    db: Db,
    now: Now,
    period: Period = "1d",
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="the previous page's 'next'")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    """Whole reports still in the raw window (``retention.raw_days``), newest first; a page
    holds at most ``limit`` reports and about 2 MB (then ``next`` continues)."""
    caller.require(customer_id)
    since = _since(now, period)

    def read(conn: Connection) -> Response:
        page, more = reports.raw_page(
            conn,
            customer_id=customer_id,
            before_id=before,
            since=since,
            limit=limit,
            max_bytes=PAGE_BYTES,
        )
        items = [RawReportItem(id=r.id, received_at=r.received_at, report=r.report) for r in page]
        nxt = items[-1].id if more and items else None
        return serialized(RawReportList(customer_id=customer_id, reports=items, next=nxt), 200)

    return await db.reading(read)


@router.get("/customers/{customer_id}/events", responses=READ_ERRORS, response_model=EventList)
async def customer_events(
    customer_id: CustomerPath,
    caller: Caller,
    db: Db,
    now: Now,
    period: Period = "7d",
    severity: Annotated[list[Severity] | None, Query(description="repeat for several")] = None,
    event_type: Annotated[list[EventType] | None, Query(alias="type")] = None,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="the previous page's 'next'")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """The customer's events received within the period, newest first."""
    caller.require(customer_id)
    query = events.Query(
        customer_id=customer_id,
        since=_since(now, period),
        severities=tuple(s.value for s in severity or ()),
        types=tuple(t.value for t in event_type or ()),
        before_id=before,
        limit=limit,
    )

    def read(conn: Connection) -> Response:
        found = events.page(conn, query)
        nxt = found[-1].id if len(found) == limit else None
        return serialized(EventList(customer_id=customer_id, events=found, next=nxt), 200)

    return await db.reading(read)
