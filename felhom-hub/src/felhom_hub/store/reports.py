"""Reports: the latest one per customer whole (in ``fleet``), every one for ``raw_days``.

Bodies are zlib-compressed. A raw report is compressed against a dictionary that is one of the
same customer's earlier reports (``report_dicts``, renewed daily): reports of one node differ
in a few numbers, so each costs ~100 bytes instead of ~700 with plain zlib.
"""

import functools
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, select

from felhom_hub.store.dialect import Driver, driver
from felhom_hub.store.schema import (
    fleet,
    from_micros,
    raw_reports,
    report_dicts,
    to_micros,
    to_text,
)

DICT_LIFETIME = timedelta(days=1)
LEVEL = 6


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """The columns the fleet list and the status need, without the body."""

    customer_id: str
    report_id: int
    received_at: datetime
    controller_version: str
    health: str
    hostname: str
    controller_url: str | None
    monitoring_paused: bool


@dataclass(frozen=True, slots=True)
class RawReport:
    id: int
    customer_id: str
    received_at: datetime
    report: dict[str, Any]


# The ingest path talks to the driver directly (store/dialect.py says why).
_CURRENT_DICT = "SELECT dict_id, dict_at FROM fleet WHERE customer_id = ?"
_DICT_BODY = "SELECT body FROM report_dicts WHERE id = ?"
_CACHE_KEY = "felhom_hub.report_dicts"
_CACHE_SIZE = 4096  # dictionaries (~3 KB each) kept unpacked per connection
_NEW_DICT = "INSERT INTO report_dicts (customer_id, created_at, body) VALUES (?, ?, ?) RETURNING id"
_INSERT_RAW = (
    "INSERT INTO raw_reports (customer_id, received_at, dict_id, body) VALUES (?, ?, ?, ?)"
    " RETURNING id"
)
_FLEET_COLUMNS = (
    "report_id",
    "received_at",
    "controller_version",
    "health",
    "hostname",
    "controller_url",
    "monitoring_paused",
    "body",
    "dict_id",
    "dict_at",
)


@functools.cache
def _upsert_fleet(extra: tuple[str, ...]) -> str:
    columns = (*_FLEET_COLUMNS, *extra)
    return (
        f"INSERT INTO fleet (customer_id, {', '.join(columns)})"
        f" VALUES (?{', ?' * len(columns)})"
        " ON CONFLICT (customer_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in columns)
    )


def add(conn: Connection, summary: ReportSummary, body: bytes) -> int:
    """Store a report (its JSON bytes) as the latest and in the raw window; its id."""
    current = driver(conn).execute(_CURRENT_DICT, (summary.customer_id,)).fetchone()
    return write(conn, summary, body, current=current)


def write(
    conn: Connection,
    summary: ReportSummary,
    body: bytes,
    *,
    current: Sequence[int | None] | None,
    fleet_extra: Sequence[tuple[str, object]] = (),
) -> int:
    """``add`` for a caller that has read the fleet row's ``(dict_id, dict_at)`` already
    (``current``; None without a row), also setting the fleet columns in ``fleet_extra``."""
    db = driver(conn)
    now_us = to_micros(summary.received_at)
    cache: dict[tuple[int, int], bytes] = conn.info.setdefault(_CACHE_KEY, {})
    fresh = _fresh(current, now_us)
    dict_id, dict_at, dictionary = _dictionary(db, cache, summary.customer_id, now_us, body, fresh)
    packer = zlib.compressobj(LEVEL, zdict=dictionary)
    packed = packer.compress(body) + packer.flush()
    row = (summary.customer_id, now_us, dict_id, packed)
    report_id = int(db.execute(_INSERT_RAW, row).fetchone()[0])
    fleet_row = (
        summary.customer_id,
        report_id,
        to_text(summary.received_at),
        summary.controller_version,
        summary.health,
        summary.hostname,
        summary.controller_url,
        int(summary.monitoring_paused),
        packed,  # the latest body shares the raw copy's bytes; fleet.dict_id keeps its dictionary
        dict_id,
        dict_at,
        *(value for _, value in fleet_extra),
    )
    db.execute(_upsert_fleet(tuple(name for name, _ in fleet_extra)), fleet_row)
    return report_id


def _fresh(current: Sequence[int | None] | None, now_us: int) -> tuple[int, int] | None:
    """The current dictionary's (id, created) while it is less than a day old."""
    if current is None or current[0] is None or current[1] is None:
        return None
    return (current[0], current[1]) if current[1] > now_us - _lifetime_us() else None


