"""The dashboard's fleet queries: status computed, counted, filtered, sorted and paged in SQL.

A status depends on ``now`` (see ``felhom_hub.status``), so it cannot be stored; computing it in
Python for every customer on every page view costs tens of milliseconds per thousand customers.
Here it is a CASE over the fleet row, with the two age boundaries passed in as timestamps (the
stored text is fixed-width UTC, so text order is time order). ``tests/store/test_dashboard.py``
checks that it agrees with ``compute_status`` at and around every boundary.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Connection, text

from felhom_hub.store.fleet import FleetRow
from felhom_hub.store.schema import from_text, to_text

_BLOCKED = "BLOCKED"
_STATUS = f"""CASE
    WHEN c.status = 'blocked' THEN '{_BLOCKED}'
    WHEN f.received_at IS NULL OR f.health IS NULL THEN 'PENDING'
    WHEN f.monitoring_paused = 1 THEN 'DISABLED'
    WHEN f.received_at < :down_before OR f.health = 'fail' THEN 'DOWN'
    WHEN f.received_at <= :warn_before OR f.health = 'warn' THEN 'WARN'
    ELSE 'OK' END"""
# The status sort's order, most urgent first (read status by status: ``_by_status``).
_URGENT_FIRST = ("DOWN", "WARN", "PENDING", "DISABLED", "OK", _BLOCKED)
_ROWS = f"""SELECT f.customer_id, c.status AS config_status, f.received_at, f.controller_version,
    f.health, f.hostname, f.controller_url, f.monitoring_paused, {_STATUS} AS status
    FROM fleet f LEFT JOIN customer_configs c ON c.customer_id = f.customer_id"""


class Order(StrEnum):
    STATUS = "status"
    CUSTOMER = "customer"
    HOSTNAME = "hostname"
    AGE = "age"
    VERSION = "version"


# The other sorts, in SQL (the status sort never sorts the rows by their computed status).
_ORDER_BY = {
    Order.CUSTOMER: ("s.customer_id",),
    Order.HOSTNAME: ("s.hostname IS NULL", "lower(s.hostname)", "s.customer_id"),
    Order.AGE: ("s.received_at IS NULL", "s.received_at", "s.customer_id"),
    Order.VERSION: ("s.controller_version IS NULL", "s.controller_version", "s.customer_id"),
}


def _order_by(order: Order, *, reverse: bool) -> str:
    direction = " DESC" if reverse else ""
    return ", ".join(term + direction for term in _ORDER_BY[order])


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """A report received before ``down_before`` is DOWN, at or before ``warn_before`` WARN."""

    warn_before: str
    down_before: str

    @classmethod
    def at(cls, now: datetime, stale: timedelta) -> "Cutoffs":
        return cls(to_text(now - stale), to_text(now - 2 * stale))


@dataclass(frozen=True, slots=True)
class Filter:
    status: str | None = None  # one CustomerStatus value
    search: str = ""  # a case-insensitive substring of the customer id or hostname
    include_blocked: bool = False


_LIKE_SPECIAL = re.compile(r"[\\%_]")


def _where(filter_: Filter) -> tuple[str, dict[str, object]]:
    clauses: list[str] = []
    params: dict[str, object] = {}
    if not filter_.include_blocked:
        # s.status != 'BLOCKED' (only the CASE's first branch gives it) without the CASE: a count
        # then skips it (PostgreSQL at 100,000 customers: 35 -> 8 ms, bench/hub_postgres.py).
        clauses.append("(s.config_status IS NULL OR s.config_status != 'blocked')")
    if filter_.status is not None:
        clauses.append("s.status = :status")
        params["status"] = filter_.status
    if filter_.search:
        clauses.append(
            "(lower(s.customer_id) LIKE :q ESCAPE '\\' OR lower(s.hostname) LIKE :q ESCAPE '\\')"
        )
        params["q"] = "%" + _LIKE_SPECIAL.sub(r"\\\g<0>", filter_.search.lower()) + "%"
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def counts(conn: Connection, cutoffs: Cutoffs) -> dict[str, int]:
    """Customers per status, over the whole fleet."""
    query = text(f"SELECT s.status, count(*) FROM ({_ROWS}) s GROUP BY s.status")
    params = {"warn_before": cutoffs.warn_before, "down_before": cutoffs.down_before}
    return {status: int(n) for status, n in conn.execute(query, params)}


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[tuple[FleetRow, str]]  # each customer with its status
    total: int  # customers matching the filter


def page(
    conn: Connection,
    cutoffs: Cutoffs,
    filter_: Filter,
    *,
    order: Order,
    limit: int,
    offset: int,
    counts_: dict[str, int] | None = None,
) -> Page:
    """``counts_``: what ``counts`` found in this transaction, if the caller has it; the total
    (and for the status sort, where each status starts) then comes from it unless a search
    narrows the rows (one pass over the fleet fewer: ~25 ms at 100,000 customers,
    bench/README.md)."""
    where, params = _where(filter_)
    params |= {"warn_before": cutoffs.warn_before, "down_before": cutoffs.down_before}
    sizes = None if counts_ is None or filter_.search else _admitted(counts_, filter_)
    if order is Order.STATUS:
        if sizes is None:
            query = text(f"SELECT s.status, count(*) FROM ({_ROWS}) s{where} GROUP BY s.status")
            sizes = {status: int(n) for status, n in conn.execute(query, params)}
        rows = _by_status(conn, params, where, sizes, limit=limit, offset=offset)
        return Page(rows, sum(sizes.values()))
    if sizes is None:
        total_query = text(f"SELECT count(*) FROM ({_ROWS}) s{where}")
        total = int(conn.execute(total_query, params).scalar_one())
    else:
        total = sum(sizes.values())
    return Page(_slice(conn, params, where, order, total, limit=limit, offset=offset), total)


def _admitted(counts_: dict[str, int], filter_: Filter) -> dict[str, int]:
    """The counts of the statuses ``filter_`` admits (it has no search)."""
    return {
        status: n
        for status, n in counts_.items()
        if filter_.status in (None, status) and (filter_.include_blocked or status != _BLOCKED)
    }


def _slice(
    conn: Connection,
    params: dict[str, object],
    where: str,
    order: Order,
    total: int,
    *,
    limit: int,
    offset: int,
) -> list[tuple[FleetRow, str]]:
    """Rows ``offset`` to ``offset + limit`` of the ``total`` that ``where`` matches, in ``order``.

    A slice in the second half is read from the other end, so the database keeps a top-N of at
    most half the rows (the last page costs what the first does), then put back in order.
    """
    reverse = offset + limit > total - offset and offset < total
    if reverse:
        offset, limit = max(0, total - offset - limit), min(limit, total - offset)
    query = text(
        f"SELECT * FROM ({_ROWS}) s{where} ORDER BY {_order_by(order, reverse=reverse)}"
        " LIMIT :limit OFFSET :offset"
    )
    rows = [
        (_fleet_row(r), r.status)
        for r in conn.execute(query, {**params, "limit": limit, "offset": offset})
    ]
    return rows[::-1] if reverse else rows


def _by_status(
    conn: Connection,
    params: dict[str, object],
    where: str,
    sizes: dict[str, int],
    *,
    limit: int,
    offset: int,
) -> list[tuple[FleetRow, str]]:
    """The status sort's slice of the rows ``where`` matches, read status by status (``sizes``:
    how many match in each, so where each status starts).

    Within one status the order is the customer id's, so each read walks the primary key and
    stops at the page; sorting the whole fleet by its computed status read every row instead
    (PostgreSQL at 100,000 customers: ~1 ms against ~35 ms, bench/README.md).
    """
    rows: list[tuple[FleetRow, str]] = []
    for status in _URGENT_FIRST:
        size = sizes.get(status, 0)
        if offset >= size:
            offset -= size
            continue
        taken = min(limit, size - offset)
        within = (f"{where} AND" if where else " WHERE") + " s.status = :one_status"
        one = params | {"one_status": status}
        rows += _slice(conn, one, within, Order.CUSTOMER, size, limit=taken, offset=offset)
        limit, offset = limit - taken, 0
        if limit == 0:
            break
    return rows


def _fleet_row(row: object) -> FleetRow:
    r = row._mapping  # type: ignore[attr-defined]
    return FleetRow(
        customer_id=r["customer_id"],
        managed=r["config_status"] is not None,
        blocked=r["config_status"] == "blocked",
        received_at=None if r["received_at"] is None else from_text(r["received_at"]),
        controller_version=r["controller_version"],
        health=r["health"],
        hostname=r["hostname"],
        controller_url=r["controller_url"],
        monitoring_paused=bool(r["monitoring_paused"]),
    )
