"""What differs between SQLite and PostgreSQL for the store's statements, in one place.

Most queries are SQLAlchemy Core and run on either engine as they are. Two things are not:

- **Upserts**: each dialect has its own ``insert()`` with ``on_conflict_do_…``; ``insert``
  picks the connection's.
- **The ingest hot path** talks to the DB-API driver directly, because SQLAlchemy's
  per-statement work cost more than SQLite's own (~60 us against ~8 us a statement, and a report
  takes four). Its SQL is written once, with SQLite's ``?`` and ``:name`` placeholders;
  ``driver`` hands back the sqlite3 connection itself, or for psycopg a thin wrapper that
  rewrites the placeholders (once per statement text) to psycopg's ``%s`` / ``%(name)s``.
"""

import functools
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


class Rows(Protocol):
    """What the hot path uses of a DB-API cursor."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


class Driver(Protocol):
    def execute(self, sql: str, params: Any = ..., /) -> Rows: ...

    def executemany(self, sql: str, rows: Any, /) -> Any: ...


def is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def insert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT for ``table`` (both offer ``on_conflict_do_nothing/update``)."""
    return postgresql_insert(table) if is_postgresql(conn) else sqlite_insert(table)


def driver(conn: Connection) -> Driver:
    """The DB-API connection under a SQLAlchemy one, taking SQLite-style placeholders."""
    dbapi = conn.connection.driver_connection
    if isinstance(dbapi, sqlite3.Connection):
        return dbapi
    return _Psycopg(dbapi)


class _Psycopg:
    """A psycopg connection that takes ``?`` and ``:name`` placeholders."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Any = (), /) -> Rows:
        rows: Rows = self._conn.execute(psycopg_sql(sql), params)
        return rows

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(psycopg_sql(sql), rows)


# A placeholder outside a quoted literal: ``?``, or ``:name`` not part of a ``::`` cast.
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?|(?<!:):([A-Za-z_]\w*)|%")


@functools.cache
def psycopg_sql(sql: str) -> str:
    """SQLite-style placeholders rewritten for psycopg; a literal ``%`` doubled."""

    def rewrite(found: re.Match[str]) -> str:
        text = found.group(0)
        if text.startswith("'"):
            return text.replace("%", "%%")
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        return f"%({found.group(1)})s"

    return _PLACEHOLDER.sub(rewrite, sql)