def _dictionary(
    db: Driver,
    cache: dict[tuple[int, int], bytes],
    customer_id: str,
    now_us: int,
    body: bytes,
    fresh: tuple[int, int] | None,
) -> tuple[int, int, bytes]:
    """(id, created, bytes) of the customer's dictionary: ``fresh`` (the current one, when it
    is less than a day old), else this report becomes a new one.

    ``cache`` keeps dictionaries unpacked by (id, created): an id the database hands out again after
    a delete comes with another creation time, so a stale entry is never used.
    """
    if fresh is not None:
        key = fresh
        dictionary = cache.get(key)
        if dictionary is None:
            dictionary = zlib.decompress(db.execute(_DICT_BODY, (key[0],)).fetchone()[0])
            _remember(cache, key, dictionary)
        return key[0], key[1], dictionary
    new = db.execute(_NEW_DICT, (customer_id, now_us, zlib.compress(body))).fetchone()
    _remember(cache, (int(new[0]), now_us), body)
    return int(new[0]), now_us, body


def forget_dictionaries(conn: Connection, *_: object) -> None:
    """Drop the connection's unpacked dictionaries: after a rollback, one may have been
    written by the transaction that was undone, and its id will be handed out again.

    A connection the server ended has no info to reach (asking would raise); the pool
    clears its record's info when it connects afresh, so nothing stale survives either."""
    if conn.invalidated:
        return
    conn.info.pop(_CACHE_KEY, None)


def _remember(cache: dict[tuple[int, int], bytes], key: tuple[int, int], value: bytes) -> None:
    if len(cache) >= _CACHE_SIZE:
        cache.clear()  # a new day's dictionaries replace the old ones wholesale anyway
    cache[key] = value


def _lifetime_us() -> int:
    return DICT_LIFETIME // timedelta(microseconds=1)


def latest(conn: Connection, *, customer_id: str) -> tuple[ReportSummary, dict[str, Any]] | None:
    """The customer's newest report: its summary and the report as sent."""
    query = (
        select(fleet, report_dicts.c.body.label("dictionary"))
        .join(report_dicts, report_dicts.c.id == fleet.c.dict_id)
        .where(fleet.c.customer_id == customer_id, fleet.c.report_id.is_not(None))
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    summary = ReportSummary(
        row.customer_id,
        row.report_id,
        row.received_at,
        row.controller_version,
        row.health,
        row.hostname,
        row.controller_url,
        bool(row.monitoring_paused),
    )
    return summary, json.loads(unpack(row.body, row.dictionary))


def unpack(packed: bytes, packed_dictionary: bytes) -> bytes:
    """A body compressed against a dictionary (itself stored zlib-compressed)."""
    unpacker = zlib.decompressobj(zdict=zlib.decompress(packed_dictionary))
    return unpacker.decompress(packed) + unpacker.flush()


def raw_page(
    conn: Connection,
    *,
    customer_id: str,
    before_id: int | None,
    since: datetime,
    limit: int,
    max_bytes: int = 1 << 62,
) -> tuple[list[RawReport], bool]:
    """Whole reports still in the raw window, newest first, older than ``before_id``: at most
    ``limit`` of them and, past the first, about ``max_bytes`` of JSON; and whether more may
    follow."""
    query = (
        select(raw_reports.c.id, raw_reports.c.received_at, raw_reports.c.body, report_dicts.c.body)
        .join(report_dicts, report_dicts.c.id == raw_reports.c.dict_id)
        .where(raw_reports.c.customer_id == customer_id)
        .where(raw_reports.c.received_at >= to_micros(since))
        .order_by(raw_reports.c.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(raw_reports.c.id < before_id)
    page: list[RawReport] = []
    size = 0
    for report_id, received_us, packed, packed_dict in conn.execute(query):
        body = unpack(packed, packed_dict)
        if page and size + len(body) > max_bytes:
            return page, True
        size += len(body)
        page.append(RawReport(report_id, customer_id, from_micros(received_us), json.loads(body)))
    return page, len(page) == limit


def prune(conn: Connection, *, older_than: datetime, batch: int) -> int:
    """Delete up to ``batch`` raw reports older than the cutoff, then dictionaries none uses.

    A dictionary is used for one day from its creation, so one created more than a day before
    the cutoff serves no report the cutoff keeps.
    """
    cutoff = to_micros(older_than)
    doomed = (
        select(raw_reports.c.id)
        .where(raw_reports.c.received_at < cutoff)
        .order_by(raw_reports.c.received_at)
        .limit(batch)
    )
    deleted = conn.execute(delete(raw_reports).where(raw_reports.c.id.in_(doomed))).rowcount
    old_dicts = (
        select(report_dicts.c.id)
        .where(report_dicts.c.created_at < cutoff - _lifetime_us())
        .where(~select(fleet.c.customer_id).where(fleet.c.dict_id == report_dicts.c.id).exists())
        .limit(batch)
    )
    conn.execute(delete(report_dicts).where(report_dicts.c.id.in_(old_dicts)))
    return deleted


def count(conn: Connection, *, customer_id: str | None = None) -> int:
    """Raw reports held (in the window)."""
    query = select(func.count()).select_from(raw_reports)
    if customer_id is not None:
        query = query.where(raw_reports.c.customer_id == customer_id)
    return int(conn.execute(query).scalar_one())
