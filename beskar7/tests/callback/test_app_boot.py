"""The boot endpoints over the ASGI app against a seeded embedded store: token minting, opaque
refusals, MAC handling, by-MAC lookup, the DHCP entry script and rate limiting."""

import json
import logging
from datetime import timedelta
from typing import Any

import httpx
import pytest

from beskar7.api.kinds import BESKAR7_MACHINE, PHYSICAL_HOST
from beskar7.api.protocol import Annotation
from beskar7.callback.boot import waiting_script
from beskar7.callback.tokens import hash_token
from tests.fixtures.callback import (
    BOOT_MAC,
    HOST,
    NS,
    START,
    URL_BASE,
    CallbackLab,
    bearer,
    golden_report,
    token_of,
)

BOOT_URL = f"{URL_BASE}/api/v1/boot/{NS}/{HOST}"


def words(script: str) -> dict[str, str]:
    return dict(w.split("=", 1) for w in script.split() if "=" in w and "://" not in w[:9])


async def test_rendering_mints_a_token_whose_hash_lands_on_the_host(
    callback_lab: CallbackLab,
) -> None:
    response = await callback_lab.boot()

    assert response.status_code == 200
    assert response.text.startswith("#!ipxe\n")
    token = token_of(response.text)
    record = json.loads((await callback_lab.annotations())[Annotation.BOOTSTRAP_TOKEN])
    assert record == {
        "hash": hash_token(token),
        "issuedAt": "2025-03-01T12:00:00Z",
        "expiresAt": "2025-03-01T12:30:00Z",  # inspection 10 min + deployment window 20 min
    }
    assert token not in json.dumps(await callback_lab.host())
    params = words(response.text)
    assert params["beskar7.api"] == URL_BASE
    assert params["beskar7.host"] == HOST
    assert params["beskar7.namespace"] == NS
    assert params["beskar7.target"] == "http://images.lab/kairos.tar.gz"
    assert params["beskar7.config"] == "http://images.lab/config.yaml"
    assert params["beskar7.os"] == "kairos"
    assert params["beskar7.timeout"] == "600"
    assert "kernel http://images.lab/inspector/vmlinuz " in response.text
    assert f"chain --replace {BOOT_URL} || goto retry" in response.text


async def test_a_new_render_replaces_the_token_and_the_older_one_stops_working(
    callback_lab: CallbackLab,
) -> None:
    first = await callback_lab.mint()
    callback_lab.clock.advance(5)
    second = await callback_lab.mint()

    assert first != second
    assert await callback_lab.token_hash() == hash_token(second)
    url = f"/api/v1/inspection/{NS}/{HOST}"
    old = await callback_lab.client.post(url, json=golden_report(), headers=bearer(first))
    assert old.status_code == 401
    new = await callback_lab.client.post(url, json=golden_report(), headers=bearer(second))
    assert new.status_code == 202


async def test_a_host_already_fetching_its_image_can_boot_again(
    callback_lab: CallbackLab,
) -> None:
    await callback_lab.set_host_status(inspectionPhase="InProgress")

    assert (await callback_lab.boot()).status_code == 200


async def _refused_identically(lab: CallbackLab, name: str = HOST) -> None:
    before = await lab.version()
    response = await lab.boot(name)

    assert response.status_code == 404
    assert response.text == waiting_script(f"{URL_BASE}/api/v1/boot/{NS}/{name}")
    assert await lab.version() == before


@pytest.mark.parametrize(
    "status",
    [
        {"state": "InUse", "inspectionPhase": None},
        {"state": "Available", "inspectionPhase": None},
        {"state": "Inspecting", "inspectionPhase": "Pending"},
        {"state": "Inspecting", "inspectionPhase": "Complete"},
        {"state": "Inspecting", "inspectionPhase": "Timeout"},
        {"state": "Ready", "inspectionPhase": "Complete"},
        {"state": "Error", "inspectionPhase": "Booting"},
    ],
)
async def test_a_host_that_is_not_booting_gets_the_opaque_answer(
    callback_lab: CallbackLab, status: dict[str, Any]
) -> None:
    await callback_lab.set_host_status(**status)

    await _refused_identically(callback_lab)


