"""The numbered migrations in ``migrations/``: ``NNNN_name.sql`` files, or ``NNNN_name.py``
modules with an ``upgrade(conn)`` function for steps SQL cannot do (moving data that must be
compressed or computed). All pending ones run in the caller's single transaction, so an
upgrade either completes or leaves the database as it was.
"""

import importlib
from collections.abc import Callable
from importlib import resources

from sqlalchemy import Connection, text

from felhom_hub.clock import utcnow
from felhom_hub.store.schema import to_text

Step = Callable[[Connection], None]


def available_migrations() -> list[tuple[int, str, Step]]:
    """(version, name, step) for every migration, ordered by version."""
    folder = resources.files("felhom_hub.store") / "migrations"
    found: list[tuple[int, str, Step]] = []
    for entry in folder.iterdir():
        name = entry.name
        if not name[:4].isdigit():
            continue
        if name.endswith(".sql"):
            found.append((int(name[:4]), name, _sql_step(entry.read_text())))
        elif name.endswith(".py"):
            module = importlib.import_module(f"felhom_hub.store.migrations.{name[:-3]}")
            found.append((int(name[:4]), name, module.upgrade))
    return sorted(found, key=lambda item: item[0])


def apply_migrations(conn: Connection) -> list[str]:
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = set(conn.exec_driver_sql("SELECT version FROM schema_migrations").scalars())
    applied: list[str] = []
    for version, name, step in available_migrations():
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
