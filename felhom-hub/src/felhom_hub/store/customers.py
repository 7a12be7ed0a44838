"""Customer configs: state (active/blocked) and the hashes of their credentials."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update
from sqlalchemy import delete as sa_delete

from felhom_hub.store import fleet
from felhom_hub.store.dialect import insert
from felhom_hub.store.schema import customer_configs
from felhom_hub.store.schema import fleet as fleet_table


@dataclass(frozen=True, slots=True)
class CustomerConfig:
    customer_id: str
    status: str
    api_key_hash: str | None
    retrieval_password_hash: str | None
    created_at: datetime
    updated_at: datetime
    stale_threshold_s: int | None = None

    @property
    def blocked(self) -> bool:
        return self.status == "blocked"


class CustomerExistsError(Exception):
    pass


def create(
    conn: Connection,
    *,
    customer_id: str,
    api_key_hash: str,
    retrieval_password_hash: str,
    now: datetime,
) -> None:
    """Insert an active customer; CustomerExistsError when the id is taken."""
    statement = (
        insert(conn, customer_configs)
        .values(
            customer_id=customer_id,
            status="active",
            api_key_hash=api_key_hash,
            retrieval_password_hash=retrieval_password_hash,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["customer_id"])
    )
    if conn.execute(statement).rowcount != 1:
        raise CustomerExistsError(customer_id)
    fleet.ensure(conn, customer_id=customer_id)


def get(conn: Connection, *, customer_id: str) -> CustomerConfig | None:
    query = select(customer_configs).where(customer_configs.c.customer_id == customer_id)
    row = conn.execute(query).first()
    return None if row is None else CustomerConfig(*row)


def by_api_key_hash(conn: Connection, *, api_key_hash: str) -> CustomerConfig | None:
    query = select(customer_configs).where(customer_configs.c.api_key_hash == api_key_hash)
    row = conn.execute(query).first()
    return None if row is None else CustomerConfig(*row)


def all_configs(conn: Connection) -> list[CustomerConfig]:
    query = select(customer_configs).order_by(customer_configs.c.customer_id)
    return [CustomerConfig(*row) for row in conn.execute(query)]


def set_status(conn: Connection, *, customer_id: str, status: str, now: datetime) -> bool:
    """Set active/blocked; False when there is no such customer."""
    result = conn.execute(
        update(customer_configs)
        .where(customer_configs.c.customer_id == customer_id)
        .values(status=status, updated_at=now)
    )
    return result.rowcount == 1


def delete(conn: Connection, *, customer_id: str) -> bool:
    """Forget the customer's config and its fleet row (history stays until retention drops it).

    A node that keeps reporting with the global key comes back as a manual customer.
    """
    removed = conn.execute(
        sa_delete(customer_configs).where(customer_configs.c.customer_id == customer_id)
    ).rowcount
    removed += conn.execute(
        sa_delete(fleet_table).where(fleet_table.c.customer_id == customer_id)
    ).rowcount
    return removed > 0
