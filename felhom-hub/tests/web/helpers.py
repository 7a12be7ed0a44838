"""Shared by the dashboard tests: the operator's password, CSRF tokens out of pages, seeding."""

import json
import re
from datetime import datetime
from typing import Any

from felhom_hub.api.report_schema import Report
from felhom_hub.samples import sample_of
from felhom_hub.store import Database, events, reports, series
from tests.conftest import report_body

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def seed_report(db: Database, customer_id: str, at: datetime, **overrides: Any) -> None:
    """A report stored the way ingest stores it: latest, raw, and folded into the series."""
    body = report_body(customer_id, **overrides)
    report = Report.model_validate(body)
    summary = reports.ReportSummary(
        customer_id,
        0,
        at,
        report.controller_version,
        report.health.value,
        report.hostname,
        None,
        report.monitoring_paused,
    )
    raw = json.dumps(body).encode()
    with db.write() as conn:
        reports.add(conn, summary, raw)
        series.add(conn, customer_id=customer_id, at=at, sample=sample_of(report, now=at))


def seed_event(db: Database, customer_id: str, severity: str, at: datetime) -> None:
    with db.write() as conn:
        events.add(
            conn,
            customer_id=customer_id,
            event_type="backup_failed",
            severity=severity,
            message=f"{severity} happened",
            details_json="{}",
            source="controller",
            occurred_at=at,
            received_at=at,
        )
