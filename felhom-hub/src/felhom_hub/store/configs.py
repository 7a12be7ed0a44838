"""Managed customers' controller.yaml settings: plain identity columns and one sealed document
(the sealing itself happens in configs/records.py; this module only moves rows)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update
from sqlalchemy import delete as sa_delete

from felhom_hub.store.dialect import insert
from felhom_hub.store.schema import controller_configs, customer_configs, fleet


@dataclass(frozen=True, slots=True)
class ConfigRow:
    customer_id: str
    display_name: str
    contact_email: str
    hostname: str
    expect_restic: int | None
    expect_dbdump: int | None
    sealed: str
    sealed_with: str
    created_at: datetime
    updated_at: datetime


def put(conn: Connection, row: ConfigRow, *, stale_threshold_s: int | None) -> None:
    """Insert or replace the customer's config; the stale threshold goes to customer_configs
    (where the dead man's switch reads it)."""
    values = {
        "customer_id": row.customer_id,
        "display_name": row.display_name,
        "contact_email": row.contact_email,
        "hostname": row.hostname,
        "expect_restic": row.expect_restic,
        "expect_dbdump": row.expect_dbdump,
        "sealed": row.sealed,
        "sealed_with": row.sealed_with,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }
    changed = {k: v for k, v in values.items() if k not in ("customer_id", "created_at")}
    statement = insert(conn, controller_configs).values(**values)
    conn.execute(statement.on_conflict_do_update(index_elements=["customer_id"], set_=changed))
    conn.execute(
        update(customer_configs)
        .where(customer_configs.c.customer_id == row.customer_id)
        .values(stale_threshold_s=stale_threshold_s)
    )


def get(conn: Connection, *, customer_id: str) -> ConfigRow | None:
    query = select(controller_configs).where(controller_configs.c.customer_id == customer_id)
    found = conn.execute(query).first()
    return None if found is None else ConfigRow(*found)


def exists(conn: Connection, *, customer_id: str) -> bool:
    query = select(controller_configs.c.customer_id).where(
        controller_configs.c.customer_id == customer_id
    )
    return conn.execute(query).first() is not None


def stale_seals(conn: Connection, *, key_id: str, after: str, limit: int) -> list[tuple[str, str]]:
    """(customer_id, sealed) of configs not sealed with ``key_id``, in id order."""
    query = (
        select(controller_configs.c.customer_id, controller_configs.c.sealed)
        .where(controller_configs.c.customer_id > after)
        .where(controller_configs.c.sealed_with != key_id)
        .order_by(controller_configs.c.customer_id)
        .limit(limit)
    )
    return [(str(a), str(b)) for a, b in conn.execute(query)]


def reseal(conn: Connection, *, customer_id: str, old: str, new: str, key_id: str) -> bool:
    """Replace the sealed document when it is still ``old`` (a concurrent edit wins)."""
    statement = (
        update(controller_configs)
        .where(controller_configs.c.customer_id == customer_id)
        .where(controller_configs.c.sealed == old)
        .values(sealed=new, sealed_with=key_id)
    )
    return conn.execute(statement).rowcount == 1


def remove(conn: Connection, *, customer_id: str) -> bool:
    statement = sa_delete(controller_configs).where(controller_configs.c.customer_id == customer_id)
    return conn.execute(statement).rowcount == 1


def controller_url(conn: Connection, *, customer_id: str) -> str | None:
    """Where the customer's controller said (in its latest report) the hub can reach it."""
    query = select(fleet.c.controller_url).where(fleet.c.customer_id == customer_id)
    return conn.execute(query).scalar_one_or_none()


def set_credential_hashes(
    conn: Connection,
    *,
    customer_id: str,
    now: datetime,
    api_key_hash: str | None = None,
    retrieval_password_hash: str | None = None,
) -> bool:
    values: dict[str, object] = {"updated_at": now}
    if api_key_hash is not None:
        values["api_key_hash"] = api_key_hash
    if retrieval_password_hash is not None:
        values["retrieval_password_hash"] = retrieval_password_hash
    statement = (
        update(customer_configs)
        .where(customer_configs.c.customer_id == customer_id)
        .values(**values)
    )
    return conn.execute(statement).rowcount == 1
