"""The controller's HTTP API over a real loopback socket: auth, config read/apply, update."""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from felhom_controller.api import ApiServer
from felhom_controller.config import load_settings
from felhom_controller.cycle import Controller
from felhom_controller.update import Updater

KEY = "customer-hub-key-0123456789"


def config_text(tmp_path: Path, interval: int = 900, key: str = KEY, update: str = "[]") -> str:
    return (
        "identity: {customer_id: acme, hostname: node-1}\n"
        f"hub: {{url: 'http://127.0.0.1:9', api_key: '{key}'}}\n"
        f"report: {{interval_seconds: {interval}}}\n"
        f"engine: {{enabled: false}}\nupdate: {{command: {update}, timeout_seconds: 20}}\n"
        f"state_dir: {tmp_path / 'state'}\n"
    )


@dataclass
class Api:
    url: str
    controller: Controller
    config: Path
    updater: Updater

    def events(self) -> list[dict[str, str]]:
        files = sorted(self.controller.spool.directory.glob("*-event.json"))
        return [json.loads(path.read_text()) for path in files]


def start(tmp_path: Path, text: str) -> tuple[ApiServer, Api]:
    path = tmp_path / "controller.yaml"
    path.write_text(text)
    controller = Controller(load_settings(path, environ={}), path)
    updater = Updater(controller)
    server = ApiServer(controller, updater, "127.0.0.1", 0)
    server.start()
    return server, Api(f"http://127.0.0.1:{server.port}", controller, path, updater)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    server, running = start(tmp_path, config_text(tmp_path, update="[sh, -c, 'echo v0.2.0']"))
    yield running
    server.stop()
    running.controller.close()


AUTH = {"Authorization": f"Bearer {KEY}"}


def test_healthz_needs_no_key(api: Api) -> None:
    assert httpx.get(f"{api.url}/healthz").json()["status"] == "ok"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}])
def test_config_calls_without_the_key_are_401(api: Api, headers: dict[str, str]) -> None:
    answer = httpx.get(f"{api.url}/api/config", headers=headers)
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "Bearer"
    post = httpx.post(f"{api.url}/api/config/apply", content=b"x: 1", headers=headers)
    assert post.status_code == 401
    assert KEY not in answer.text + post.text


def test_no_configured_key_means_no_access(tmp_path: Path) -> None:
    server, running = start(tmp_path, config_text(tmp_path, key=""))
    try:
        answer = httpx.get(f"{running.url}/api/config", headers={"Authorization": "Bearer x"})
        assert answer.status_code == 401
    finally:
        server.stop()


def test_get_config_returns_the_live_file(api: Api) -> None:
    answer = httpx.get(f"{api.url}/api/config", headers=AUTH)
    assert answer.status_code == 200
    assert answer.content == api.config.read_bytes()
    assert answer.headers["Content-Type"] == "application/yaml"


def test_apply_writes_keeps_the_previous_and_takes_effect(api: Api, tmp_path: Path) -> None:
    before = api.config.read_bytes()
    new = config_text(tmp_path, interval=120).encode()
    answer = httpx.post(f"{api.url}/api/config/apply", content=new, headers=AUTH)
    assert answer.status_code == 200
    assert answer.json() == {"status": "applied", "digest": hashlib.sha256(new).hexdigest()}
    assert api.config.read_bytes() == new
    assert api.config.with_name("controller.yaml.previous").read_bytes() == before
    assert api.controller.settings.report.interval_seconds == 120
    assert [e["event_type"] for e in api.events()] == ["config_applied"]


@pytest.mark.parametrize(
    ("body", "status", "named"),
    [
        (b"hub: {url: [", 400, "not valid YAML"),
        (b"- just\n- a list\n", 400, "mapping"),
        (b"\xff\xfe", 400, "UTF-8"),
        (b"hub:\n  urll: http://x\n", 422, "hub.urll: unknown key"),
        (b"report:\n  interval_seconds: 1\n", 422, "report.interval_seconds"),
    ],
)
def test_a_bad_apply_changes_nothing(api: Api, body: bytes, status: int, named: str) -> None:
    before = api.config.read_bytes()
    answer = httpx.post(f"{api.url}/api/config/apply", content=body, headers=AUTH)
    assert answer.status_code == status
    assert named in answer.json()["detail"]
    assert api.config.read_bytes() == before
    assert not api.config.with_name("controller.yaml.previous").exists()
    assert api.controller.settings.report.interval_seconds == 900
    assert [e["event_type"] for e in api.events()] == ["config_apply_failed"]


def test_an_oversized_body_is_413(api: Api) -> None:
    answer = httpx.post(f"{api.url}/api/config/apply", content=b"#" * 300_000, headers=AUTH)
    assert answer.status_code == 413


def test_update_runs_the_command_and_reports_the_outcome(api: Api) -> None:
    answer = httpx.post(f"{api.url}/api/update", headers=AUTH)
    assert answer.status_code == 202
    assert api.updater.thread is not None
    api.updater.thread.join(timeout=30)
    (event,) = api.events()
    assert event["event_type"] == "controller_updated" and "v0.2.0" in event["message"]


def test_a_failing_update_is_reported(tmp_path: Path) -> None:
    text = config_text(tmp_path, update="[sh, -c, 'echo no space >&2; exit 4']")
    server, running = start(tmp_path, text)
    try:
        assert httpx.post(f"{running.url}/api/update", headers=AUTH).status_code == 202
        assert running.updater.thread is not None
        running.updater.thread.join(timeout=30)
        (event,) = running.events()
        assert event["event_type"] == "controller_update_failed"
        assert "exited 4: no space" in event["message"]
    finally:
        server.stop()


def test_update_without_a_command_is_409(tmp_path: Path) -> None:
    server, running = start(tmp_path, config_text(tmp_path))
    try:
        assert httpx.post(f"{running.url}/api/update", headers=AUTH).status_code == 409
    finally:
        server.stop()
