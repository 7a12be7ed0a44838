"""The numbered migrations in ``migrations/<engine>/``: ``NNNN_name.sql`` files, or
``NNNN_name.py`` modules with an ``upgrade(conn)`` function for steps SQL cannot do (moving data
that must be compressed or computed). All pending ones run in the caller's single transaction,
so an upgrade either completes or leaves the database as it was.

Each engine has its own folder: PostgreSQL starts at 0006 (the schema SQLite reached by then);
from there on every migration comes as a pair with the same number, so the two engines' version
numbers mean the same schema (``felhom-hub migrate-data`` checks that). On PostgreSQL the
upgrade first takes an advisory lock, so replicas starting together migrate one at a time.
"""

import importlib
from collections.abc import Callable
from importlib import resources

from sqlalchemy import Connection, inspect, text

from felhom_hub.clock import utcnow
from felhom_hub.store.schema import to_text

Step = Callable[[Connection], None]


# Any constant: the key of the advisory lock that serialises migrations across replicas.
_MIGRATION_LOCK = 0x46454C484F4D


def available_migrations(engine: str = "sqlite") -> list[tuple[int, str, Step]]:
    """(version, name, step) for every migration of ``engine`` (a dialect name), by version."""
    folder = resources.files("felhom_hub.store") / "migrations" / engine
    found: list[tuple[int, str, Step]] = []
    for entry in folder.iterdir():
        name = entry.name
        if not name[:4].isdigit():
            continue
        if name.endswith(".sql"):
            found.append((int(name[:4]), name, _sql_step(entry.read_text())))
        elif name.endswith(".py"):
            module = importlib.import_module(f"felhom_hub.store.migrations.{engine}.{name[:-3]}")
            found.append((int(name[:4]), name, module.upgrade))
    return sorted(found, key=lambda item: item[0])


def apply_migrations(conn: Connection) -> list[str]:
    engine = conn.dialect.name
    if engine == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = set(conn.exec_driver_sql("SELECT version FROM schema_migrations").scalars())
    applied: list[str] = []
    for version, name, step in available_migrations(engine):
        if version in done:
            continue
        step(conn)
        conn.execute(
            text("INSERT INTO schema_migrations VALUES (:v, :n, :t)"),
            {"v": version, "n": name, "t": to_text(utcnow())},
        )
        applied.append(name)
    return applied


def _sql_step(sql: str) -> Step:
    def run(conn: Connection) -> None:
        for statement in _statements(sql):
            conn.exec_driver_sql(statement)

    return run


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def current_version(conn: Connection) -> int | None:
    """The newest migration applied; None for a database the hub never migrated."""
    if not inspect(conn).has_table("schema_migrations"):
        return None
    found = conn.exec_driver_sql("SELECT max(version) FROM schema_migrations").scalar()
    return None if found is None else int(found)
