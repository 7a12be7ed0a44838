from datetime import UTC, datetime, timedelta

from felhom_hub.config import RetentionSettings
from felhom_hub.history import Resolution
from felhom_hub.status import CustomerStatus
from felhom_hub.store.fleet import FleetRow
from felhom_hub.web.customer_view import (
    CustomerData,
    Variant,
    chart_resolution,
    customer_page,
    human_bytes,
)
from tests.conftest import report_body

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def data(*, managed: bool, reported: bool, blocked: bool = False) -> CustomerData:
    at = NOW - timedelta(minutes=5) if reported else None
    row = FleetRow(
        "acme",
        managed,
        blocked,
        at,
        "0.9.3" if at else None,
        "ok" if at else None,
        "h",
        None,
        False,
    )
    body = report_body(
        system={"cpu_percent": 12.5, "memory_used_bytes": 2 << 30, "memory_total_bytes": 8 << 30},
        storage=[
            {"mount_point": "/", "total_bytes": 1000, "used_bytes": 915, "smart_status": "passed"}
        ],
    )
    return CustomerData(row, body if reported else None, [], [], [])


def view(d: CustomerData):  # type: ignore[no-untyped-def]
    return customer_page(d, now=NOW, stale=timedelta(minutes=30), period="24h", severity=None)


def test_the_three_shapes_of_the_page() -> None:
    assert view(data(managed=True, reported=True)).variant is Variant.REPORTING
    waiting = view(data(managed=True, reported=False))
    assert (waiting.variant, waiting.status, waiting.report) == (
        Variant.WAITING,
        CustomerStatus.PENDING,
        None,
    )
    assert view(data(managed=False, reported=True)).variant is Variant.MANUAL


def test_system_and_storage_come_from_the_latest_report() -> None:
    page = view(data(managed=True, reported=True))
    assert ("CPU", "12.5 %") in page.system
    assert ("Memory", "2.0 GiB of 8.0 GiB") in page.system
    mount = page.storage[0]
    assert (mount.mount_point, mount.percent, mount.smart) == ("/", 91.5, "passed")


def test_a_blocked_customer_says_so() -> None:
    page = view(data(managed=True, reported=True, blocked=True))
    assert page.blocked and page.status is CustomerStatus.BLOCKED


def test_chart_resolutions_follow_the_period_and_the_retention() -> None:
    kept = RetentionSettings()
    assert [chart_resolution(p, kept) for p in ("24h", "7d", "30d", "90d")] == [
        Resolution.MIN15,
        Resolution.HOUR,
        Resolution.HOUR,
        Resolution.DAY,
    ]
    short = RetentionSettings(raw_days=1, hourly_days=7)
    assert chart_resolution("30d", short) is Resolution.DAY


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (None, 0, 1023, 1536, 5 << 40, 3 << 50)] == [
        "-",
        "0 B",
        "1023 B",
        "1.5 KiB",
        "5.0 TiB",
        "3072.0 TiB",
    ]
