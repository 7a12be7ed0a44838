"""Slots of scheduled jobs: taking one is an insert that only one process can win."""

from datetime import datetime

from sqlalchemy import Connection

from felhom_hub.store.dialect import insert
from felhom_hub.store.schema import job_runs


def take(conn: Connection, *, job: str, slot: str, now: datetime) -> bool:
    """True for the one caller that takes ``slot`` of ``job`` (across restarts and processes)."""
    statement = insert(conn, job_runs).values(job=job, slot=slot, ran_at=now)
    return conn.execute(statement.on_conflict_do_nothing()).rowcount == 1
