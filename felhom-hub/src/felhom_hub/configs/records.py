"""Between a :class:`StoredConfig` and its row: the sealed document in, out, and re-sealed."""

import json
from datetime import datetime

from sqlalchemy import Connection

from felhom_hub.configs.model import (
    Credentials,
    ManagedConfig,
    StoredConfig,
    from_document,
    sealed_document,
)
from felhom_hub.configs.vault import Vault
from felhom_hub.store import configs as rows


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def save(
    conn: Connection,
    vault: Vault,
    stored: StoredConfig,
    *,
    now: datetime,
    created_at: datetime | None = None,
) -> None:
    config = stored.config
    document = json.dumps(sealed_document(config, stored.credentials), sort_keys=True)
    row = rows.ConfigRow(
        customer_id=config.customer_id,
        display_name=config.display_name,
        contact_email=config.contact_email,
        hostname=config.hostname,
        expect_restic=_flag(config.expect_restic),
        expect_dbdump=_flag(config.expect_dbdump),
        sealed=vault.seal_text(document),
        sealed_with=vault.key_id,
        created_at=created_at or now,
        updated_at=now,
    )
    minutes = config.stale_threshold_minutes
    rows.put(conn, row, stale_threshold_s=None if minutes is None else minutes * 60)


def load(conn: Connection, vault: Vault, customer_id: str) -> StoredConfig | None:
    """The customer's config, opened; None without one; SealedError without its key."""
    row = rows.get(conn, customer_id=customer_id)
    if row is None:
        return None
    plain = {
        "customer_id": row.customer_id,
        "display_name": row.display_name,
        "contact_email": row.contact_email,
        "hostname": row.hostname,
        "expect_restic": None if row.expect_restic is None else bool(row.expect_restic),
        "expect_dbdump": None if row.expect_dbdump is None else bool(row.expect_dbdump),
    }
    return from_document(plain, json.loads(vault.open_text(row.sealed)))


def update_config(
    conn: Connection, vault: Vault, config: ManagedConfig, *, now: datetime
) -> StoredConfig | None:
    """Replace the editable part, keeping the credentials; None when there is no config."""
    current = load(conn, vault, config.customer_id)
    if current is None:
        return None
    stored = StoredConfig(config, current.credentials)
    save(conn, vault, stored, now=now)
    return stored


def update_credentials(
    conn: Connection, vault: Vault, customer_id: str, credentials: Credentials, *, now: datetime
) -> bool:
    current = load(conn, vault, customer_id)
    if current is None:
        return False
    save(conn, vault, StoredConfig(current.config, credentials), now=now)
    return True
