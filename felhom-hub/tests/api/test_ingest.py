"""Ingest: what is accepted, what is refused with a clear 4xx, and that refusals store nothing."""

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from felhom_hub.store import Database, events, infra_backups, notifications, reports
from tests.conftest import GLOBAL_AUTH, START, Customer, FakeClock, report_body

JSON = {**GLOBAL_AUTH, "Content-Type": "application/json"}


def stored_counts(db: Database) -> tuple[int, int, int]:
    with db.read() as conn:
        return (
            reports.count(conn),
            events.count(conn),
            infra_backups.count(conn, customer_id="acme"),
        )


def backup_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": "acme",
        "controller_yaml": base64.b64encode(b"hub:\n  url: x\n").decode(),
        "settings_json": base64.b64encode(b'{"backup": true}').decode(),
        "disk_layout": [
            {
                "uuid": "0b7c-11",
                "label": "hdd1",
                "mount_point": "/mnt/hdd1",
                "fs_type": "ext4",
                "fstab_options": "defaults,nofail",
                "bind_mounts": [{"source": "/mnt/hdd1/apps", "target": "/srv/apps"}],
            }
        ],
        "stacks": [{"name": "nextcloud", "display_name": "Nextcloud", "hdd_path": "/mnt/hdd1"}],
        "restic_passwords": {"primary": "s3cret-primary", "cross_drive": "s3cret-cross"},
    }
    body.update(overrides)
    return body


class TestReport:
    def test_it_stores_the_report_as_received_with_summary_columns(
        self, client: TestClient, db: Database, clock: FakeClock
    ) -> None:
        body = report_body(future_field={"nested": [1, 2]})
        response = client.post("/api/v1/report", json=body, headers=GLOBAL_AUTH)
        assert response.status_code == 201
        with db.read() as conn:
            stored = reports.latest(conn, customer_id="acme")
        assert stored is not None
        summary, report = stored
        assert report == body
        assert summary.received_at == START
        assert summary.hostname == "acme-node-1"
        assert summary.controller_version == "0.9.3"
        assert summary.health == "ok"
        assert summary.controller_url == "http://acme.example:8080/"
        assert response.json()["id"] == summary.report_id

    def test_unknown_fields_in_nested_objects_are_kept(self, client: TestClient) -> None:
        body = report_body(system={"cpu_percent": 1, "gpu": {"temp": 50}})
        client.post("/api/v1/report", json=body, headers=GLOBAL_AUTH)
        latest = client.get("/api/v1/customers/acme", headers=GLOBAL_AUTH).json()
        assert latest["report"]["system"]["gpu"] == {"temp": 50}

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"health": "great"}, "health"),
            ({"customer_id": "../etc"}, "customer_id"),
            ({"customer_id": ""}, "customer_id"),
            ({"hostname": ""}, "hostname"),
            ({"controller_version": 3}, "controller_version"),
            ({"system": {"cpu_percent": 140}}, "cpu_percent"),
            ({"storage": [{"mount_point": "/"}]}, "total_bytes"),
            ({"containers": [{"name": "x", "state": "sleeping"}]}, "state"),
            ({"controller_url": "not a url"}, "controller_url"),
            ({"storage": "lots"}, "storage"),
        ],
    )
    def test_bad_fields_are_422_naming_the_field(
        self, client: TestClient, db: Database, change: dict[str, Any], field: str
    ) -> None:
        response = client.post("/api/v1/report", json=report_body(**change), headers=GLOBAL_AUTH)
        assert response.status_code == 422
        locations = [".".join(map(str, e["loc"])) for e in response.json()["detail"]]
        assert any(field in loc for loc in locations), locations
        assert stored_counts(db) == (0, 0, 0)

    def test_missing_required_fields_are_listed(self, client: TestClient) -> None:
        response = client.post("/api/v1/report", json={"customer_id": "acme"}, headers=GLOBAL_AUTH)
        missing = {e["loc"][-1] for e in response.json()["detail"] if e["type"] == "missing"}
        assert missing == {"hostname", "controller_version", "health"}

    def test_malformed_json_is_400(self, client: TestClient, db: Database) -> None:
        response = client.post("/api/v1/report", content=b'{"customer_id": ', headers=JSON)
        assert response.status_code == 400
        assert response.json()["detail"].startswith("malformed JSON")
        assert stored_counts(db) == (0, 0, 0)

    def test_non_json_content_type_is_415(self, client: TestClient) -> None:
        headers = {**GLOBAL_AUTH, "Content-Type": "application/x-www-form-urlencoded"}
        response = client.post("/api/v1/report", content=b"a=b", headers=headers)
        assert response.status_code == 415

    def test_validation_errors_never_echo_the_input(self, client: TestClient) -> None:
        body = backup_body(restic_passwords={"primary": "TOPSECRET", "extra": "TOPSECRET"})
        response = client.post("/api/v1/infra-backup", json=body, headers=GLOBAL_AUTH)
        assert response.status_code == 422
        assert "TOPSECRET" not in response.text

    def test_body_over_the_limit_is_413_and_stores_nothing(
        self, client: TestClient, db: Database
    ) -> None:
        huge = report_body(padding="x" * (1024 * 1024))
        response = client.post("/api/v1/report", json=huge, headers=GLOBAL_AUTH)
        assert response.status_code == 413
        assert "larger than 1048576 bytes" in response.json()["detail"]
        assert stored_counts(db) == (0, 0, 0)

    def test_chunked_body_over_the_limit_is_413(self, client: TestClient, db: Database) -> None:
        def chunks() -> Any:
            yield b'{"customer_id": "acme", "padding": "'
            for _ in range(40):
                yield b"y" * 32768
            yield b'"}'

        response = client.post("/api/v1/report", content=chunks(), headers=JSON)
        assert response.status_code == 413
        assert stored_counts(db) == (0, 0, 0)

    def test_per_customer_key_cannot_report_for_an_unknown_customer(
        self, client: TestClient, acme: Customer, db: Database
    ) -> None:
        response = client.post("/api/v1/report", json=report_body("nobody"), headers=acme.auth)
        assert response.status_code == 403
        assert stored_counts(db) == (0, 0, 0)


