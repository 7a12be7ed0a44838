"""The last good controller.yaml.example from registry.template_url and the latest attempt."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from felhom_hub.store.dialect import insert
from felhom_hub.store.schema import config_template


@dataclass(frozen=True, slots=True)
class TemplateState:
    id: int
    source: str
    body: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: datetime | None
    checked_at: datetime
    error: str | None


def get(conn: Connection) -> TemplateState | None:
    row = conn.execute(select(config_template)).first()
    return None if row is None else TemplateState(*row)


def record_good(
    conn: Connection,
    *,
    source: str,
    body: str,
    etag: str | None,
    last_modified: str | None,
    now: datetime,
) -> None:
    values: dict[str, object] = {
        "source": source,
        "body": body,
        "etag": etag,
        "last_modified": last_modified,
        "fetched_at": now,
        "checked_at": now,
        "error": None,
    }
    statement = insert(conn, config_template).values(id=1, **values)
    conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))


def record_unchanged(conn: Connection, *, now: datetime) -> None:
    """A 304: the stored copy is current."""
    conn.execute(config_template.update().values(checked_at=now, error=None))


def record_failure(conn: Connection, *, source: str, error: str, now: datetime) -> None:
    """A failed attempt: the last good body stays."""
    values: dict[str, object] = {"checked_at": now, "error": error}
    statement = insert(conn, config_template).values(id=1, source=source, **values)
    conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))
