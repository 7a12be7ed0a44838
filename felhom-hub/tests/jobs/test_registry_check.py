"""The registry version check against a real registry (basic auth), Gitea's bearer-token flow
(a scripted loopback server: a real token-auth registry needs a JWT-signing token service no
package provides), wrong credentials and an unreachable registry (the last good value kept)."""

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from felhom_hub.alerting.registry_client import newest_version, update_available
from felhom_hub.config import RegistrySettings
from felhom_hub.jobs import registry_check
from felhom_hub.store import Database, registry
from tests.alerting.registry_peer import Registry, available
from tests.conftest import GLOBAL_AUTH, FakeClock, report_body
from tests.hub_process import free_port

REPO = "admin/felhom-controller"


@pytest.fixture(scope="module")
def real_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reason = available()
    if reason:
        pytest.skip(reason)
    running = Registry(tmp_path_factory.mktemp("registry"), "gitea", "s3cret-token")
    running.start()
    try:  # stopped even when a push fails, so no registry outlives the tests
        for tag in ("v0.9.3", "v0.10.0", "v0.1.0", "latest", "v0.11.0-rc1"):
            running.push_tag(REPO, tag)
        yield running
    finally:
        running.stop()


def settings_for(
    url: str, username: str = "gitea", token: str = "s3cret-token"
) -> RegistrySettings:
    return RegistrySettings(image=f"{url}/{REPO}", username=username, token=token)


def test_newest_is_the_highest_release() -> None:
    assert newest_version(["v0.9.3", "v0.10.0", "latest", "v0.11.0-rc1", "main"]) == "v0.10.0"
    assert newest_version(["latest"]) is None
    assert update_available("0.9.3", "v0.10.0") is True
    assert update_available("0.10.0", "v0.10.0") is False
    assert update_available("dev-build", "v0.10.0") is None


async def check(db: Database, settings: RegistrySettings, clock: FakeClock) -> str:
    async with httpx.AsyncClient(timeout=5) as client:
        return await registry_check.run_once(db, client, settings, clock())


async def test_a_real_registry_with_basic_auth(
    db: Database, real_registry: Registry, clock: FakeClock
) -> None:
    settings = settings_for(real_registry.url.replace("http://", "http://"))
    assert await check(db, settings, clock) == "newest v0.10.0"
    with db.read() as conn:
        state = registry.state(conn, image=settings.image)
    assert state is not None and (state.newest, state.error) == ("v0.10.0", None)


async def test_wrong_credentials_and_an_unreachable_registry_keep_the_last_good_value(
    db: Database, real_registry: Registry, clock: FakeClock
) -> None:
    good = settings_for(real_registry.url)
    await check(db, good, clock)
    clock.advance(minutes=30)
    wrong = settings_for(real_registry.url, token="wrong-secret")
    outcome = await check(db, wrong, clock)
    assert "401" in outcome and "wrong-secret" not in outcome
    gone = RegistrySettings(image=f"http://127.0.0.1:{free_port()}/{REPO}", username="gitea")
    with db.write() as conn:  # the same image key for the unreachable case
        registry.record(conn, image=gone.image, newest="v0.10.0", error=None, now=clock())
    assert "unreachable" in await check(db, gone, clock)
    with db.read() as conn:
        kept = registry.state(conn, image=wrong.image)
        lost = registry.state(conn, image=gone.image)
    assert kept is not None and kept.newest == "v0.10.0" and "401" in (kept.error or "")
    assert lost is not None and lost.newest == "v0.10.0" and "unreachable" in (lost.error or "")


@pytest.fixture
def gitea() -> Iterator[tuple[str, list[str]]]:
    """Gitea's flow: a 401 with a Bearer challenge, a token for basic auth, then the tags."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            auth = self.headers.get("authorization", "")
            if self.path.startswith("/v2/token"):
                ok = auth == "Basic " + base64.b64encode(b"gitea:s3cret-token").decode()
                self._json(200 if ok else 401, {"token": "registry-token"} if ok else {})
            elif auth == "Bearer registry-token":
                self._json(200, {"name": REPO, "tags": ["v1.2.0", "v1.10.0", "latest"]})
            else:
                realm = f"http://{self.headers['Host']}/v2/token"
                challenge = f'Bearer realm="{realm}",service="gitea",scope="repository:{REPO}:pull"'
                self._json(401, {}, {"WWW-Authenticate": challenge})

        def _json(
            self, code: int, body: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            for name, value in {"Content-Length": str(len(data)), **(headers or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


async def test_gitea_bearer_challenge(
    db: Database, clock: FakeClock, gitea: tuple[str, list[str]]
) -> None:
    url, seen = gitea
    assert await check(db, settings_for(url), clock) == "newest v1.10.0"
    assert any(p.startswith("/v2/token?") and "scope=repository" in p for p in seen)


async def test_the_fleet_list_says_who_can_update(
    client: TestClient, db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    image = client.app.state.settings.registry.image  # type: ignore[attr-defined]
    with db.write() as conn:
        registry.record(conn, image=image, newest="v1.0.0", error=None, now=clock())
    for customer_id, version in (("old-co", "0.9.3"), ("new-co", "1.0.0")):
        body = report_body(customer_id, controller_version=version)
        client.post("/api/v1/report", json=body, headers=GLOBAL_AUTH)
    listed = client.get("/api/v1/customers", headers=GLOBAL_AUTH).json()["customers"]
    assert {c["customer_id"]: c["update_available"] for c in listed} == {
        "new-co": False,
        "old-co": True,
    }
