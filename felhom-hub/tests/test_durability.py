"""A 2xx means committed: SIGKILL the server mid-stream, restart, find every acknowledged report
— on SQLite and on PostgreSQL."""

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests import pg_server
from tests.conftest import report_body
from tests.hub_process import GLOBAL_KEY, replica_env, start_hub

pytestmark = pytest.mark.slow

WRITERS = 4
KILL_AFTER = 300  # acknowledged reports before the kill
MAX_PER_WRITER = 5000  # bound on each writer's loop


def storage_env(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    if engine == "sqlite":
        return {}
    server: pg_server.PostgresServer = request.getfixturevalue("postgres_server")
    return replica_env(server.url(server.new_database()), pg_server.PASSWORD, tmp_path / "keys")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_every_acknowledged_report_survives_sigkill(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    env = storage_env(engine, tmp_path, request)
    hub = start_hub(tmp_path, env=env)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(number: int) -> None:
        auth = {"Authorization": f"Bearer {GLOBAL_KEY}"}
        with httpx.Client(base_url=hub.url, headers=auth, timeout=5) as http:
            for seq in range(MAX_PER_WRITER):
                if stop.is_set():
                    return
                hostname = f"w{number}-{seq}"
                try:
                    response = http.post(
                        "/api/v1/report", json=report_body("acme", hostname=hostname)
                    )
                except httpx.TransportError:
                    return  # the server is gone; this request was never acknowledged
                if response.status_code == 201:
                    with lock:
                        acknowledged.append(hostname)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < KILL_AFTER and time.monotonic() < deadline:
        time.sleep(0.01)
    hub.kill()  # SIGKILL while the writers still have requests in flight
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(acknowledged) >= KILL_AFTER, "the writers never got going"

    restarted = start_hub(tmp_path, port=None, env=env)
    try:
        stored = stored_hostnames(restarted.url)
    finally:
        restarted.stop()
    missing = [h for h in acknowledged if h not in stored]
    assert not missing, f"{len(missing)} acknowledged reports lost, e.g. {missing[:5]}"


def stored_hostnames(url: str) -> set[str]:
    """Every raw report's hostname, read back a page at a time through the API."""
    found: set[str] = set()
    params: dict[str, str | int] = {"period": "1d", "limit": 100}
    auth = {"Authorization": f"Bearer {GLOBAL_KEY}"}
    for _ in range(WRITERS * MAX_PER_WRITER // 100 + 1):
        page = httpx.get(f"{url}/api/v1/customers/acme/reports", params=params, headers=auth)
        assert page.status_code == 200, page.text
        found.update(item["report"]["hostname"] for item in page.json()["reports"])
        if page.json()["next"] is None:
            break
        params["before"] = page.json()["next"]
    return found
