"""Maintenance windows: while one is open, a customer's events are recorded but not notified."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from felhom_hub.store.schema import maintenance_windows

_W = maintenance_windows.c


@dataclass(frozen=True, slots=True)
class Window:
    id: int
    customer_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_at: datetime


def add(
    conn: Connection,
    *,
    customer_id: str,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    now: datetime,
) -> int:
    values = {
        "customer_id": customer_id,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "reason": reason,
        "created_at": now,
    }
    return int(conn.execute(insert(maintenance_windows).returning(_W.id), values).scalar_one())


def windows(conn: Connection, *, customer_id: str, ending_after: datetime) -> list[Window]:
    """The customer's windows that have not ended, soonest first."""
    query = (
        select(maintenance_windows)
        .where(_W.customer_id == customer_id, _W.ends_at > ending_after)
        .order_by(_W.starts_at)
    )
    return [Window(*row) for row in conn.execute(query)]


def active(conn: Connection, *, customer_id: str, at: datetime) -> bool:
    query = (
        select(_W.id)
        .where(_W.customer_id == customer_id, _W.ends_at > at, _W.starts_at <= at)
        .limit(1)
    )
    return conn.execute(query).first() is not None


def remove(conn: Connection, *, customer_id: str, window_id: int) -> bool:
    statement = delete(maintenance_windows).where(_W.id == window_id, _W.customer_id == customer_id)
    return conn.execute(statement).rowcount == 1
