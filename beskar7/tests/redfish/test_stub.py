"""The facade against a scripted Redfish BMC: exact requests, addresses, odd BMCs."""

from __future__ import annotations

import asyncio

import pytest

from beskar7.redfish import (
    Credentials,
    NetworkAddress,
    RedfishClient,
    RedfishConnectionError,
    RedfishProtocolError,
    RedfishUnsupportedError,
    SystemInfo,
)
from beskar7_testing.redfish_stub import RedfishStub


async def connect(stub: RedfishStub, creds: Credentials) -> RedfishClient:
    return await RedfishClient.connect(stub.url + stub.system.path, creds, timeout=5)


async def test_reads_system_facts(redfish_stub: RedfishStub, bmc_credentials: Credentials) -> None:
    async with await connect(redfish_stub, bmc_credentials) as client:
        assert await client.system_info() == SystemInfo(
            manufacturer="Stub Inc.",
            model="S1",
            serial_number="SN-1",
            health="OK",
            health_rollup="Warning",
            state="Enabled",
            power_state="Off",
        )
        redfish_stub.system.power_state = "PoweringOn"
        assert await client.power_state() == "PoweringOn"


async def test_requests_sent_for_power_and_boot(
    redfish_stub: RedfishStub, bmc_credentials: Credentials
) -> None:
    async with await connect(redfish_stub, bmc_credentials) as client:
        await client.power_on()
        await client.force_off()
        await client.graceful_shutdown()
        await client.reset()
        await client.set_pxe_once()
        await client.clear_boot_override()
    writes = [(r.method, r.path, r.body) for r in redfish_stub.writes()]
    reset = f"{redfish_stub.system.path}/Actions/ComputerSystem.Reset"
    path = redfish_stub.system.path
    assert writes == [
        ("POST", reset, {"ResetType": "On"}),
        ("POST", reset, {"ResetType": "ForceOff"}),
        ("POST", reset, {"ResetType": "GracefulShutdown"}),
        ("POST", reset, {"ResetType": "ForceRestart"}),
        ("PATCH", path, {"Boot": {"BootSourceOverrideTarget": "Pxe",
                                  "BootSourceOverrideEnabled": "Once"}}),
        ("PATCH", path, {"Boot": {"BootSourceOverrideEnabled": "Disabled",
                                  "BootSourceOverrideTarget": "None"}}),
    ]  # fmt: skip
    patches = [r for r in redfish_stub.writes() if r.method == "PATCH"]
    assert all(r.headers.get("If-Match") == '"1"' for r in patches)


async def test_network_addresses_typed_and_deduplicated(
    redfish_stub: RedfishStub, bmc_credentials: Credentials
) -> None:
    redfish_stub.system.nics = [
        {
            "MACAddress": "52:54:00:00:00:01",
            "IPv4Addresses": [{"Address": "10.0.0.5"}, {"Address": "0.0.0.0"}, {"Address": "x"}],
            "IPv6Addresses": [{"Address": "fe80::1"}, {"Address": "2606:4700::1111"}],
        },
        {"IPv4Addresses": [{"Address": "10.0.0.5"}, {"Address": "93.184.216.34"}, "junk"]},
        {"IPv4Addresses": [{"Address": "127.0.0.1"}, {"Address": "169.254.1.2"}]},
        {"IPv4Addresses": "not-a-list"},
    ]
    async with await connect(redfish_stub, bmc_credentials) as client:
        found = await client.network_addresses()
    assert found == [
        NetworkAddress("InternalIP", "10.0.0.5"),
        NetworkAddress("InternalIP", "fe80::1"),
        NetworkAddress("ExternalIP", "2606:4700::1111"),
        NetworkAddress("ExternalIP", "93.184.216.34"),
        NetworkAddress("InternalIP", "127.0.0.1"),
        NetworkAddress("InternalIP", "169.254.1.2"),
    ]


async def test_no_ethernet_interfaces_means_no_addresses(
    redfish_stub: RedfishStub, bmc_credentials: Credentials
) -> None:
    redfish_stub.system.extra = {"EthernetInterfaces": None}
    async with await connect(redfish_stub, bmc_credentials) as client:
        assert await client.network_addresses() == []


async def test_reset_type_not_allowed_is_unsupported(
    redfish_stub: RedfishStub, bmc_credentials: Credentials
) -> None:
    redfish_stub.system.reset_types = ["On", "GracefulShutdown"]
    async with await connect(redfish_stub, bmc_credentials) as client:
        with pytest.raises(RedfishUnsupportedError) as caught:
            await client.force_off()
    assert "ForceOff" in str(caught.value)
    assert redfish_stub.writes() == []


async def test_missing_reset_action_is_unsupported(
    redfish_stub: RedfishStub, bmc_credentials: Credentials
) -> None:
    redfish_stub.system.reset_types = None
    async with await connect(redfish_stub, bmc_credentials) as client:
        with pytest.raises(RedfishUnsupportedError) as caught:
            await client.power_on()
    assert caught.value.error_type == "unsupported"


async def test_pxe_not_offered_is_unsupported(
    redfish_stub: RedfishStub, bmc_credentials: Credentials
) -> None:
    redfish_stub.system.boot_targets = ["Hdd", "Cd"]
    async with await connect(redfish_stub, bmc_credentials) as client:
        with pytest.raises(RedfishUnsupportedError) as caught:
            await client.set_pxe_once()
    assert "Pxe" in str(caught.value)
    assert redfish_stub.writes() == []


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"PowerState": 5}, "PowerState"),
        ({"Manufacturer": ["x"]}, "Manufacturer"),
        ({"Status": "broken"}, "not valid Redfish"),
    ],
)
async def test_fields_of_the_wrong_type_are_protocol_errors(
    redfish_stub: RedfishStub, bmc_credentials: Credentials, extra: dict[str, object], field: str
) -> None:
    async with await connect(redfish_stub, bmc_credentials) as client:
        redfish_stub.system.extra = extra
        with pytest.raises(RedfishProtocolError) as caught:
            await client.system_info()
    assert field in str(caught.value)


async def test_missing_power_state_is_a_protocol_error(
    redfish_stub: RedfishStub, bmc_credentials: Credentials
) -> None:
    redfish_stub.system.power_state = None
    async with await connect(redfish_stub, bmc_credentials) as client:
        with pytest.raises(RedfishProtocolError, match="PowerState"):
            await client.power_state()


async def test_closed_client_refuses_calls(
    redfish_stub: RedfishStub, bmc_credentials: Credentials
) -> None:
    client = await connect(redfish_stub, bmc_credentials)
    await client.close()
    await client.close()
    with pytest.raises(RedfishConnectionError, match="closed"):
        await client.power_state()


async def test_concurrent_calls_on_one_client(
    redfish_stub: RedfishStub, bmc_credentials: Credentials
) -> None:
    async with await connect(redfish_stub, bmc_credentials) as client:
        states = await asyncio.gather(*(client.power_state() for _ in range(20)))
    assert states == ["Off"] * 20