async def test_unknown_hosts_and_hosts_without_a_machine_get_the_same_answer(
    callback_lab: CallbackLab,
) -> None:
    await _refused_identically(callback_lab, "no-such-host")
    response = await callback_lab.client.get("/api/v1/boot/elsewhere/h1")
    assert response.status_code == 404
    assert response.text == waiting_script(f"{URL_BASE}/api/v1/boot/elsewhere/h1")

    await callback_lab.store.patch(
        PHYSICAL_HOST, NS, HOST, {"spec": {"consumerRef": {"name": "gone", "namespace": NS}}}
    )
    await _refused_identically(callback_lab)
    await callback_lab.store.patch(PHYSICAL_HOST, NS, HOST, {"spec": {"consumerRef": None}})
    await _refused_identically(callback_lab)


async def test_a_consumer_ref_with_another_uid_is_not_the_machine(
    callback_lab: CallbackLab,
) -> None:
    await callback_lab.store.patch(
        PHYSICAL_HOST, NS, HOST, {"spec": {"consumerRef": {"uid": "someone-else"}}}
    )

    await _refused_identically(callback_lab)


async def test_a_command_line_over_4096_bytes_is_refused_and_logged_by_host(
    callback_lab: CallbackLab, caplog: pytest.LogCaptureFixture
) -> None:
    await callback_lab.patch_machine_spec(targetOSImage="http://images.lab/" + "a" * 4000)

    with caplog.at_level(logging.ERROR, logger="beskar7.callback"):
        await _refused_identically(callback_lab)

    assert any(
        f"{NS}/{HOST}" in r.getMessage() and "4096" in r.getMessage() for r in caplog.records
    )
    assert Annotation.BOOTSTRAP_TOKEN not in await callback_lab.annotations()


@pytest.mark.parametrize(
    "url", ['http://images.lab/"x', "http://images.lab/${net0/mac}", "http://images.lab/a||b"]
)
async def test_machine_urls_that_could_inject_are_refused(
    callback_lab: CallbackLab, caplog: pytest.LogCaptureFixture, url: str
) -> None:
    await callback_lab.patch_machine_spec(configurationURL=url)

    with caplog.at_level(logging.ERROR, logger="beskar7.callback"):
        await _refused_identically(callback_lab)

    assert any(f"{NS}/{HOST}" in r.getMessage() for r in caplog.records)
    assert not any(url in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "mac", ["52:54:00:AA:BB:01", "52-54-00-aa-bb-01", "52%3A54%3A00%3Aaa%3Abb%3A01"]
)
async def test_a_well_formed_mac_becomes_bootif(callback_lab: CallbackLab, mac: str) -> None:
    response = await callback_lab.client.get(f"/api/v1/boot/{NS}/{HOST}?mac={mac}")

    assert response.status_code == 200
    assert words(response.text)["BOOTIF"] == "01-52-54-00-aa-bb-01"
    assert f"chain --replace {BOOT_URL}?mac=52:54:00:aa:bb:01 || goto retry" in response.text


@pytest.mark.parametrize("mac", ["52:54:00:aa:bb", "x y", "52:54:00:aa:bb:01 init=/bin/sh", ""])
async def test_a_malformed_mac_is_left_out(callback_lab: CallbackLab, mac: str) -> None:
    response = await callback_lab.boot(mac=mac)

    assert response.status_code == 200
    assert "BOOTIF" not in response.text
    assert "init=" not in response.text
    assert f"chain --replace {BOOT_URL} || goto retry" in response.text


async def test_path_segments_cannot_inject_into_the_opaque_answer(
    callback_lab: CallbackLab,
) -> None:
    response = await callback_lab.client.get("/api/v1/boot/lab/h1%0Achain%20http:%2F%2Fevil")

    assert response.status_code == 404
    assert all(not line.startswith("chain http") for line in response.text.splitlines())


async def test_the_dhcp_entry_script_chains_the_by_mac_endpoint(callback_lab: CallbackLab) -> None:
    response = await callback_lab.client.get("/boot.ipxe")

    assert response.status_code == 200
    lines = response.text.splitlines()
    assert lines[0] == "#!ipxe"
    assert any(line.startswith("dhcp ||") for line in lines)
    assert any(
        f"chain --replace {URL_BASE}/api/v1/boot/by-mac?mac=${{net0/mac}}" in line for line in lines
    )


