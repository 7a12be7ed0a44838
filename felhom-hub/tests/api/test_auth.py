"""The auth matrix: every endpoint by no key / wrong key / global key / own key / other's key."""

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

from felhom_hub.store import Database, customers
from tests.conftest import GLOBAL_AUTH, START, Customer, report_body

B64 = base64.b64encode(b"customer_id: acme\n").decode()

WRITES: dict[str, dict[str, Any]] = {
    "/api/v1/report": report_body("acme"),
    "/api/v1/event": {
        "customer_id": "acme",
        "event_type": "backup_completed",
        "severity": "info",
        "message": "nightly backup done",
    },
    "/api/v1/infra-backup": {
        "customer_id": "acme",
        "controller_yaml": B64,
        "settings_json": B64,
        "restic_passwords": {"primary": "p1"},
    },
    "/api/v1/notify": {"customer_id": "acme", "subject": "hi", "message": "relay me"},
    "/api/v1/preferences": {"customer_id": "acme", "email": "ops@acme.example"},
}
READS = [
    "/api/v1/customers/acme",
    "/api/v1/customers/acme/history?period=24h",
    "/api/v1/infra-backup/acme",
]
OK = {
    "/api/v1/report": 201,
    "/api/v1/event": 201,
    "/api/v1/infra-backup": 201,
    "/api/v1/notify": 202,
    "/api/v1/preferences": 200,
}


def headers_for(role: str, acme: Customer, globex: Customer) -> dict[str, str]:
    return {
        "none": {},
        "wrong": {"Authorization": "Bearer not-a-key-anyone-has"},
        "not-bearer": {"Authorization": f"Basic {acme.api_key}"},
        "global": GLOBAL_AUTH,
        "own": acme.auth,
        "other": globex.auth,
    }[role]


def seed(client: TestClient) -> None:
    for path, body in WRITES.items():
        assert client.post(path, json=body, headers=GLOBAL_AUTH).status_code == OK[path]


@pytest.mark.parametrize("path", list(WRITES))
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("none", 401),
        ("wrong", 401),
        ("not-bearer", 401),
        ("global", None),
        ("own", None),
        ("other", 403),
    ],
)
def test_write_endpoints(
    client: TestClient,
    acme: Customer,
    globex: Customer,
    path: str,
    role: str,
    expected: int | None,
) -> None:
    response = client.post(path, json=WRITES[path], headers=headers_for(role, acme, globex))
    assert response.status_code == (expected or OK[path]), response.text
    if response.status_code == 401:
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("none", 401),
        ("wrong", 401),
        ("not-bearer", 401),
        ("global", 200),
        ("own", 200),
        ("other", 403),
    ],
)
def test_read_endpoints(
    client: TestClient, acme: Customer, globex: Customer, path: str, role: str, expected: int
) -> None:
    seed(client)
    response = client.get(path, headers=headers_for(role, acme, globex))
    assert response.status_code == expected, response.text
    if expected == 200:
        assert response.json()["customer_id"] == "acme"


@pytest.mark.parametrize(
    ("role", "expected", "listed"),
    [
        ("none", 401, None),
        ("wrong", 401, None),
        ("global", 200, ["acme", "globex"]),
        ("own", 200, ["acme"]),
        ("other", 200, ["globex"]),
    ],
)
def test_customer_list_shows_a_customer_key_only_its_own(
    client: TestClient,
    acme: Customer,
    globex: Customer,
    role: str,
    expected: int,
    listed: list[str] | None,
) -> None:
    seed(client)
    response = client.get("/api/v1/customers", headers=headers_for(role, acme, globex))
    assert response.status_code == expected
    if listed is not None:
        assert [c["customer_id"] for c in response.json()["customers"]] == listed


