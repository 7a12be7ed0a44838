"""The fleet list: one row per known customer, read a page at a time in customer-id order."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from felhom_hub.store.dialect import insert
from felhom_hub.store.schema import customer_configs, fleet


@dataclass(frozen=True, slots=True)
class FleetRow:
    """A customer as the fleet list shows it; report fields are None before its first report."""

    customer_id: str
    managed: bool
    blocked: bool
    received_at: datetime | None
    controller_version: str | None
    health: str | None
    hostname: str | None
    controller_url: str | None
    monitoring_paused: bool


_ROW = select(
    fleet.c.customer_id,
    customer_configs.c.status,
    fleet.c.received_at,
    fleet.c.controller_version,
    fleet.c.health,
    fleet.c.hostname,
    fleet.c.controller_url,
    fleet.c.monitoring_paused,
).outerjoin(customer_configs, customer_configs.c.customer_id == fleet.c.customer_id)


def ensure(conn: Connection, *, customer_id: str) -> None:
    """Make the customer known to the fleet list (a config created before any report)."""
    statement = insert(conn, fleet).values(customer_id=customer_id, monitoring_paused=0)
    conn.execute(statement.on_conflict_do_nothing(index_elements=["customer_id"]))


def page(
    conn: Connection, *, after: str | None, limit: int, only: str | None = None
) -> list[FleetRow]:
    """Up to ``limit`` customers with ids after ``after``, in id order (``only``: that one)."""
    query = _ROW.order_by(fleet.c.customer_id).limit(limit)
    if after is not None:
        query = query.where(fleet.c.customer_id > after)
    if only is not None:
        query = query.where(fleet.c.customer_id == only)
    return [
        FleetRow(
            customer_id=row.customer_id,
            managed=row.status is not None,
            blocked=row.status == "blocked",
            received_at=row.received_at,
            controller_version=row.controller_version,
            health=row.health,
            hostname=row.hostname,
            controller_url=row.controller_url,
            monitoring_paused=bool(row.monitoring_paused),
        )
        for row in conn.execute(query)
    ]


def customer_ids(conn: Connection, *, after: str | None, limit: int) -> list[str]:
    query = select(fleet.c.customer_id).order_by(fleet.c.customer_id).limit(limit)
    if after is not None:
        query = query.where(fleet.c.customer_id > after)
    return list(conn.execute(query).scalars())
