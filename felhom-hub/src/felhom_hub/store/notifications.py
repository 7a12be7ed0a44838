"""Notification preferences per customer, and the notification log (relay queue included)."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from felhom_hub.store.dialect import insert as upsert_insert
from felhom_hub.store.schema import customer_notifications, events, notification_log


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
    event_id: int | None
    recipient: str | None
    subject: str
    message: str
    status: str
    reason: str | None
    error: str | None
    attempts: int
    next_attempt_at: datetime | None
    claimed_at: datetime | None
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
    statement = upsert_insert(conn, customer_notifications)
    statement = statement.values(customer_id=customer_id, **values)
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


@dataclass(frozen=True, slots=True)
class ClaimedEvent:
    id: int
    customer_id: str
    event_type: str
    severity: str
    message: str
    details: dict[str, Any]
    received_at: datetime


def claim_events(conn: Connection, *, limit: int) -> list[ClaimedEvent]:
    """Take up to ``limit`` events that have not passed the dispatcher; in the caller's
    transaction, so with the decisions recorded there each event is decided exactly once."""
    pending = select(events.c.id).where(events.c.dispatched == 0).order_by(events.c.id).limit(limit)
    statement = (
        update(events)
        .where(events.c.id.in_(pending), events.c.dispatched == 0)
        .values(dispatched=1)
        .returning(
            events.c.id,
            events.c.customer_id,
            events.c.event_type,
            events.c.severity,
            events.c.message,
            events.c.details_json,
            events.c.received_at,
        )
    )
    claimed = [
        ClaimedEvent(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6])
        for r in conn.execute(statement)
    ]
    return sorted(claimed, key=lambda e: e.id)


_NOTIFIED = ("queued", "sending", "sent")


def notified_since(
    conn: Connection, *, customer_id: str, channel: str, event_type: str, since: datetime
) -> bool:
    """Whether a notice of this type went (or is going) out on the channel since ``since``."""
    log = notification_log.c
    query = (
        select(log.id)
        .where(log.customer_id == customer_id, log.channel == channel)
        .where(log.event_type == event_type, log.created_at >= since)
        .where(log.status.in_(_NOTIFIED))
        .limit(1)
    )
    return conn.execute(query).first() is not None


def heard_outage(conn: Connection, *, customer_id: str, channel: str) -> bool:
    """Whether the channel's latest node notice was an outage (stale/down), not a recovery."""
    log = notification_log.c
    query = (
        select(log.event_type)
        .where(log.customer_id == customer_id, log.channel == channel)
        .where(log.event_type.in_(("node_stale", "node_down", "node_recovered")))
        .where(log.status.in_(_NOTIFIED))
        .order_by(log.id.desc())
        .limit(1)
    )
    latest = conn.execute(query).scalar()
    return latest in ("node_stale", "node_down")


def flap_summary_since(conn: Connection, *, customer_id: str, since: datetime) -> bool:
    log = notification_log.c
    query = (
        select(log.id)
        .where(log.customer_id == customer_id, log.reason == FLAP_SUMMARY)
        .where(log.created_at >= since)
        .limit(1)
    )
    return conn.execute(query).first() is not None


def node_transitions_since(conn: Connection, *, customer_id: str, since: datetime) -> int:
    query = (
        select(func.count())
        .select_from(events)
        .where(events.c.customer_id == customer_id, events.c.received_at >= since)
        .where(events.c.event_type.in_(("node_stale", "node_down", "node_recovered")))
    )
    return int(conn.execute(query).scalar_one())


FLAP_SUMMARY = "flap summary"


@dataclass(frozen=True, slots=True)
class Entry:
    """A decision to record in the log."""

    customer_id: str
    channel: str
    event_type: str | None
    event_id: int | None
    recipient: str | None
    subject: str
    message: str
    status: str
    reason: str | None = None


def record(conn: Connection, entry: Entry, *, now: datetime) -> int:
    values = {
        "customer_id": entry.customer_id,
        "channel": entry.channel,
        "event_type": entry.event_type,
        "event_id": entry.event_id,
        "recipient": entry.recipient,
        "subject": entry.subject,
        "message": entry.message,
        "status": entry.status,
        "reason": entry.reason,
        "attempts": 0,
        "created_at": now,
        "finished_at": None if entry.status == "queued" else now,
    }
    result = conn.execute(insert(notification_log).returning(notification_log.c.id), values)
    return int(result.scalar_one())


def claim_due(conn: Connection, *, now: datetime, lease: timedelta, limit: int) -> list[LogEntry]:
    """Claim queued notifications that are due (``sending``); a claim older than ``lease``
    whose sender died is queued again first, so it is retried, not lost."""
    log = notification_log.c
    conn.execute(
        update(notification_log)
        .where(log.status == "sending", log.claimed_at < now - lease)
        .values(status="queued")
    )
    due = (
        select(log.id)
        .where(log.status == "queued")
        .where(or_(log.next_attempt_at.is_(None), log.next_attempt_at <= now))
        .order_by(log.id)
        .limit(limit)
    )
    statement = (
        update(notification_log)
        .where(log.id.in_(due), log.status == "queued")
        .values(status="sending", claimed_at=now, attempts=log.attempts + 1)
        .returning(*notification_log.c)
    )
    return sorted((LogEntry(*row) for row in conn.execute(statement)), key=lambda e: e.id)


def finish(
    conn: Connection,
    *,
    entry_id: int,
    status: str,
    now: datetime,
    error: str | None = None,
    retry_at: datetime | None = None,
    claimed_at: datetime | None = None,
) -> bool:
    """Record a send's outcome (``queued`` again with ``retry_at`` for a retry); False when the
    claim was lost (another sender re-queued it after the lease — and, given ``claimed_at``,
    perhaps claimed it again: that sender's outcome is the one recorded)."""
    log = notification_log.c
    values: dict[str, Any] = {"status": status, "error": error, "next_attempt_at": retry_at}
    values["finished_at"] = None if status == "queued" else now
    mine = [log.id == entry_id, log.status == "sending"]
    if claimed_at is not None:
        mine.append(log.claimed_at == claimed_at)
    statement = update(notification_log).where(*mine).values(values)
    return conn.execute(statement).rowcount == 1


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
