"""Customer status: one pure function from report age, report health and customer state.

Boundaries (with ``stale`` = ``alerting.stale_threshold``, 30 minutes by default):

- ``BLOCKED``  the operator blocked the customer (wins over everything else);
- ``PENDING``  a customer config exists but no report has arrived yet;
- ``DISABLED`` the latest report says the controller's monitoring is paused;
- ``DOWN``     the latest report is older than twice ``stale``, or its health is ``fail``;
- ``WARN``     the latest report is at least ``stale`` old, or its health is ``warn``;
- ``OK``       otherwise (younger than ``stale`` and health ``ok``).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol


class Health(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


class CustomerStatus(StrEnum):
    OK = "OK"
    WARN = "WARN"
    DOWN = "DOWN"
    DISABLED = "DISABLED"
    PENDING = "PENDING"
    BLOCKED = "BLOCKED"


@dataclass(frozen=True, slots=True)
class LatestReport:
    received_at: datetime
    health: Health
    monitoring_paused: bool = False


def compute_status(
    *,
    now: datetime,
    latest: LatestReport | None,
    blocked: bool,
    stale_threshold: timedelta,
) -> CustomerStatus:
    """The status a customer shows on the dashboard and in the API at ``now``."""
    if blocked:
        return CustomerStatus.BLOCKED
    if latest is None:
        return CustomerStatus.PENDING
    if latest.monitoring_paused:
        return CustomerStatus.DISABLED
    age = now - latest.received_at
    if age > 2 * stale_threshold or latest.health is Health.FAIL:
        return CustomerStatus.DOWN
    if age >= stale_threshold or latest.health is Health.WARN:
        return CustomerStatus.WARN
    return CustomerStatus.OK


class CustomerRow(Protocol):
    """What a stored customer summary (e.g. ``store.fleet.FleetRow``) offers the status."""

    @property
    def received_at(self) -> datetime | None: ...
    @property
    def health(self) -> str | None: ...
    @property
    def monitoring_paused(self) -> bool: ...
    @property
    def blocked(self) -> bool: ...


def status_of(row: CustomerRow, *, now: datetime, stale: timedelta) -> CustomerStatus:
    """``compute_status`` for a stored summary (no report yet: PENDING)."""
    latest = None
    if row.received_at is not None and row.health is not None:
        latest = LatestReport(row.received_at, Health(row.health), row.monitoring_paused)
    return compute_status(now=now, latest=latest, blocked=row.blocked, stale_threshold=stale)
