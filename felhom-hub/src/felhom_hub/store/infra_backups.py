"""Disaster-recovery snapshots: the newest N per customer are kept, the newest is served."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select

from felhom_hub.store.schema import infra_backups


@dataclass(frozen=True, slots=True)
class StoredBackup:
    id: int
    customer_id: str
    received_at: datetime
    body: str


def add(conn: Connection, *, customer_id: str, received_at: datetime, body: str) -> int:
    result = conn.execute(
        insert(infra_backups).returning(infra_backups.c.id),
        {"customer_id": customer_id, "received_at": received_at, "body": body},
    )
    return int(result.scalar_one())


def latest(conn: Connection, *, customer_id: str) -> StoredBackup | None:
    query = (
        select(infra_backups)
        .where(infra_backups.c.customer_id == customer_id)
        .order_by(infra_backups.c.id.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return None if row is None else StoredBackup(*row)


def trim(conn: Connection, *, customer_id: str, keep: int) -> int:
    """Delete the customer's snapshots beyond its ``keep`` newest (index seeks only)."""
    newest = (
        select(infra_backups.c.id)
        .where(infra_backups.c.customer_id == customer_id)
        .order_by(infra_backups.c.id.desc())
        .limit(keep)
    )
    statement = delete(infra_backups).where(
        infra_backups.c.customer_id == customer_id, infra_backups.c.id.not_in(newest)
    )
    return conn.execute(statement).rowcount


def count(conn: Connection, *, customer_id: str) -> int:
    query = select(func.count()).where(infra_backups.c.customer_id == customer_id)
    return int(conn.execute(query).scalar_one())
