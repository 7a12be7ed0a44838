"""The facade against peers that fail: refused, silent, garbage, HTTP 500."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from beskar7.redfish import (
    Credentials,
    RedfishClient,
    RedfishConnectionError,
    RedfishProtocolError,
    RedfishTimeoutError,
)
from beskar7_testing.peers import HttpPeer, SilentPeer
from beskar7_testing.redfish_stub import RedfishStub
from tests.fixtures.redfish import GARBAGE


async def test_refused_port_fails_fast(refused_bmc_url: str, bmc_credentials: Credentials) -> None:
    started = time.monotonic()
    with pytest.raises(RedfishConnectionError) as caught:
        await RedfishClient.connect(refused_bmc_url, bmc_credentials, timeout=10)
    # sushy's own default would retry 3 times with 2 s sleeps.
    assert time.monotonic() - started < 3
    assert str(caught.value) == f"BMC at {refused_bmc_url} refused the connection"


async def test_silent_bmc_times_out_within_the_timeout(
    silent_bmc: SilentPeer, bmc_credentials: Credentials
) -> None:
    started = time.monotonic()
    with pytest.raises(RedfishTimeoutError) as caught:
        await RedfishClient.connect(silent_bmc.url, bmc_credentials, timeout=1.0)
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 4
    assert silent_bmc.accepted >= 1
    assert caught.value.error_type == "timeout"
    assert silent_bmc.url in str(caught.value)


@pytest.mark.parametrize("kind", sorted(GARBAGE))
async def test_garbage_answers_are_protocol_errors(
    kind: str,
    garbage_bmc_factory: Callable[[str], HttpPeer],
    bmc_credentials: Credentials,
) -> None:
    peer = garbage_bmc_factory(kind)
    with pytest.raises(RedfishProtocolError) as caught:
        await RedfishClient.connect(peer.url, bmc_credentials, timeout=5)
    assert peer.url in str(caught.value)
    assert caught.value.__context__ is None


async def test_http_500_fails_fast_without_long_retries(
    failing_bmc: HttpPeer, bmc_credentials: Credentials
) -> None:
    started = time.monotonic()
    with pytest.raises(RedfishProtocolError) as caught:
        await RedfishClient.connect(failing_bmc.url, bmc_credentials, timeout=10)
    assert time.monotonic() - started < 3
    assert caught.value.status_code == 500
    assert "HTTP 500: boom" in str(caught.value)
    assert len(failing_bmc.requests) <= 2


async def test_bmc_that_goes_silent_after_connect_times_out(
    redfish_stub: RedfishStub, bmc_credentials: Credentials
) -> None:
    address = redfish_stub.url + redfish_stub.system.path
    async with await RedfishClient.connect(address, bmc_credentials, timeout=0.5) as client:
        redfish_stub.stall = 3.0
        started = time.monotonic()
        with pytest.raises(RedfishTimeoutError) as caught:
            await client.power_state()
        assert time.monotonic() - started < 2.5
        assert "did not answer within 0.5s" in str(caught.value)
