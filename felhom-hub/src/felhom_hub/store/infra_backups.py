"""Disaster-recovery snapshots: the newest N per customer are kept, the newest is served."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from felhom_hub.store.schema import infra_backups


@dataclass(frozen=True, slots=True)
class StoredBackup:
    id: int
    customer_id: str
    received_at: datetime
    body: str
    sealed_with: str | None = None  # the sealing key's id; None: a plaintext body


def add(
    conn: Connection,
    *,
    customer_id: str,
    received_at: datetime,
    body: str,
    sealed_with: str | None = None,
) -> int:
    values = {"customer_id": customer_id, "received_at": received_at, "body": body}
    result = conn.execute(
        insert(infra_backups).returning(infra_backups.c.id), {**values, "sealed_with": sealed_with}
    )
    return int(result.scalar_one())


def stale_seals(conn: Connection, *, key_id: str, after: int, limit: int) -> list[tuple[int, str]]:
    """(id, body) of snapshots not sealed with ``key_id`` (plaintext ones included)."""
    query = (
        select(infra_backups.c.id, infra_backups.c.body)
        .where(infra_backups.c.id > after)
        .where(infra_backups.c.sealed_with.is_(None) | (infra_backups.c.sealed_with != key_id))
        .order_by(infra_backups.c.id)
        .limit(limit)
    )
    return [(int(i), str(b)) for i, b in conn.execute(query)]


def reseal(conn: Connection, *, backup_id: int, old: str, new: str, key_id: str) -> bool:
    statement = (
        update(infra_backups)
        .where(infra_backups.c.id == backup_id, infra_backups.c.body == old)
        .values(body=new, sealed_with=key_id)
    )
    return conn.execute(statement).rowcount == 1


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
