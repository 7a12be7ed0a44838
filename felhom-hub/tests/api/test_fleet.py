"""Fleet reads: computed statuses, latest report, history periods."""

import pytest
from fastapi.testclient import TestClient

from felhom_hub.store import Database
from tests.conftest import GLOBAL_AUTH, Customer, FakeClock, add_customer, report_body


def statuses(client: TestClient) -> dict[str, str]:
    listed = client.get("/api/v1/customers", headers=GLOBAL_AUTH).json()["customers"]
    return {c["customer_id"]: c["status"] for c in listed}


def push(client: TestClient, customer_id: str, **overrides: object) -> None:
    response = client.post(
        "/api/v1/report", json=report_body(customer_id, **overrides), headers=GLOBAL_AUTH
    )
    assert response.status_code == 201


def test_statuses_follow_report_age_health_and_state(
    client: TestClient, db: Database, clock: FakeClock, acme: Customer
) -> None:
    add_customer(db, "pending-co")
    push(client, "acme")
    push(client, "manual-co", health="warn")
    push(client, "paused-co", monitoring_paused=True)
    assert statuses(client) == {
        "acme": "OK",
        "manual-co": "WARN",
        "paused-co": "DISABLED",
        "pending-co": "PENDING",
    }
    clock.advance(minutes=31)
    assert statuses(client)["acme"] == "WARN"
    clock.advance(minutes=30)
    assert statuses(client)["acme"] == "DOWN"
    push(client, "acme", health="fail")
    assert statuses(client)["acme"] == "DOWN"
    push(client, "acme")
    assert statuses(client)["acme"] == "OK"


def test_list_marks_managed_customers_and_shows_latest_summary(
    client: TestClient, acme: Customer, clock: FakeClock
) -> None:
    push(client, "acme", controller_version="0.9.0")
    clock.advance(minutes=15)
    push(client, "acme", controller_version="1.0.0")
    push(client, "manual-co")
    listed = {
        c["customer_id"]: c
        for c in client.get("/api/v1/customers", headers=GLOBAL_AUTH).json()["customers"]
    }
    assert listed["acme"]["managed"] is True and listed["manual-co"]["managed"] is False
    assert listed["acme"]["controller_version"] == "1.0.0"
    assert listed["acme"]["last_report_at"] == "2026-11-22T12:15:00Z"


def test_latest_report_is_the_newest_full_body(client: TestClient, clock: FakeClock) -> None:
    push(client, "acme", hostname="old-name")
    clock.advance(minutes=15)
    push(client, "acme", hostname="new-name")
    body = client.get("/api/v1/customers/acme", headers=GLOBAL_AUTH).json()
    assert body["report"]["hostname"] == "new-name"
    assert body["status"] == "OK"


def test_unknown_customer_is_404(client: TestClient) -> None:
    assert client.get("/api/v1/customers/nobody", headers=GLOBAL_AUTH).status_code == 404


def test_bad_customer_id_in_path_is_422(client: TestClient) -> None:
    assert client.get("/api/v1/customers/a%20b", headers=GLOBAL_AUTH).status_code == 422


def page(client: TestClient, **params: object) -> dict[str, object]:
    response = client.get("/api/v1/customers", params=params, headers=GLOBAL_AUTH)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def ids(body: dict[str, object]) -> list[str]:
    return [c["customer_id"] for c in body["customers"]]  # type: ignore[attr-defined]


def test_the_fleet_list_comes_a_page_at_a_time(client: TestClient, db: Database) -> None:
    for n in range(7):
        add_customer(db, f"c{n}")
    first = page(client, limit=3)
    assert ids(first) == ["c0", "c1", "c2"] and first["next"] == "c2"
    second = page(client, limit=3, after=first["next"])
    assert ids(second) == ["c3", "c4", "c5"]
    last = page(client, limit=3, after=second["next"])
    assert ids(last) == ["c6"] and last["next"] is None


def test_the_fleet_list_filters_by_status_across_pages(
    client: TestClient, db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from felhom_hub.api import fleet as fleet_api

    monkeypatch.setattr(fleet_api, "SCAN_CHUNK", 2)  # the filter must read on past a chunk
    for n in range(6):
        push(client, f"c{n}", health="warn" if n in (1, 4, 5) else "ok")
    warn = page(client, status="WARN", limit=2)
    assert ids(warn) == ["c1", "c4"] and warn["next"] == "c4"
    rest = page(client, status="WARN", limit=2, after="c4")
    assert ids(rest) == ["c5"] and rest["next"] is None
    assert ids(page(client, status="DOWN")) == []
    clock.advance(hours=2)
    assert len(ids(page(client, status="DOWN"))) == 6


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 1001}, {"status": "BAD"}, {"after": "a b"}]
)
def test_bad_list_parameters_are_422(client: TestClient, params: dict[str, object]) -> None:
    response = client.get("/api/v1/customers", params=params, headers=GLOBAL_AUTH)  # type: ignore[arg-type]
    assert response.status_code == 422
