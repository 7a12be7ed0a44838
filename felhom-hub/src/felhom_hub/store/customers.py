"""Customer configs: state (active/blocked) and the hashes of their credentials."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from felhom_hub.store.schema import customer_configs


@dataclass(frozen=True, slots=True)
class CustomerConfig:
    customer_id: str
    status: str
    api_key_hash: str | None
    retrieval_password_hash: str | None
    created_at: datetime
    updated_at: datetime


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
    if get(conn, customer_id=customer_id) is not None:
        raise CustomerExistsError(customer_id)
    conn.execute(
        insert(customer_configs),
        {
            "customer_id": customer_id,
            "status": "active",
            "api_key_hash": api_key_hash,
            "retrieval_password_hash": retrieval_password_hash,
            "created_at": now,
            "updated_at": now,
        },
    )


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
