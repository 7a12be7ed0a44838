"""The config actions against a real felhom-controller process on loopback: push, pull, diff,
update; and when the controller is unreachable, slow, refuses the key or the file, the hub
says so and changes nothing."""

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from ruamel.yaml import YAML

from felhom_hub.config import Settings
from felhom_hub.configs import accounts, records
from felhom_hub.configs.accounts import Credential, Issued
from felhom_hub.configs.diff import MASK, Change
from felhom_hub.configs.service import ActionError, ConfigService
from felhom_hub.configs.vault import vault_for
from felhom_hub.store import Database, configs, registry, reports
from tests.configs.controller_process import ControllerProcess, sane_overrides
from tests.configs.helpers import managed
from tests.conftest import START, make_settings
from tests.hub_process import free_port

pytestmark = pytest.mark.slow
HUB_URL = "http://127.0.0.1:9"  # nobody answers: the controller's reports wait in its spool


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, configs={"hub_url": HUB_URL, "controller_timeout": "2s"})


@pytest.fixture
async def service(settings: Settings, db: Database) -> AsyncIterator[ConfigService]:
    async with httpx.AsyncClient() as client:
        yield ConfigService(settings, db, vault_for(settings), client)


def managed_config(service: ConfigService, port: int, **fields: object) -> Issued:
    folder = service.settings.server.data_dir / "node"
    config = managed(overrides=sane_overrides(folder, port), **fields)
    with service.db.write() as conn:
        issued = accounts.create(conn, service.vault, config, now=START)
    return issued


def reported_at(db: Database, url: str | None) -> None:
    summary = reports.ReportSummary("acme", 0, START, "0.1.0", "ok", "acme-node-1", url, False)
    with db.write() as conn:
        reports.add(conn, summary, b'{"customer_id":"acme"}')


@pytest.fixture
def node(tmp_path: Path) -> Iterator[ControllerProcess]:
    folder = tmp_path / "node"
    folder.mkdir()
    process = ControllerProcess(folder)
    try:
        yield process
    finally:
        process.stop()


def start_node(service: ConfigService, node: ControllerProcess, api_key: str | None) -> None:
    node.port = node.port or free_port()
    issued = managed_config(service, node.port)
    assert issued.api_key is not None
    node.start(customer_id="acme", api_key=api_key or issued.api_key, hub_url=HUB_URL)
    reported_at(service.db, node.url)


def live(node: ControllerProcess) -> dict[str, object]:
    data: dict[str, object] = YAML(typ="safe").load(node.config_file.read_text())
    return data


async def test_push_applies_then_pull_changes_nothing_then_edits_show_in_the_diff(
    service: ConfigService, node: ControllerProcess
) -> None:
    start_node(service, node, None)
    before = await service.diff("acme")
    assert {row.key for row in before} >= {
        "identity.display_name",
        "infrastructure.tokens.cloudflare",
    }
    message = await service.push("acme", START)
    assert "applied" in message
    assert node.config_file.read_text() == (await service.generated("acme")).text
    assert await service.diff("acme") == []
    assert "0 key(s) changed" in await service.pull("acme", START)
    assert await service.diff("acme") == []
    # An edit in the hub: exactly the changed keys, secrets masked.
    edited = managed(
        overrides=sane_overrides(service.settings.server.data_dir / "node", node.port),
        display_name="Acme Zrt.",
        tokens={"cloudflare": "rotated-token-000"},
        cooldown_hours=12,
    )
    with service.db.write() as conn:
        records.update_config(conn, service.vault, edited, now=START)
    rows = await service.diff("acme")
    assert [(r.key, r.change) for r in rows] == [
        ("identity.display_name", Change.CHANGED),
        ("infrastructure.tokens.cloudflare", Change.CHANGED),
        ("notifications.cooldown_hours", Change.CHANGED),
    ]
    assert rows[0].old == "Acme Kft." and rows[0].new == "Acme Zrt."
    assert rows[1].old == rows[1].new == MASK


