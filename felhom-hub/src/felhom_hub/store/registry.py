"""The newest controller version found in the registry, and how the last check went."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from felhom_hub.store.dialect import insert
from felhom_hub.store.schema import registry_state


@dataclass(frozen=True, slots=True)
class RegistryState:
    image: str
    newest: str | None
    found_at: datetime | None
    checked_at: datetime
    error: str | None


def record(
    conn: Connection, *, image: str, newest: str | None, error: str | None, now: datetime
) -> None:
    """A check's outcome; a failed check keeps the last version found."""
    values: dict[str, object] = {"checked_at": now, "error": error}
    if newest is not None:
        values.update(newest=newest, found_at=now)
    statement = insert(conn, registry_state).values(image=image, **values)
    conn.execute(statement.on_conflict_do_update(index_elements=["image"], set_=values))


def state(conn: Connection, *, image: str) -> RegistryState | None:
    row = conn.execute(select(registry_state).where(registry_state.c.image == image)).first()
    return None if row is None else RegistryState(*row)