async def test_by_mac_finds_the_one_inspecting_host(callback_lab: CallbackLab) -> None:
    await callback_lab.add_host("idle", BOOT_MAC, state="Available", phase="Pending")

    response = await callback_lab.client.get(
        "/api/v1/boot/by-mac", params={"mac": BOOT_MAC.upper().replace(":", "-")}
    )

    assert response.status_code == 200
    params = words(response.text)
    assert (params["beskar7.namespace"], params["beskar7.host"]) == (NS, HOST)
    assert params["BOOTIF"] == "01-52-54-00-aa-bb-01"
    assert await callback_lab.token_hash() == hash_token(params["beskar7.token"])
    retry = f"chain --replace {URL_BASE}/api/v1/boot/by-mac?mac={BOOT_MAC} || goto retry"
    assert retry in response.text


@pytest.mark.parametrize("mac", ["52:54:00:aa:bb:99", "not-a-mac", None])
async def test_by_mac_without_a_match_is_opaque(callback_lab: CallbackLab, mac: str | None) -> None:
    before = await callback_lab.version()
    params = {"mac": mac} if mac else {}

    response = await callback_lab.client.get("/api/v1/boot/by-mac", params=params)

    assert response.status_code == 404
    assert response.text.startswith("#!ipxe\n")
    assert "beskar7.token" not in response.text
    assert await callback_lab.version() == before


async def test_by_mac_refuses_a_mac_claimed_by_two_inspecting_hosts(
    callback_lab: CallbackLab, caplog: pytest.LogCaptureFixture
) -> None:
    await callback_lab.add_host("twin", BOOT_MAC)

    with caplog.at_level(logging.ERROR, logger="beskar7.callback"):
        response = await callback_lab.client.get("/api/v1/boot/by-mac", params={"mac": BOOT_MAC})

    assert response.status_code == 404
    assert any("h1" in r.getMessage() and "twin" in r.getMessage() for r in caplog.records)


async def test_boot_requests_are_rate_limited_per_address(callback_lab: CallbackLab) -> None:
    await callback_lab.rebuild(boot_rate=0.5, boot_burst=2)

    assert [(await callback_lab.boot()).status_code for _ in range(2)] == [200, 200]
    limited = await callback_lab.boot()
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2"
    assert (await callback_lab.client.get("/api/v1/boot/by-mac")).status_code == 429

    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=callback_lab.app, client=("192.0.2.99", 1)),
        base_url="http://callback.test",
    )
    async with other:
        assert (await other.get(f"/api/v1/boot/{NS}/{HOST}")).status_code == 200

    callback_lab.clock.advance(2)
    assert (await callback_lab.boot()).status_code == 200


async def test_the_base_url_defaults_to_the_address_the_server_was_reached_on(
    callback_lab: CallbackLab,
) -> None:
    await callback_lab.rebuild(bootstrap_url_base="")
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=callback_lab.app), base_url="http://192.0.2.1:8082"
    )
    async with client:
        response = await client.get(f"/api/v1/boot/{NS}/{HOST}", headers={"Host": "evil:1"})

    assert words(response.text)["beskar7.api"] == "http://192.0.2.1:8082"
    assert "evil" not in response.text


async def test_a_token_expires_after_inspection_and_deployment(callback_lab: CallbackLab) -> None:
    token = await callback_lab.mint()
    callback_lab.clock.now = START + timedelta(seconds=600 + 1200)

    response = await callback_lab.client.post(
        f"/api/v1/inspection/{NS}/{HOST}", json=golden_report(), headers=bearer(token)
    )

    assert response.status_code == 401


async def test_a_machine_without_url_or_family_boots_the_generic_cloud_init_family(
    callback_lab: CallbackLab,
) -> None:
    await callback_lab.store.patch(
        BESKAR7_MACHINE, NS, "bm1", {"spec": {"configurationURL": None, "osFamily": None}}
    )

    params = words((await callback_lab.boot()).text)

    assert "beskar7.config" not in params
    assert params["beskar7.os"] == "cloud-init"  # reads beskar7's NoCloud seed


async def test_a_configuration_url_without_a_family_is_for_kairos_as_upstream(
    callback_lab: CallbackLab,
) -> None:
    await callback_lab.store.patch(BESKAR7_MACHINE, NS, "bm1", {"spec": {"osFamily": None}})

    params = words((await callback_lab.boot()).text)

    assert "beskar7.config" in params
    assert params["beskar7.os"] == "kairos"
