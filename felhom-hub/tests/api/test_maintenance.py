"""Maintenance windows through the API: add, list, remove; bad windows refused."""

from fastapi.testclient import TestClient

from tests.conftest import GLOBAL_AUTH, Customer


def test_a_window_round_trip(client: TestClient, acme: Customer, globex: Customer) -> None:
    url = "/api/v1/customers/acme/maintenance"
    window = {"starts_at": "2026-11-22T12:00:00Z", "ends_at": "2026-11-22T14:00:00+00:00"}
    created = client.post(url, json={**window, "reason": "disk swap"}, headers=acme.auth)
    assert created.status_code == 201
    listed = client.get(url, headers=GLOBAL_AUTH).json()["windows"]
    assert [(w["id"], w["reason"]) for w in listed] == [(created.json()["id"], "disk swap")]
    assert client.get(url, headers=globex.auth).status_code == 403
    removed = client.delete(f"{url}/{created.json()['id']}", headers=acme.auth)
    assert removed.status_code == 204
    assert client.get(url, headers=GLOBAL_AUTH).json()["windows"] == []
    assert client.delete(f"{url}/{created.json()['id']}", headers=acme.auth).status_code == 404


def test_bad_windows_are_422(client: TestClient, acme: Customer) -> None:
    url = "/api/v1/customers/acme/maintenance"
    for window in (
        {"starts_at": "2026-11-22T14:00:00Z", "ends_at": "2026-11-22T12:00:00Z"},
        {"starts_at": "2026-11-22T12:00:00", "ends_at": "2026-11-22T14:00:00Z"},
    ):
        assert client.post(url, json=window, headers=acme.auth).status_code == 422
