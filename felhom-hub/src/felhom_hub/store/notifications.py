"""Notification preferences per customer, and the notification log (relay queue included)."""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from felhom_hub.store.schema import customer_notifications, notification_log


@dataclass(frozen=True, slots=True)
class Preferences:
    customer_id: str
    email: str
    enabled_events: list[str]
    cooldown_hours: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LogEntry:
    id: int
    customer_id: str
    channel: str
    event_type: str | None
    subject: str
    message: str
    status: str
    error: str | None
    created_at: datetime
    finished_at: datetime | None


def save_preferences(
    conn: Connection,
    *,
    customer_id: str,
    email: str,
    enabled_events: list[str],
    cooldown_hours: int,
    now: datetime,
) -> None:
    values = {
        "email": email,
        "enabled_events": json.dumps(enabled_events),
        "cooldown_hours": cooldown_hours,
        "updated_at": now,
    }
    statement = sqlite_insert(customer_notifications).values(customer_id=customer_id, **values)
    conn.execute(statement.on_conflict_do_update(index_elements=["customer_id"], set_=values))


def preferences(conn: Connection, *, customer_id: str) -> Preferences | None:
    query = select(customer_notifications).where(
        customer_notifications.c.customer_id == customer_id
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    return Preferences(
        row.customer_id,
        row.email,
        json.loads(row.enabled_events),
        row.cooldown_hours,
        row.updated_at,
    )


def enqueue(
    conn: Connection,
    *,
    customer_id: str,
    channel: str,
    event_type: str | None,
    subject: str,
    message: str,
    now: datetime,
) -> int:
    """Record a notification to be dispatched later (status 'queued')."""
    result = conn.execute(
        insert(notification_log).returning(notification_log.c.id),
        {
            "customer_id": customer_id,
            "channel": channel,
            "event_type": event_type,
            "subject": subject,
            "message": message,
            "status": "queued",
            "created_at": now,
        },
    )
    return int(result.scalar_one())


def log_for(conn: Connection, *, customer_id: str) -> list[LogEntry]:
    query = (
        select(notification_log)
        .where(notification_log.c.customer_id == customer_id)
        .order_by(notification_log.c.id)
    )
    return [LogEntry(*row) for row in conn.execute(query)]


def recent_log(conn: Connection, *, customer_id: str, limit: int) -> list[LogEntry]:
    """The customer's newest notifications, newest first."""
    query = (
        select(notification_log)
        .where(notification_log.c.customer_id == customer_id)
        .order_by(notification_log.c.id.desc())
        .limit(limit)
    )
    return [LogEntry(*row) for row in conn.execute(query)]
