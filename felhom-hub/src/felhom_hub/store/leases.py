"""Job leases: which hub process runs a background job, so that replicas sharing one database
run each job once per tick. A lease is a row (job, holder, expires_at in epoch milliseconds);
``acquire`` takes it when it is free, expired or already the caller's, and renews it — one
compare-and-set UPDATE, so two processes can never both hold it (PostgreSQL re-checks the WHERE
against the row a concurrent winner committed; SQLite runs one writer at a time)."""

from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, or_, select, update

from felhom_hub.store.dialect import insert
from felhom_hub.store.schema import job_leases


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def acquire(conn: Connection, *, job: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew ``job``'s lease for ``holder`` until ``now + ttl``; False while another
    holder's lease has not expired."""
    expires = _ms(now + ttl)
    created = insert(conn, job_leases).values(job=job, holder=holder, expires_at=expires)
    if conn.execute(created.on_conflict_do_nothing()).rowcount == 1:
        return True
    lease = job_leases.c
    taken = (
        update(job_leases)
        .where(lease.job == job, or_(lease.holder == holder, lease.expires_at <= _ms(now)))
        .values(holder=holder, expires_at=expires)
    )
    return conn.execute(taken).rowcount == 1


def release(conn: Connection, *, job: str, holder: str) -> bool:
    """Give ``job``'s lease up if ``holder`` has it (a clean shutdown): another process may take
    it at its next tick instead of waiting for the expiry."""
    lease = job_leases.c
    gone = delete(job_leases).where(lease.job == job, lease.holder == holder)
    return conn.execute(gone).rowcount == 1


def holders(conn: Connection) -> dict[str, tuple[str, int]]:
    """Every job's (holder, expires_at epoch ms), for status pages and tests."""
    rows = conn.execute(select(job_leases).order_by(job_leases.c.job))
    return {row.job: (row.holder, row.expires_at) for row in rows}
