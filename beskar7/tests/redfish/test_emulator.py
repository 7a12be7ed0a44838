"""The facade against the real sushy-tools emulator (fake driver)."""

from __future__ import annotations

import asyncio
import time
import traceback
import warnings
from collections.abc import Callable

import pytest
from urllib3.exceptions import InsecureRequestWarning

from beskar7.redfish import (
    Credentials,
    RedfishAuthError,
    RedfishClient,
    RedfishConnectionError,
    RedfishError,
    RedfishNotFoundError,
)
from beskar7_testing.emulator import POWER_CHANGE_MAX_DELAY, SushyEmulator
from tests.fixtures.redfish import BMC_PASSWORD

pytestmark = pytest.mark.slow


def every_text(err: BaseException) -> str:
    """str, repr, chained causes/contexts and the formatted traceback of an error."""
    parts: list[str] = []
    seen: BaseException | None = err
    while seen is not None:
        parts += [str(seen), repr(seen), *map(repr, seen.args)]
        seen = seen.__cause__ or seen.__context__
    parts += traceback.format_exception(err)
    return "\n".join(parts)


async def connect(emu: SushyEmulator, i: int, creds: Credentials) -> RedfishClient:
    return await RedfishClient.connect(emu.system_address(i), creds, timeout=10)


async def test_system_info_of_named_system(
    sushy_emulator: SushyEmulator, bmc_credentials: Credentials
) -> None:
    async with await connect(sushy_emulator, 1, bmc_credentials) as client:
        info = await client.system_info()
        assert client.system_path.endswith(sushy_emulator.system_ids[1])
    assert info.manufacturer == "Sushy Emulator"
    assert (info.health, info.health_rollup, info.state) == ("OK", "OK", "Enabled")
    assert info.power_state == "Off"


async def wait_power(client: RedfishClient, state: str) -> None:
    deadline = time.monotonic() + POWER_CHANGE_MAX_DELAY + 3
    while await client.power_state() != state:
        assert time.monotonic() < deadline, f"power state never became {state}"
        await asyncio.sleep(0.25)


async def test_power_changes_are_observed(
    sushy_emulator: SushyEmulator, bmc_credentials: Credentials
) -> None:
    # Four systems at once: the fake driver lands each change 0-11 s later.
    clients = [await connect(sushy_emulator, i, bmc_credentials) for i in (0, 4, 5, 6)]
    on, off, shutdown, restart = clients
    assert [await c.power_state() for c in clients] == ["Off", "On", "On", "On"]
    await on.power_on()
    await off.force_off()
    await shutdown.graceful_shutdown()
    await restart.reset()
    await asyncio.gather(
        wait_power(on, "On"),
        wait_power(off, "Off"),
        wait_power(shutdown, "Off"),
        wait_power(restart, "On"),
    )
    assert [sushy_emulator.power_state(i) for i in (0, 4, 5, 6)] == ["On", "Off", "Off", "On"]
    for c in clients:
        await c.close()


async def test_pxe_once_then_clear(
    sushy_emulator: SushyEmulator, bmc_credentials: Credentials
) -> None:
    async with await connect(sushy_emulator, 2, bmc_credentials) as client:
        assert sushy_emulator.boot_target(2) == "Hdd"
        await client.set_pxe_once()
        # The emulator ignores BootSourceOverrideEnabled; the target is what it records.
        assert sushy_emulator.boot_target(2) == "Pxe"
        await client.clear_boot_override()
        assert sushy_emulator.boot_target(2) == "None"


async def test_emulator_nics_carry_no_addresses(
    sushy_emulator: SushyEmulator, bmc_credentials: Credentials
) -> None:
    async with await connect(sushy_emulator, 3, bmc_credentials) as client:
        assert await client.network_addresses() == []


async def test_address_without_system_path_needs_one_system(
    sushy_emulator: SushyEmulator, bmc_credentials: Credentials
) -> None:
    with pytest.raises(RedfishNotFoundError) as caught:
        await RedfishClient.connect(sushy_emulator.url, bmc_credentials)
    assert "8 systems" in str(caught.value)
    assert "must name one" in str(caught.value)
    assert "/redfish/v1/Systems/<id>" in str(caught.value)


async def test_single_system_bmc_needs_no_path(
    sushy_emulator_factory: Callable[..., SushyEmulator], bmc_credentials: Credentials
) -> None:
    emu = sushy_emulator_factory(systems=1)
    async with await RedfishClient.connect(emu.url + "/", bmc_credentials) as client:
        assert client.system_path == f"/redfish/v1/Systems/{emu.system_ids[0]}"
        assert await client.power_state() == "Off"


async def test_unknown_system_is_not_found(
    sushy_emulator: SushyEmulator, bmc_credentials: Credentials
) -> None:
    with pytest.raises(RedfishNotFoundError) as caught:
        await RedfishClient.connect(
            f"{sushy_emulator.url}/redfish/v1/Systems/no-such-system", bmc_credentials
        )
    assert caught.value.status_code == 404


async def test_wrong_password_is_an_auth_error_without_secrets(
    sushy_emulator: SushyEmulator,
) -> None:
    wrong = "Wrong-Pw-7731"
    # Credentials in the address are ignored, and never echoed either.
    address = sushy_emulator.system_address(0).replace("://", f"://root:{BMC_PASSWORD}@")
    with pytest.raises(RedfishAuthError) as caught:
        await RedfishClient.connect(address, Credentials("bmc-admin", wrong))
    err = caught.value
    assert err.error_type == "auth"
    assert str(err) == f"BMC at {sushy_emulator.url} refused the credentials (HTTP 401)"
    text = every_text(err)
    assert wrong not in text
    assert BMC_PASSWORD not in text
    assert "root" not in text
    assert wrong not in repr(Credentials("u", wrong))


async def test_tls_verification_by_default_and_skip(
    sushy_emulator_factory: Callable[..., SushyEmulator], bmc_credentials: Credentials
) -> None:
    emu = sushy_emulator_factory(systems=1, tls=True)
    assert emu.url.startswith("https://")
    with pytest.raises(RedfishConnectionError) as caught:
        await RedfishClient.connect(emu.system_address(0), bmc_credentials)
    assert "certificate" in str(caught.value)
    assert "insecureSkipVerify" in str(caught.value)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        client = await RedfishClient.connect(
            emu.system_address(0), bmc_credentials, insecure_skip_verify=True
        )
        assert await client.power_state() == "Off"
        await client.close()
    assert not [w for w in seen if issubclass(w.category, InsecureRequestWarning)]


async def test_errors_are_redfish_errors(sushy_emulator: SushyEmulator) -> None:
    with pytest.raises(RedfishError) as caught:
        await RedfishClient.connect(sushy_emulator.url, Credentials("nobody", "x"))
    assert caught.value.__context__ is None
    assert caught.value.__cause__ is None
