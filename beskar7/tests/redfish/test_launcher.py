"""The sushy-tools launcher itself: notifications, fresh state, ports, files."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from beskar7.redfish import Credentials, RedfishClient
from beskar7_testing.emulator import EmulatorError, SushyEmulator, fake_systems
from beskar7_testing.peers import HttpPeer, Reply, Request, Responder

pytestmark = pytest.mark.slow


def test_fake_systems_are_deterministic() -> None:
    first, second = fake_systems(2, first=299)
    assert first.uuid == "b7e00000-0000-4000-8000-000000000299"
    assert (first.name, first.mac) == ("host-299", "52:54:00:00:01:2b")
    assert second.mac == "52:54:00:00:01:2c"
    assert fake_systems(2, first=299) == [first, second]


async def test_changes_are_pushed_to_the_notification_url(
    sushy_emulator_factory: Callable[..., SushyEmulator],
    http_peer_factory: Callable[[Responder], HttpPeer],
    bmc_credentials: Credentials,
) -> None:
    inspector = http_peer_factory(lambda _: Reply(204))
    emu = sushy_emulator_factory(systems=2, notification_url=inspector.url + "/notify")
    async with await RedfishClient.connect(emu.system_address(1), bmc_credentials) as client:
        await client.set_pxe_once()
    puts: list[Request] = [r for r in inspector.requests if r.method == "PUT"]
    assert [r.path for r in puts] == ["/notify"]
    assert puts[0].body["uuid"] == emu.system_ids[1]
    assert puts[0].body["boot_device"] == "Pxe"
    assert puts[0].body["nics"] == [{"mac": emu.systems[1].mac}]


def test_reused_workdir_starts_from_fresh_state(tmp_path: Path) -> None:
    with SushyEmulator(tmp_path, systems=1) as emu:
        emu.reset(0, "ForceOn")
        emu.set_boot_target(0, "Pxe")
        assert emu.boot_target(0) == "Pxe"
        assert "GET /redfish/v1/Systems" in emu.log_path.read_text()
    with SushyEmulator(tmp_path, systems=1) as emu:
        assert emu.boot_target(0) == "Hdd"
    assert (tmp_path / "emulator.conf").exists()


def test_temporary_workdir_is_removed() -> None:
    emu = SushyEmulator(systems=1).start()
    workdir = emu.workdir
    assert (workdir / "htpasswd").read_text().startswith("admin:$2b$")
    emu.stop()
    assert not workdir.exists()


def test_taken_fixed_port_fails_clearly(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(EmulatorError, match="Address already in use"):
            SushyEmulator(tmp_path, systems=1, port=port, start_timeout=20).start()