class TestEvent:
    def event(self, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "customer_id": "acme",
            "event_type": "backup_failed",
            "severity": "error",
            "message": "restic exited 1",
            "details_json": {"repo": "hdd1", "exit_code": 1},
        }
        body.update(overrides)
        return body

    def test_it_stores_the_event(self, client: TestClient, db: Database) -> None:
        response = client.post("/api/v1/event", json=self.event(), headers=GLOBAL_AUTH)
        assert response.status_code == 201
        with db.read() as conn:
            [stored] = events.recent(conn, customer_id="acme", limit=5)
        assert (stored.event_type, stored.severity, stored.source) == (
            "backup_failed",
            "error",
            "controller",
        )
        assert json.loads(stored.details_json) == {"repo": "hdd1", "exit_code": 1}

    def test_details_may_come_as_json_text(self, client: TestClient, db: Database) -> None:
        body = self.event(details_json='{"a": 1}')
        assert client.post("/api/v1/event", json=body, headers=GLOBAL_AUTH).status_code == 201
        with db.read() as conn:
            [stored] = events.recent(conn, customer_id="acme", limit=1)
        assert json.loads(stored.details_json) == {"a": 1}

    def test_unknown_type_is_422_naming_the_allowed_set(
        self, client: TestClient, db: Database
    ) -> None:
        body = self.event(event_type="disk_on_fire")
        response = client.post("/api/v1/event", json=body, headers=GLOBAL_AUTH)
        assert response.status_code == 422
        message = response.json()["detail"][0]["msg"]
        assert "disk_on_fire" not in message  # rejected input is never echoed
        assert "backup_failed" in message and "cert_expiring" in message
        assert stored_counts(db) == (0, 0, 0)

    @pytest.mark.parametrize(
        ("change", "hint"),
        [
            ({"event_type": "node_down"}, "generated by the hub"),
            ({"source": "hub"}, "reserved"),
            ({"severity": "critical"}, "severity"),
            ({"message": ""}, "message"),
            ({"details_json": "[1, 2]"}, "object"),
            ({"details_json": "{nope"}, "not valid JSON"),
        ],
    )
    def test_bad_events_are_refused(
        self, client: TestClient, db: Database, change: dict[str, Any], hint: str
    ) -> None:
        response = client.post("/api/v1/event", json=self.event(**change), headers=GLOBAL_AUTH)
        assert response.status_code == 422
        assert hint in response.text
        assert stored_counts(db) == (0, 0, 0)


