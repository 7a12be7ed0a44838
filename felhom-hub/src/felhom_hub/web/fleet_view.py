"""The fleet overview and the customers list as pure functions of what the store found."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from felhom_hub.status import CustomerStatus
from felhom_hub.store import dashboard
from felhom_hub.store.dashboard import Order as SortKey

__all__ = ["SortKey"]
from felhom_hub.store.fleet import FleetRow

PAGE_SIZE = 100
SHOWN = (
    CustomerStatus.OK,
    CustomerStatus.WARN,
    CustomerStatus.DOWN,
    CustomerStatus.DISABLED,
    CustomerStatus.PENDING,
)


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


def pages_for(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def fleet_page(
    found: dashboard.Page, counts: dict[str, int], *, now: datetime, query: FleetQuery
) -> FleetPage:
    """The overview from one page of customers (already filtered, sorted and paged by the
    store) and the counts per status over the fleet; blocked customers are not counted."""
    return FleetPage(
        items=[_item(row, CustomerStatus(status), now) for row, status in found.rows],
        counts={status: counts.get(status.value, 0) for status in SHOWN},
        total=found.total,
        page=query.page,
        pages=pages_for(found.total),
        query=query,
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


def customers_list(found: dashboard.Page) -> list[ConfigItem]:
    """Customers for the customers list, managed and manual, blocked ones included."""
    return [
        ConfigItem(
            row.customer_id,
            CustomerStatus(status),
            row.managed,
            row.blocked,
            row.controller_version,
            row.hostname,
        )
        for row, status in found.rows
    ]
