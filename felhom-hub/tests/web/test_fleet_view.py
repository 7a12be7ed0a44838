from datetime import UTC, datetime, timedelta

from felhom_hub.status import CustomerStatus, status_of
from felhom_hub.store.dashboard import Page
from felhom_hub.store.fleet import FleetRow
from felhom_hub.web.fleet_view import (
    PAGE_SIZE,
    FleetQuery,
    age_text,
    customers_list,
    fleet_page,
    pages_for,
    with_badges,
)

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
STALE = timedelta(minutes=30)


def row(
    customer_id: str,
    *,
    minutes: float | None = 1,
    health: str = "ok",
    managed: bool = True,
    blocked: bool = False,
    paused: bool = False,
) -> FleetRow:
    at = None if minutes is None else NOW - timedelta(minutes=minutes)
    return FleetRow(
        customer_id,
        managed,
        blocked,
        at,
        None if at is None else "0.9.3",
        None if at is None else health,
        None if at is None else f"{customer_id}-node",
        None,
        paused,
    )


def test_status_of_a_fleet_row() -> None:
    assert status_of(row("a"), now=NOW, stale=STALE) is CustomerStatus.OK
    assert status_of(row("a", minutes=45), now=NOW, stale=STALE) is CustomerStatus.WARN
    assert status_of(row("a", health="fail"), now=NOW, stale=STALE) is CustomerStatus.DOWN
    assert status_of(row("a", minutes=None), now=NOW, stale=STALE) is CustomerStatus.PENDING
    assert status_of(row("a", paused=True), now=NOW, stale=STALE) is CustomerStatus.DISABLED
    assert status_of(row("a", blocked=True), now=NOW, stale=STALE) is CustomerStatus.BLOCKED


def test_the_overview_page_from_what_the_store_found() -> None:
    found = Page([(row("a"), "OK"), (row("b", minutes=None), "PENDING")], total=250)
    query = FleetQuery(page=2)
    page = fleet_page(found, {"OK": 7, "PENDING": 1, "BLOCKED": 4}, now=NOW, query=query)
    assert [(i.customer_id, i.status, i.age) for i in page.items] == [
        ("a", CustomerStatus.OK, "1 min"),
        ("b", CustomerStatus.PENDING, "never"),
    ]
    assert page.counts == {
        CustomerStatus.OK: 7,
        CustomerStatus.WARN: 0,
        CustomerStatus.DOWN: 0,
        CustomerStatus.DISABLED: 0,
        CustomerStatus.PENDING: 1,
    }
    assert (page.total, page.page, page.pages) == (250, 2, 3)


def test_pages_for() -> None:
    assert [pages_for(n) for n in (0, 1, PAGE_SIZE, PAGE_SIZE + 1)] == [1, 1, 1, 2]


def test_badges_count_errors_and_warnings() -> None:
    found = Page([(row("a"), "OK"), (row("b"), "OK")], total=2)
    page = fleet_page(found, {}, now=NOW, query=FleetQuery())
    badged = with_badges(page, {"a": {"error": 2, "warning": 1, "info": 9}})
    assert (badged.items[0].errors, badged.items[0].warnings) == (2, 1)
    assert (badged.items[1].errors, badged.items[1].warnings) == (0, 0)


def test_customers_list_keeps_blocked_and_manual() -> None:
    found = Page([(row("m", managed=False), "OK"), (row("x", blocked=True), "BLOCKED")], 2)
    assert [(i.status, i.managed, i.blocked) for i in customers_list(found)] == [
        (CustomerStatus.OK, False, False),
        (CustomerStatus.BLOCKED, True, True),
    ]


def test_age_text() -> None:
    assert age_text(None) == "never"
    assert age_text(timedelta(seconds=40)) == "40 s"
    assert age_text(timedelta(minutes=12, seconds=59)) == "12 min"
    assert age_text(timedelta(hours=5)) == "5 h"
    assert age_text(timedelta(days=3, hours=23)) == "3 d"
    assert age_text(timedelta(seconds=-5)) == "0 s"