def test_rejected_writes_store_nothing(
    client: TestClient, db: Database, acme: Customer, globex: Customer
) -> None:
    for path, body in WRITES.items():
        for role in ("none", "wrong", "other"):
            client.post(path, json=body, headers=headers_for(role, acme, globex))
    response = client.get("/api/v1/customers/acme", headers=GLOBAL_AUTH)
    assert response.status_code == 404
    assert client.get("/api/v1/infra-backup/acme", headers=GLOBAL_AUTH).status_code == 404


def test_blocked_customers_key_still_reports(
    client: TestClient, db: Database, acme: Customer
) -> None:
    with db.write() as conn:
        customers.set_status(conn, customer_id="acme", status="blocked", now=START)
    assert client.post("/api/v1/report", json=report_body(), headers=acme.auth).status_code == 201
    listed = client.get("/api/v1/customers", headers=GLOBAL_AUTH).json()["customers"]
    assert listed[0]["status"] == "BLOCKED"


def test_a_blocked_customers_own_key_reads_its_own_data_but_gets_no_config(
    client: TestClient, db: Database, acme: Customer
) -> None:
    """The policy (docs/felhom-hub.md): blocking stops what the hub hands out and hides the
    customer from the dashboard; what the node sends is still stored and stays readable to it."""
    seed(client)
    with db.write() as conn:
        customers.set_status(conn, customer_id="acme", status="blocked", now=START)
    for path in (
        "/api/v1/customers",
        "/api/v1/customers/acme",
        "/api/v1/customers/acme/history",
        "/api/v1/customers/acme/reports",
        "/api/v1/customers/acme/events",
        "/api/v1/infra-backup/acme",
    ):
        assert client.get(path, headers=acme.auth).status_code == 200, path
    config = client.get(
        "/api/v1/config/acme", headers={"X-Retrieval-Password": acme.retrieval_password}
    )
    assert config.status_code == 403


def test_empty_global_key_disables_it(client: TestClient, acme: Customer) -> None:
    client.app.state.settings.api.report_api_key = ""  # type: ignore[attr-defined]
    assert client.get("/api/v1/customers", headers={"Authorization": "Bearer "}).status_code == 401
    assert client.get("/api/v1/customers", headers=acme.auth).status_code == 200


def test_healthz_needs_no_key(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


class TestConfigRetrieval:
    path = "/api/v1/config/acme"

    def test_missing_or_wrong_password_is_401(self, client: TestClient, acme: Customer) -> None:
        assert client.get(self.path).status_code == 401
        wrong = {"X-Retrieval-Password": "guess"}
        assert client.get(self.path, headers=wrong).status_code == 401

    def test_bearer_keys_do_not_open_it(self, client: TestClient, acme: Customer) -> None:
        assert client.get(self.path, headers=GLOBAL_AUTH).status_code == 401
        assert client.get(self.path, headers=acme.auth).status_code == 401

    def test_other_customers_password_is_401(
        self, client: TestClient, acme: Customer, globex: Customer
    ) -> None:
        headers = {"X-Retrieval-Password": globex.retrieval_password}
        assert client.get(self.path, headers=headers).status_code == 401

    def test_unknown_customer_looks_like_a_wrong_password(self, client: TestClient) -> None:
        response = client.get("/api/v1/config/nobody", headers={"X-Retrieval-Password": "x"})
        assert response.status_code == 401

    def test_right_password_gets_404_until_configs_are_generated(
        self, client: TestClient, acme: Customer
    ) -> None:
        headers = {"X-Retrieval-Password": acme.retrieval_password}
        response = client.get(self.path, headers=headers)
        assert response.status_code == 404
        assert "generated" in response.json()["detail"]

    def test_blocked_customer_is_403(
        self, client: TestClient, db: Database, acme: Customer
    ) -> None:
        with db.write() as conn:
            customers.set_status(conn, customer_id="acme", status="blocked", now=START)
        headers = {"X-Retrieval-Password": acme.retrieval_password}
        assert client.get(self.path, headers=headers).status_code == 403
