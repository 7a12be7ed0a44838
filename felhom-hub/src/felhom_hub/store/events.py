"""Structured events from controllers and from the hub itself."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from felhom_hub.store.schema import events


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    customer_id: str
    event_type: str
    severity: str
    message: str
    details_json: str
    source: str
    occurred_at: datetime | None
    received_at: datetime
    dispatched: int = 1


_INSERT = insert(events).returning(events.c.id)


def add(
    conn: Connection,
    *,
    customer_id: str,
    event_type: str,
    severity: str,
    message: str,
    details_json: str,
    source: str,
    occurred_at: datetime | None,
    received_at: datetime,
) -> int:
    result = conn.execute(
        _INSERT,
        {
            "customer_id": customer_id,
            "event_type": event_type,
            "severity": severity,
            "message": message,
            "details_json": details_json,
            "source": source,
            "occurred_at": occurred_at,
            "received_at": received_at,
            "dispatched": 0,  # every new event passes the notification dispatcher
        },
    )
    return int(result.scalar_one())


@dataclass(frozen=True, slots=True)
class Query:
    customer_id: str
    since: datetime
    severities: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    before_id: int | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    event_type: str
    severity: str
    message: str
    details: dict[str, Any]
    source: str
    occurred_at: datetime | None
    received_at: datetime


def page(conn: Connection, query: Query) -> list[EventRecord]:
    """The customer's events received since ``query.since``, newest first (index seek on
    (customer_id, received_at))."""
    statement = (
        select(events)
        .where(events.c.customer_id == query.customer_id, events.c.received_at >= query.since)
        .order_by(events.c.received_at.desc(), events.c.id.desc())
        .limit(query.limit)
    )
    if query.severities:
        statement = statement.where(events.c.severity.in_(query.severities))
    if query.types:
        statement = statement.where(events.c.event_type.in_(query.types))
    if query.before_id is not None:
        statement = statement.where(events.c.id < query.before_id)
    return [
        EventRecord(
            row.id,
            row.event_type,
            row.severity,
            row.message,
            json.loads(row.details_json),
            row.source,
            row.occurred_at,
            row.received_at,
        )
        for row in conn.execute(statement)
    ]


def recent(conn: Connection, *, customer_id: str, limit: int) -> list[StoredEvent]:
    """The customer's newest events, newest first."""
    query = (
        select(events)
        .where(events.c.customer_id == customer_id)
        .order_by(events.c.id.desc())
        .limit(limit)
    )
    return [StoredEvent(*row) for row in conn.execute(query)]


def prune(conn: Connection, *, older_than: datetime, batch: int) -> int:
    doomed = select(events.c.id).where(events.c.received_at < older_than).limit(batch)
    return conn.execute(delete(events).where(events.c.id.in_(doomed))).rowcount


def undispatched(conn: Connection) -> int:
    """Events the notification dispatcher has not decided on yet (partial-index read)."""
    query = select(func.count()).select_from(events).where(events.c.dispatched == 0)
    return int(conn.execute(query).scalar_one())


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


def severity_counts(
    conn: Connection, *, customer_ids: list[str], since: datetime
) -> dict[str, dict[str, int]]:
    """Per customer, how many events of each severity arrived since ``since`` (one index range
    on (customer_id, received_at) per customer; customers without events are left out)."""
    if not customer_ids:
        return {}
    statement = (
        select(events.c.customer_id, events.c.severity, func.count())
        .where(events.c.customer_id.in_(customer_ids), events.c.received_at >= since)
        .group_by(events.c.customer_id, events.c.severity)
    )
    counts: dict[str, dict[str, int]] = {}
    for customer_id, severity, n in conn.execute(statement):
        counts.setdefault(customer_id, {})[severity] = int(n)
    return counts
