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
