"""The config actions through the dashboard's routes against a real felhom-controller process:
the result page says what happened, and a refusal changes nothing."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from felhom_hub.app import create_app
from felhom_hub.configs import accounts
from felhom_hub.secrets import hash_password
from felhom_hub.store import Database, configs, registry, reports
from tests.configs.controller_process import ControllerProcess, sane_overrides
from tests.configs.helpers import managed
from tests.conftest import START, FakeClock, make_settings
from tests.hub_process import free_port
from tests.web.helpers import PASSWORD, csrf_of

pytestmark = pytest.mark.slow
HUB_URL = "http://127.0.0.1:9"


@pytest.fixture
def web(tmp_path: Path, db: Database, clock: FakeClock) -> Iterator[TestClient]:
    settings = make_settings(
        tmp_path,
        auth={"password_hash": hash_password(PASSWORD)},
        configs={"hub_url": HUB_URL, "controller_timeout": "3s"},
    )
    with TestClient(create_app(settings, db=db, clock=clock, run_jobs=False)) as client:
        token = csrf_of(client.get("/login").text)
        client.post("/login", data={"csrf": token, "password": PASSWORD})
        yield client


@pytest.fixture
def node(tmp_path: Path, web: TestClient, db: Database) -> Iterator[ControllerProcess]:
    folder = tmp_path / "node"
    folder.mkdir()
    process = ControllerProcess(folder, port=free_port())
    config = managed(overrides=sane_overrides(folder, process.port))
    with db.write() as conn:
        issued = accounts.create(conn, web.app.state.vault, config, now=START)  # type: ignore[attr-defined]
        summary = reports.ReportSummary(
            "acme", 0, START, "0.1.0", "ok", "acme-node-1", process.url, False
        )
        reports.add(conn, summary, b'{"customer_id":"acme"}')
    assert issued.api_key is not None
    process.start(customer_id="acme", api_key=issued.api_key, hub_url=HUB_URL)
    yield process
    process.stop()


def post(web: TestClient, action: str) -> tuple[int, str]:
    page = web.get("/customers/acme").text
    answer = web.post(f"/customers/acme/{action}", data={"csrf": csrf_of(page)})
    return answer.status_code, answer.text


def test_push_diff_pull_from_the_page(web: TestClient, node: ControllerProcess) -> None:
    status, text = post(web, "push-config")
    assert status == 200 and "the controller applied it" in text
    assert 'id="no-diff"' in web.get("/customers/acme/config-diff").text
    status, text = post(web, "pull-config")
    assert status == 200 and "0 key(s) changed" in text


def test_trigger_update_waits_for_a_known_version(
    web: TestClient, db: Database, node: ControllerProcess
) -> None:
    post(web, "push-config")  # the node learns its update command
    assert 'id="trigger-update" disabled' in web.get("/customers/acme").text
    status, text = post(web, "trigger-update")
    assert status == 502 and "registry check has found none" in text
    with db.write() as conn:
        image = web.app.state.settings.registry.image  # type: ignore[attr-defined]
        registry.record(conn, image=image, newest="0.2.0", error=None, now=START)
    assert "Trigger Update to 0.2.0" in web.get("/customers/acme").text
    status, text = post(web, "trigger-update")
    assert status == 200 and "started updating to 0.2.0" in text


def test_a_refusal_is_shown_and_changes_nothing(
    web: TestClient, db: Database, node: ControllerProcess
) -> None:
    node.stop()
    node.start(customer_id="acme", api_key="another-key-0123456789", hub_url=HUB_URL)
    with db.read() as conn:
        before = configs.get(conn, customer_id="acme")
    for action in ("push-config", "pull-config"):
        status, text = post(web, action)
        assert status == 502 and "HTTP 401" in text and "Nothing was changed" in text
    page = web.get("/customers/acme/config-diff")
    assert page.status_code == 502 and "HTTP 401" in page.text
    with db.read() as conn:
        assert configs.get(conn, customer_id="acme") == before


def test_unknown_credential_and_missing_csrf(web: TestClient, node: ControllerProcess) -> None:
    status, _ = post(web, "regenerate/bogus")
    assert status == 404
    assert web.post("/customers/acme/push-config", data={"csrf": "0"}).status_code == 403
    assert not (node.folder / "controller.yaml.previous").exists()  # nothing was pushed
