from datetime import UTC, datetime, timedelta

from felhom_hub.status import CustomerStatus
from felhom_hub.store.fleet import FleetRow
from felhom_hub.web.fleet_view import (
    PAGE_SIZE,
    FleetQuery,
    SortKey,
    age_text,
    customers_list,
    fleet_page,
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
    hostname: str | None = None,
) -> FleetRow:
    at = None if minutes is None else NOW - timedelta(minutes=minutes)
    return FleetRow(
        customer_id,
        managed,
        blocked,
        at,
        None if at is None else "0.9.3",
        None if at is None else health,
        hostname or (None if at is None else f"{customer_id}-node"),
        None,
        paused,
    )


FLEET = [
    row("a-ok"),
    row("b-warn", health="warn"),
    row("c-stale", minutes=45),
    row("d-down", health="fail"),
    row("e-gone", minutes=120),
    row("f-paused", paused=True),
    row("g-pending", minutes=None),
    row("h-blocked", blocked=True),
]


def page(**query: object) -> list[tuple[str, CustomerStatus]]:
    shown = fleet_page(FLEET, now=NOW, stale=STALE, query=FleetQuery(**query))  # type: ignore[arg-type]
    return [(item.customer_id, item.status) for item in shown.items]


def test_statuses_and_counts_leave_blocked_customers_out() -> None:
    shown = fleet_page(FLEET, now=NOW, stale=STALE, query=FleetQuery(sort=SortKey.CUSTOMER))
    assert dict((i.customer_id, i.status.value) for i in shown.items) == {
        "a-ok": "OK",
        "b-warn": "WARN",
        "c-stale": "WARN",
        "d-down": "DOWN",
        "e-gone": "DOWN",
        "f-paused": "DISABLED",
        "g-pending": "PENDING",
    }
    assert shown.counts == {
        CustomerStatus.OK: 1,
        CustomerStatus.WARN: 2,
        CustomerStatus.DOWN: 2,
        CustomerStatus.DISABLED: 1,
        CustomerStatus.PENDING: 1,
    }
    assert shown.total == 7


def test_status_sort_puts_the_worst_first() -> None:
    assert [s for _, s in page()][:2] == [CustomerStatus.DOWN, CustomerStatus.DOWN]
    assert page()[-1] == ("a-ok", CustomerStatus.OK)


def test_filter_and_search() -> None:
    assert page(status=CustomerStatus.WARN) == [
        ("b-warn", CustomerStatus.WARN),
        ("c-stale", CustomerStatus.WARN),
    ]
    assert page(search="PAUSED-no") == [("f-paused", CustomerStatus.DISABLED)]
    assert page(search="h-blocked") == []


def test_age_sort_shows_the_oldest_report_first_and_never_last() -> None:
    ids = [customer_id for customer_id, _ in page(sort=SortKey.AGE)]
    assert ids[0] == "e-gone" and ids[-1] == "g-pending"


def test_pages_of_a_large_fleet() -> None:
    rows = [row(f"c{n:05d}") for n in range(PAGE_SIZE * 2 + 5)]
    last = fleet_page(rows, now=NOW, stale=STALE, query=FleetQuery(sort=SortKey.CUSTOMER, page=9))
    assert (last.page, last.pages, len(last.items)) == (3, 3, 5)
    assert last.items[0].customer_id == f"c{PAGE_SIZE * 2:05d}"


def test_badges_count_errors_and_warnings() -> None:
    shown = fleet_page(FLEET, now=NOW, stale=STALE, query=FleetQuery(sort=SortKey.CUSTOMER))
    badged = with_badges(shown, {"a-ok": {"error": 2, "warning": 1, "info": 9}})
    assert (badged.items[0].errors, badged.items[0].warnings) == (2, 1)
    assert (badged.items[1].errors, badged.items[1].warnings) == (0, 0)


def test_customers_list_keeps_blocked_and_manual() -> None:
    items = customers_list([row("m", managed=False), row("x", blocked=True)], now=NOW, stale=STALE)
    assert [(i.status, i.managed, i.blocked) for i in items] == [
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