class TestInfraBackup:
    def test_latest_snapshot_round_trips(self, client: TestClient, clock: FakeClock) -> None:
        client.post("/api/v1/infra-backup", json=backup_body(), headers=GLOBAL_AUTH)
        clock.advance(hours=1)
        newer = backup_body(stacks=[{"name": "immich"}])
        client.post("/api/v1/infra-backup", json=newer, headers=GLOBAL_AUTH)
        response = client.get("/api/v1/infra-backup/acme", headers=GLOBAL_AUTH)
        assert response.status_code == 200
        backup = response.json()["backup"]
        assert backup["stacks"][0]["name"] == "immich"
        assert backup["restic_passwords"]["primary"] == "s3cret-primary"
        assert base64.b64decode(backup["controller_yaml"]) == b"hub:\n  url: x\n"
        assert backup["disk_layout"][0]["bind_mounts"][0]["target"] == "/srv/apps"

    @pytest.mark.parametrize(
        "change",
        [
            {"controller_yaml": "not base64!!"},
            {"settings_json": "QUJ"},  # truncated
            {"controller_yaml": base64.b64encode(b"x" * 400_000).decode()},  # > 512 KiB of text
            {"restic_passwords": {}},
            {"disk_layout": [{"label": "no uuid"}]},
        ],
    )
    def test_bad_snapshots_are_refused(
        self, client: TestClient, db: Database, change: dict[str, Any]
    ) -> None:
        response = client.post(
            "/api/v1/infra-backup", json=backup_body(**change), headers=GLOBAL_AUTH
        )
        assert response.status_code == 422
        assert stored_counts(db) == (0, 0, 0)

    def test_no_snapshot_is_404(self, client: TestClient) -> None:
        assert client.get("/api/v1/infra-backup/acme", headers=GLOBAL_AUTH).status_code == 404


class TestNotifyAndPreferences:
    def test_notify_is_stored_as_a_relay_event_for_the_dispatcher(
        self, client: TestClient, db: Database
    ) -> None:
        body = {"customer_id": "acme", "subject": "Disk", "message": "hdd1 at 91%"}
        response = client.post("/api/v1/notify", json=body, headers=GLOBAL_AUTH)
        assert response.status_code == 202
        with db.read() as conn:
            [event] = events.recent(conn, customer_id="acme", limit=5)
        assert response.json() == {"id": event.id, "status": "queued"}
        assert (event.event_type, event.message, event.dispatched) == (
            "notify_relay",
            "hdd1 at 91%",
            0,
        )
        assert json.loads(event.details_json) == {"subject": "Disk"}

    def test_preferences_are_replaced(self, client: TestClient, db: Database) -> None:
        first = {
            "customer_id": "acme",
            "email": "a@acme.example",
            "enabled_events": ["backup_failed"],
        }
        second = {"customer_id": "acme", "email": "b@acme.example", "cooldown_hours": 12}
        client.post("/api/v1/preferences", json=first, headers=GLOBAL_AUTH)
        assert (
            client.post("/api/v1/preferences", json=second, headers=GLOBAL_AUTH).status_code == 200
        )
        with db.read() as conn:
            prefs = notifications.preferences(conn, customer_id="acme")
        assert prefs is not None
        assert (prefs.email, prefs.enabled_events, prefs.cooldown_hours) == (
            "b@acme.example",
            [],
            12,
        )

    @pytest.mark.parametrize(
        "change",
        [
            {"email": "nobody"},
            {"enabled_events": ["made_up"]},
            {"cooldown_hours": -1},
            {"cooldown_hours": 10_000},
        ],
    )
    def test_bad_preferences_change_nothing(
        self, client: TestClient, db: Database, change: dict[str, Any]
    ) -> None:
        body = {"customer_id": "acme", "email": "a@acme.example", **change}
        assert client.post("/api/v1/preferences", json=body, headers=GLOBAL_AUTH).status_code == 422
        with db.read() as conn:
            assert notifications.preferences(conn, customer_id="acme") is None
