"""The operator's dashboard password after an on-login upgrade of a legacy bcrypt hash."""

import hashlib
from datetime import datetime

from sqlalchemy import Connection, text

from felhom_hub.store.schema import to_text


def _fingerprint(configured: str) -> str:
    return hashlib.sha256(configured.encode()).hexdigest()


def upgraded_hash(conn: Connection, *, configured: str) -> str | None:
    """The Argon2 hash that replaced ``configured`` on a login, if it did."""
    row = conn.execute(
        text("SELECT password_hash FROM operator_password WHERE configured_fingerprint = :f"),
        {"f": _fingerprint(configured)},
    ).first()
    return None if row is None else str(row[0])


def save_upgrade(conn: Connection, *, configured: str, password_hash: str, now: datetime) -> None:
    conn.execute(
        text(
            "INSERT INTO operator_password VALUES (1, :f, :h, :at) ON CONFLICT (id) DO UPDATE SET"
            " configured_fingerprint = excluded.configured_fingerprint,"
            " password_hash = excluded.password_hash, upgraded_at = excluded.upgraded_at"
        ),
        {"f": _fingerprint(configured), "h": password_hash, "at": to_text(now)},
    )