async def test_pull_takes_the_controllers_changes(
    service: ConfigService, node: ControllerProcess
) -> None:
    start_node(service, node, None)
    await service.push("acme", START)
    text = node.config_file.read_text().replace("Acme Kft.", "Acme Local")
    text = text.replace("jitter_percent: 10", "jitter_percent: 3")
    node.config_file.write_text(text)  # an operator edited the node's file by hand
    assert [r.key for r in await service.diff("acme")] == [
        "identity.display_name",
        "report.jitter_percent",
    ]
    assert "2 key(s) changed" in await service.pull("acme", START)
    assert await service.diff("acme") == []
    with service.db.read() as conn:
        stored = records.load(conn, service.vault, "acme")
    assert stored is not None and stored.config.display_name == "Acme Local"
    assert stored.config.overrides["report"] == {"interval_seconds": 3600, "jitter_percent": 3}


async def test_trigger_update_runs_the_controllers_update(
    service: ConfigService, node: ControllerProcess
) -> None:
    start_node(service, node, None)
    await service.push("acme", START)  # the controller learns its update command
    with pytest.raises(ActionError, match="registry check has found none"):
        await service.update("acme")
    with service.db.write() as conn:
        image = service.settings.registry.image
        registry.record(conn, image=image, newest="0.2.0", error=None, now=START)
    assert "0.2.0" in await service.update("acme")
    marker = node.folder / "updated"
    for _ in range(100):
        if marker.exists():
            break
        await asyncio.sleep(0.1)
    assert marker.exists()


def sealed(service: ConfigService) -> str:
    with service.db.read() as conn:
        row = configs.get(conn, customer_id="acme")
    assert row is not None
    return row.sealed


async def test_a_refused_key_is_a_clear_message_and_changes_nothing(
    service: ConfigService, node: ControllerProcess
) -> None:
    start_node(service, node, api_key="a-key-the-hub-does-not-know-000")
    before, on_node = sealed(service), node.config_file.read_text()
    for action in (service.push, service.pull):
        with pytest.raises(ActionError, match="HTTP 401") as caught:
            await action("acme", START)
        assert "a-key-the-hub" not in str(caught.value)
    assert sealed(service) == before and node.config_file.read_text() == on_node


async def test_a_refused_file_is_a_clear_message_and_changes_nothing(
    service: ConfigService, node: ControllerProcess
) -> None:
    start_node(service, node, None)
    bad = managed(overrides={**sane_overrides(node.folder, node.port), "nonsense": 1})
    with service.db.write() as conn:
        records.update_config(conn, service.vault, bad, now=START)
    before, on_node = sealed(service), node.config_file.read_text()
    with pytest.raises(ActionError, match=r"(?s)HTTP 422.*nonsense: unknown key"):
        await service.push("acme", START)
    assert sealed(service) == before and node.config_file.read_text() == on_node


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A socket that accepts connections and never answers: a controller that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.mark.parametrize("where", ["unreachable", "slow", "never reported"])
async def test_an_absent_or_slow_controller_is_a_clear_message(
    service: ConfigService, silent_port: int, where: str
) -> None:
    port = {"unreachable": free_port(), "slow": silent_port, "never reported": 0}[where]
    managed_config(service, port or 1)
    reported_at(service.db, f"http://127.0.0.1:{port}" if port else None)
    before = sealed(service)
    expected = {
        "unreachable": "cannot reach the controller",
        "slow": "did not answer within 2 s",
        "never reported": "no controller URL yet",
    }[where]
    for action in (service.push, service.pull):
        with pytest.raises(ActionError, match=expected):
            await action("acme", START)
    with pytest.raises(ActionError, match=expected):
        await service.diff("acme")
    assert sealed(service) == before


async def test_a_regenerated_key_reaches_the_node_by_push(
    service: ConfigService, node: ControllerProcess
) -> None:
    start_node(service, node, None)
    with service.db.write() as conn:
        issued = accounts.regenerate(conn, service.vault, "acme", Credential.API_KEY, now=START)
    assert issued is not None and issued.api_key
    await service.push("acme", START)  # authenticated with the key the node still holds
    assert live(node)["hub"] == {"url": HUB_URL, "api_key": issued.api_key, "timeout_seconds": 10}
    with service.db.read() as conn:
        stored = records.load(conn, service.vault, "acme")
    assert stored is not None and stored.credentials.previous_api_key == ""
    assert await service.diff("acme") == []  # now with the new key
