"""Reading the past: metric history from the series, whole raw reports, events."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import GLOBAL_AUTH, Customer, FakeClock, report_body


def push(client: TestClient, customer_id: str = "acme", **overrides: object) -> int:
    response = client.post(
        "/api/v1/report", json=report_body(customer_id, **overrides), headers=GLOBAL_AUTH
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def history(client: TestClient, **params: str) -> Any:
    response = client.get("/api/v1/customers/acme/history", params=params, headers=GLOBAL_AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def test_hourly_points_average_the_reports_in_each_bucket(
    client: TestClient, clock: FakeClock
) -> None:
    # START is 12:00; four reports 15 minutes apart fill the 12:00 hour, one more the 13:00.
    for cpu in (10, 20, 30, 40, 90):
        push(client, system={"cpu_percent": cpu, "load_average": [cpu / 10]})
        clock.advance(minutes=15)
    body = history(client, period="3h", resolution="1h")
    points = body["points"]
    assert [p["at"] for p in points] == ["2026-11-22T12:00:00Z", "2026-11-22T13:00:00Z"]
    assert [p["reports"] for p in points] == [4, 1]
    assert points[0]["cpu_percent"] == 25.0 and points[0]["cpu_percent_max"] == 40.0
    assert points[0]["load1"] == 2.5 and points[1]["cpu_percent"] == 90.0


def test_fifteen_minute_points_keep_each_report(client: TestClient, clock: FakeClock) -> None:
    for cpu in (10, 20, 30):
        push(client, system={"cpu_percent": cpu})
        clock.advance(minutes=15)
    points = history(client, period="1h", resolution="15m")["points"]
    assert [p["cpu_percent"] for p in points] == [10.0, 20.0, 30.0]


def test_a_bucket_keeps_the_worst_health_and_last_disk_and_container_state(
    client: TestClient, clock: FakeClock
) -> None:
    push(
        client, health="fail", storage=[{"mount_point": "/", "total_bytes": 100, "used_bytes": 90}]
    )
    clock.advance(minutes=20)
    push(
        client,
        health="ok",
        storage=[{"mount_point": "/", "total_bytes": 100, "used_bytes": 50}],
        containers=[
            {"name": "a", "state": "running", "health": "unhealthy"},
            {"name": "b", "state": "exited"},
        ],
    )
    (point,) = history(client, period="1h", resolution="1h")["points"]
    assert point["health"] == 2
    assert point["disk_used_percent_max"] == 90.0 and point["disks"] == {"/": 50.0}
    assert (point["containers_total"], point["containers_running"]) == (2, 1)
    assert point["containers_unhealthy"] == 1


def test_backup_age_is_measured_at_ingest(client: TestClient) -> None:
    backups = [
        {
            "kind": "restic",
            "target": "a",
            "status": "ok",
            "last_success_at": "2026-11-22T10:00:00Z",
        },
        {
            "kind": "restic",
            "target": "b",
            "status": "ok",
            "last_success_at": "2026-11-22T11:00:00Z",
        },
    ]
    push(client, backups=backups)
    (point,) = history(client, period="1h", resolution="15m")["points"]
    assert point["restic_backup_age_seconds"] == 2 * 3600  # the oldest one
    assert point["dbdump_age_seconds"] is None


@pytest.mark.parametrize(
    ("period", "expected"),
    [("12h", "15m"), ("7d", "15m"), ("8d", "1h"), ("30d", "1h"), ("90d", "1d")],
)
def test_auto_resolution_fits_the_period(client: TestClient, period: str, expected: str) -> None:
    push(client)
    assert history(client, period=period)["resolution"] == expected


@pytest.mark.parametrize("period", ["7", "d", "0h", "-1d", "1w", "3m", "7D", "3661d", " 7d"])
def test_history_refuses_other_periods_with_400(client: TestClient, period: str) -> None:
    response = client.get(
        "/api/v1/customers/acme/history", params={"period": period}, headers=GLOBAL_AUTH
    )
    assert response.status_code == 400
    assert "period" in response.json()["detail"]


def test_unknown_resolution_is_422(client: TestClient) -> None:
    response = client.get(
        "/api/v1/customers/acme/history", params={"resolution": "5m"}, headers=GLOBAL_AUTH
    )
    assert response.status_code == 422


def test_raw_reports_come_back_whole_newest_first_a_page_at_a_time(
    client: TestClient, clock: FakeClock
) -> None:
    ids = []
    for n in range(5):
        ids.append(push(client, hostname=f"host-{n}", extra_field={"n": n, "text": "é"}))
        clock.advance(minutes=15)
    url = "/api/v1/customers/acme/reports"
    first = client.get(url, params={"limit": 3}, headers=GLOBAL_AUTH).json()
    assert [r["id"] for r in first["reports"]] == ids[:1:-1]
    assert first["reports"][0]["report"]["hostname"] == "host-4"
    assert first["reports"][0]["report"]["extra_field"] == {"n": 4, "text": "é"}
    second = client.get(url, params={"limit": 3, "before": first["next"]}, headers=GLOBAL_AUTH)
    assert [r["id"] for r in second.json()["reports"]] == ids[1::-1]
    assert second.json()["next"] is None


def post_event(client: TestClient, event_type: str, severity: str) -> None:
    body = {"customer_id": "acme", "event_type": event_type, "severity": severity, "message": "m"}
    assert client.post("/api/v1/event", json=body, headers=GLOBAL_AUTH).status_code == 201


def test_events_can_be_read_back_filtered(client: TestClient, clock: FakeClock) -> None:
    post_event(client, "backup_failed", "error")
    clock.advance(days=2)
    post_event(client, "disk_space_low", "warning")
    post_event(client, "backup_completed", "info")
    url = "/api/v1/customers/acme/events"
    every = client.get(url, headers=GLOBAL_AUTH).json()["events"]
    assert [e["event_type"] for e in every] == [
        "backup_completed",
        "disk_space_low",
        "backup_failed",
    ]
    recent = client.get(url, params={"period": "1d"}, headers=GLOBAL_AUTH).json()["events"]
    assert len(recent) == 2
    serious = client.get(
        url, params=[("severity", "error"), ("severity", "warning")], headers=GLOBAL_AUTH
    ).json()["events"]
    assert [e["severity"] for e in serious] == ["warning", "error"]
    typed = client.get(url, params={"type": "backup_failed"}, headers=GLOBAL_AUTH).json()
    assert [e["event_type"] for e in typed["events"]] == ["backup_failed"]


def test_a_customer_key_reads_only_its_own_past(
    client: TestClient, acme: Customer, globex: Customer
) -> None:
    push(client)
    for path in ("history", "reports", "events"):
        assert client.get(f"/api/v1/customers/acme/{path}", headers=acme.auth).status_code == 200
        denied = client.get(f"/api/v1/customers/acme/{path}", headers=globex.auth)
        assert denied.status_code == 403
