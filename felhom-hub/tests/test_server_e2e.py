"""End to end: the real server (uvicorn in a child process) driven over loopback HTTP."""

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import report_body
from tests.hub_process import GLOBAL_KEY, HubProcess, start_hub

pytestmark = pytest.mark.slow


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    process = start_hub(tmp_path)
    yield process
    process.stop()


def test_a_node_lifecycle_over_http(hub: HubProcess, tmp_path: Path) -> None:
    auth = {"Authorization": f"Bearer {GLOBAL_KEY}"}
    with httpx.Client(base_url=hub.url, headers=auth, timeout=10) as http:
        assert http.post("/api/v1/report", json=report_body("acme")).status_code == 201
        event = {
            "customer_id": "acme",
            "event_type": "backup_completed",
            "severity": "info",
            "message": "ok",
        }
        assert http.post("/api/v1/event", json=event).status_code == 201
        snapshot = {
            "customer_id": "acme",
            "controller_yaml": base64.b64encode(b"a: 1\n").decode(),
            "settings_json": base64.b64encode(b"{}").decode(),
            "restic_passwords": {"primary": "pw"},
        }
        assert http.post("/api/v1/infra-backup", json=snapshot).status_code == 201
        listed = http.get("/api/v1/customers").json()["customers"]
        assert [(c["customer_id"], c["status"]) for c in listed] == [("acme", "OK")]
        assert http.get("/api/v1/infra-backup/acme").json()["backup"]["restic_passwords"] == {
            "primary": "pw",
            "cross_drive": None,
        }
        assert (
            http.post(
                "/api/v1/report", content=b"{", headers={"Content-Type": "application/json"}
            ).status_code
            == 400
        )
        assert (
            http.get("/api/v1/customers", headers={"Authorization": "Bearer x"}).status_code == 401
        )
        assert http.get("/openapi.json").json()["info"]["title"] == "felhom-hub"
    hub.stop()
    assert "Traceback" not in hub.log.read_text()


def test_data_survives_a_clean_restart(tmp_path: Path) -> None:
    first = start_hub(tmp_path)
    auth = {"Authorization": f"Bearer {GLOBAL_KEY}"}
    httpx.post(f"{first.url}/api/v1/report", json=report_body("acme"), headers=auth)
    first.stop()
    second = start_hub(tmp_path)
    try:
        response = httpx.get(f"{second.url}/api/v1/customers/acme", headers=auth)
        assert response.json()["report"]["hostname"] == "acme-node-1"
    finally:
        second.stop()


def test_healthz_is_503_when_the_database_cannot_answer(hub: HubProcess, tmp_path: Path) -> None:
    assert httpx.get(f"{hub.url}/healthz").status_code == 200
    with (tmp_path / "hub.db").open("r+b") as damaged:  # overwrite the header and first pages
        damaged.write(b"not a database" * 1000)
    (tmp_path / "hub.db-wal").unlink(missing_ok=True)
    deadline = time.monotonic() + 5  # the background probe opens the file every second
    response = httpx.get(f"{hub.url}/healthz")
    while response.status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.1)
        response = httpx.get(f"{hub.url}/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "database unavailable"
