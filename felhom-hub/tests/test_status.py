from datetime import timedelta

import pytest

from felhom_hub.status import CustomerStatus, Health, LatestReport, compute_status
from tests.conftest import START

STALE = timedelta(minutes=30)


def status_at(age: timedelta, health: Health = Health.OK, **kw: bool) -> CustomerStatus:
    latest = LatestReport(START - age, health, kw.pop("paused", False))
    return compute_status(
        now=START, latest=latest, blocked=kw.pop("blocked", False), stale_threshold=STALE
    )


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(0), CustomerStatus.OK),
        (timedelta(minutes=29, seconds=59), CustomerStatus.OK),
        (timedelta(minutes=30), CustomerStatus.WARN),
        (timedelta(minutes=45), CustomerStatus.WARN),
        (timedelta(minutes=60), CustomerStatus.WARN),
        (timedelta(minutes=60, microseconds=1), CustomerStatus.DOWN),
        (timedelta(days=3), CustomerStatus.DOWN),
    ],
)
def test_age_boundaries_with_healthy_report(age: timedelta, expected: CustomerStatus) -> None:
    assert status_at(age) is expected


@pytest.mark.parametrize(
    ("health", "age", "expected"),
    [
        (Health.WARN, timedelta(minutes=1), CustomerStatus.WARN),
        (Health.FAIL, timedelta(minutes=1), CustomerStatus.DOWN),
        (Health.WARN, timedelta(minutes=61), CustomerStatus.DOWN),
        (Health.FAIL, timedelta(minutes=40), CustomerStatus.DOWN),
    ],
)
def test_report_health_combines_with_age(
    health: Health, age: timedelta, expected: CustomerStatus
) -> None:
    assert status_at(age, health) is expected


def test_blocked_wins_over_everything() -> None:
    assert status_at(timedelta(days=9), Health.FAIL, blocked=True) is CustomerStatus.BLOCKED
    blocked_pending = compute_status(now=START, latest=None, blocked=True, stale_threshold=STALE)
    assert blocked_pending is CustomerStatus.BLOCKED


def test_no_report_yet_is_pending() -> None:
    status = compute_status(now=START, latest=None, blocked=False, stale_threshold=STALE)
    assert status is CustomerStatus.PENDING


def test_paused_monitoring_is_disabled_even_when_stale() -> None:
    assert status_at(timedelta(days=2), Health.FAIL, paused=True) is CustomerStatus.DISABLED


def test_threshold_follows_the_setting() -> None:
    latest = LatestReport(START - timedelta(minutes=15), Health.OK)
    short = compute_status(
        now=START, latest=latest, blocked=False, stale_threshold=timedelta(minutes=5)
    )
    assert short is CustomerStatus.DOWN
