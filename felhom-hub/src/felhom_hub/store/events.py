"""Structured events from controllers and from the hub itself."""

from dataclasses import dataclass
from datetime import datetime

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
        },
    )
    return int(result.scalar_one())


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


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(events)).scalar_one())
