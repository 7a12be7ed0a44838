"""The fleet overview and the customers list as pure functions of the fleet rows and ``now``."""

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from felhom_hub.status import CustomerStatus, Health, LatestReport, compute_status
from felhom_hub.store.fleet import FleetRow

PAGE_SIZE = 100
MAX_SEARCH = 100
SHOWN = (
    CustomerStatus.OK,
    CustomerStatus.WARN,
    CustomerStatus.DOWN,
    CustomerStatus.DISABLED,
    CustomerStatus.PENDING,
)
# Worst first: what an operator sorting by status wants to see on top.
_URGENCY = {
    CustomerStatus.DOWN: 0,
    CustomerStatus.WARN: 1,
    CustomerStatus.PENDING: 2,
    CustomerStatus.DISABLED: 3,
    CustomerStatus.OK: 4,
    CustomerStatus.BLOCKED: 5,
}


class SortKey(StrEnum):
    STATUS = "status"
    CUSTOMER = "customer"
    HOSTNAME = "hostname"
    AGE = "age"
    VERSION = "version"


@dataclass(frozen=True, slots=True)
class FleetQuery:
    status: CustomerStatus | None = None
    search: str = ""
    sort: SortKey = SortKey.STATUS
    page: int = 1


@dataclass(frozen=True, slots=True)
class FleetItem:
    customer_id: str
    status: CustomerStatus
    managed: bool
    hostname: str | None
    controller_version: str | None
    received_at: datetime | None
    age: str
    errors: int = 0
    warnings: int = 0


@dataclass(frozen=True, slots=True)
class FleetPage:
    items: list[FleetItem]
    counts: dict[CustomerStatus, int]
    total: int  # customers matching the filter and search
    page: int
    pages: int
    query: FleetQuery = field(default_factory=FleetQuery)


def status_of(row: FleetRow, *, now: datetime, stale: timedelta) -> CustomerStatus:
    latest = None
    if row.received_at is not None and row.health is not None:
        latest = LatestReport(row.received_at, Health(row.health), row.monitoring_paused)
    return compute_status(now=now, latest=latest, blocked=row.blocked, stale_threshold=stale)


def age_text(age: timedelta | None) -> str:
    """A short, coarse age: "40 s", "12 min", "5 h", "3 d"; "never" without a report."""
    if age is None:
        return "never"
    seconds = max(0, int(age.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _item(row: FleetRow, status: CustomerStatus, now: datetime) -> FleetItem:
    age = None if row.received_at is None else now - row.received_at
    return FleetItem(
        row.customer_id,
        status,
        row.managed,
        row.hostname,
        row.controller_version,
        row.received_at,
        age_text(age),
    )


def _sort_key(sort: SortKey) -> Callable[[FleetItem], tuple[Any, ...]]:
    never = datetime.min.replace(tzinfo=None)

    def key(item: FleetItem) -> tuple[Any, ...]:
        if sort is SortKey.STATUS:
            return (_URGENCY[item.status], item.customer_id)
        if sort is SortKey.HOSTNAME:
            return ((item.hostname or "").casefold(), item.customer_id)
        if sort is SortKey.VERSION:
            return (item.controller_version or "", item.customer_id)
        if sort is SortKey.AGE:  # oldest report first, never-reported last
            at = item.received_at.replace(tzinfo=None) if item.received_at else None
            return (at is None, at or never, item.customer_id)
        return (item.customer_id,)

    return key


def _matches(item: FleetItem, search: str) -> bool:
    return not search or any(
        search in (text or "").casefold() for text in (item.customer_id, item.hostname)
    )


def fleet_page(
    rows: Iterable[FleetRow], *, now: datetime, stale: timedelta, query: FleetQuery
) -> FleetPage:
    """The overview: blocked customers left out, counts per status over the rest, then the
    status filter and search, the sort, and one page of ``PAGE_SIZE``."""
    items = [_item(row, status_of(row, now=now, stale=stale), now) for row in rows]
    shown = [item for item in items if item.status is not CustomerStatus.BLOCKED]
    counts = Counter(item.status for item in shown)
    search = query.search.casefold()
    chosen = [
        item
        for item in shown
        if (query.status is None or item.status is query.status) and _matches(item, search)
    ]
    chosen.sort(key=_sort_key(query.sort))
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    start = (page - 1) * PAGE_SIZE
    return FleetPage(
        items=chosen[start : start + PAGE_SIZE],
        counts={status: counts.get(status, 0) for status in SHOWN},
        total=len(chosen),
        page=page,
        pages=pages,
        query=replace(query, page=page),
    )


def with_badges(page: FleetPage, counts: dict[str, dict[str, int]]) -> FleetPage:
    """The page with each customer's error and warning counts (from the last 24 h)."""
    items = [
        replace(
            item,
            errors=counts.get(item.customer_id, {}).get("error", 0),
            warnings=counts.get(item.customer_id, {}).get("warning", 0),
        )
        for item in page.items
    ]
    return replace(page, items=items)


@dataclass(frozen=True, slots=True)
class ConfigItem:
    customer_id: str
    status: CustomerStatus
    managed: bool
    blocked: bool
    controller_version: str | None
    hostname: str | None


def customers_list(
    rows: Sequence[FleetRow], *, now: datetime, stale: timedelta
) -> list[ConfigItem]:
    """Every customer, managed and manual, blocked ones included, in id order."""
    return [
        ConfigItem(
            row.customer_id,
            status_of(row, now=now, stale=stale),
            row.managed,
            row.blocked,
            row.controller_version,
            row.hostname,
        )
        for row in rows
    ]
