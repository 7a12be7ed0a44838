"""End to end over real processes: the hub with short thresholds and a real SMTP server. A node
reports, falls silent (node_stale, then node_down mails: English to the operator, Hungarian to
the customer), and reports again (node_recovered to both, since both heard the outage)."""

from pathlib import Path

import httpx
import pytest

from tests.alerting.peers import Mailbox, smtp_server
from tests.conftest import report_body
from tests.hub_process import GLOBAL_KEY, start_hub, wait_for

pytestmark = pytest.mark.slow
AUTH = {"Authorization": f"Bearer {GLOBAL_KEY}"}


def subjects(box: Mailbox, to: str) -> list[str]:
    return [str(m["Subject"]) for m in box.messages if m["To"] == to]


def test_silence_then_recovery_reaches_both_channels_by_mail(tmp_path: Path) -> None:
    with smtp_server() as (box, smtp_port):
        sections = (
            "alerting:\n  stale_threshold: 5s\n  check_interval: 1s\n"
            "notifications:\n  operator_email: ops@example.com\n"
            f"  smtp:\n    host: 127.0.0.1\n    port: {smtp_port}\n    security: none\n"
        )
        hub = start_hub(tmp_path, sections=sections)
        try:
            with httpx.Client(base_url=hub.url, headers=AUTH, timeout=10) as http:
                prefs = {
                    "customer_id": "acme",
                    "email": "owner@example.com",
                    "enabled_events": ["node_stale", "node_down", "node_recovered"],
                }
                assert http.post("/api/v1/preferences", json=prefs).status_code == 200
                assert http.post("/api/v1/report", json=report_body()).status_code == 201
                wait_for(lambda: len(subjects(box, "owner@example.com")) >= 2)
                assert http.post("/api/v1/report", json=report_body()).status_code == 201
                wait_for(lambda: len(subjects(box, "owner@example.com")) >= 3)
                wait_for(lambda: len(subjects(box, "ops@example.com")) >= 3)
                listed = http.get("/api/v1/customers/acme/events").json()["events"]
        finally:
            hub.stop()
    assert subjects(box, "ops@example.com") == [
        "[felhom] acme: node stopped reporting (warning)",
        "[felhom] acme: node is down (error)",
        "[felhom] acme: node recovered (info)",
    ]
    assert subjects(box, "owner@example.com") == [
        "A szerver nem jelentkezett - acme-node-1",
        "A szerver nem elérhető - acme-node-1",
        "A szerver újra elérhető - acme-node-1",
    ]
    assert [e["event_type"] for e in reversed(listed)] == [
        "node_stale",
        "node_down",
        "node_recovered",
    ]
