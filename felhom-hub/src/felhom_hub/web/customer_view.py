"""The unified customer page as a pure function of what the store holds for one customer."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from felhom_hub.api.report_schema import Report
from felhom_hub.config import RetentionSettings
from felhom_hub.history import Resolution, choose
from felhom_hub.status import CustomerStatus, status_of
from felhom_hub.store.events import EventRecord
from felhom_hub.store.fleet import FleetRow
from felhom_hub.store.maintenance import Window
from felhom_hub.store.notifications import LogEntry
from felhom_hub.store.series import Point
from felhom_hub.web.charts import Chart, history_charts
from felhom_hub.web.fleet_view import age_text
from felhom_hub.web.maintenance_view import WindowRow, start_default, window_rows

PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
PERIODS["90d"] = timedelta(days=90)
# A chart is ~600 px wide: 96 quarter hours, 168 or 720 hours, 90 days.
_PREFERRED = {
    "24h": Resolution.MIN15,
    "7d": Resolution.HOUR,
    "30d": Resolution.HOUR,
    "90d": Resolution.DAY,
}
EVENT_LIMIT = 50


def chart_resolution(period: str, retention: RetentionSettings) -> Resolution:
    """The tier a period's charts read: the preferred one while it still holds the whole
    period, else the one the history API would choose."""
    preferred = _PREFERRED[period]
    if PERIODS[period] <= preferred.kept(retention):
        return preferred
    return choose(PERIODS[period], retention)


class Variant(StrEnum):
    """The seed's three shapes of the page."""

    REPORTING = "reporting"  # managed, reports arriving
    WAITING = "waiting"  # managed, no report yet
    MANUAL = "manual"  # reports only, no config


@dataclass(frozen=True, slots=True)
class Mount:
    mount_point: str
    device: str | None
    used: str
    total: str
    percent: float
    smart: str | None


@dataclass(frozen=True, slots=True)
class CustomerPage:
    customer_id: str
    status: CustomerStatus
    variant: Variant
    blocked: bool
    hostname: str | None
    controller_version: str | None
    controller_url: str | None
    age: str
    received_at: datetime | None
    system: list[tuple[str, str]]
    storage: list[Mount]
    report: Report | None
    events: Sequence[EventRecord]
    severity: str | None
    notifications: Sequence[LogEntry]
    charts: list[Chart]
    period: str
    maintenance: list[WindowRow]
    maintenance_start: str  # the form's default: now, Budapest time


def human_bytes(count: int | None) -> str:
    if count is None:
        return "-"
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _parse(report: dict[str, Any] | None) -> Report | None:
    if report is None:
        return None
    try:
        return Report.model_validate(report)
    except ValidationError:  # stored by an older hub under another schema: show what we can
        return None


def _of(used: int | None, total: int | None) -> str:
    return "-" if used is None and total is None else f"{human_bytes(used)} of {human_bytes(total)}"


def _system(report: Report) -> list[tuple[str, str]]:
    s = report.system
    uptime = None if s.uptime_seconds is None else timedelta(seconds=s.uptime_seconds)
    rows = [
        ("CPU", "-" if s.cpu_percent is None else f"{s.cpu_percent:.1f} %"),
        ("Load", " / ".join(f"{x:.2f}" for x in s.load_average) or "-"),
        ("Memory", _of(s.memory_used_bytes, s.memory_total_bytes)),
        ("Swap", _of(s.swap_used_bytes, s.swap_total_bytes)),
        ("Uptime", "-" if uptime is None else age_text(uptime)),
    ]
    rows += [(label, value) for label, value in (("OS", s.os), ("Kernel", s.kernel)) if value]
    return rows


def _storage(report: Report) -> list[Mount]:
    return [
        Mount(
            fs.mount_point,
            fs.device,
            human_bytes(fs.used_bytes),
            human_bytes(fs.total_bytes),
            round(100.0 * fs.used_bytes / fs.total_bytes, 1) if fs.total_bytes else 0.0,
            fs.smart_status,
        )
        for fs in report.storage
    ]


@dataclass(frozen=True, slots=True)
class CustomerData:
    """What the route read from the store for one customer."""

    row: FleetRow
    report: dict[str, Any] | None
    events: Sequence[EventRecord]
    notifications: Sequence[LogEntry]
    points: Sequence[Point]
    windows: Sequence[Window] = ()  # maintenance windows that have not ended


def customer_page(
    data: CustomerData,
    *,
    now: datetime,
    stale: timedelta,
    period: str,
    severity: str | None,
) -> CustomerPage:
    row = data.row
    report = _parse(data.report)
    if row.managed:
        variant = Variant.REPORTING if row.received_at is not None else Variant.WAITING
    else:
        variant = Variant.MANUAL
    since = now - PERIODS[period]
    return CustomerPage(
        customer_id=row.customer_id,
        status=status_of(row, now=now, stale=stale),
        variant=variant,
        blocked=row.blocked,
        hostname=row.hostname,
        controller_version=row.controller_version,
        controller_url=row.controller_url,
        age=age_text(None if row.received_at is None else now - row.received_at),
        received_at=row.received_at,
        system=_system(report) if report else [],
        storage=_storage(report) if report else [],
        report=report,
        events=data.events,
        severity=severity,
        notifications=data.notifications,
        charts=history_charts(data.points, since=since, now=now),
        period=period,
        maintenance=window_rows(data.windows, now),
        maintenance_start=start_default(now),
    )
