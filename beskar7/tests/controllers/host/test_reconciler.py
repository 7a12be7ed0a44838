"""The PhysicalHost reconciler against the real sushy-tools emulator and broken BMCs."""

import json
import time
from collections.abc import Callable

import pytest

from beskar7.api.capi import PAUSED_ANNOTATION
from beskar7.api.errors import NotFoundError
from beskar7.api.kinds import PHYSICAL_HOST
from beskar7.api.physicalhost import FINALIZER
from beskar7.controllers.shell import BACK_OFF
from beskar7_testing.emulator import SushyEmulator
from beskar7_testing.peers import HttpPeer, SilentPeer
from tests.fixtures.hosts import NAMESPACE, HostLab, physical_host
from tests.fixtures.redfish import BMC_PASSWORD, BMC_USERNAME


def conditions(status: dict[str, object]) -> dict[str, tuple[object, object]]:
    found = status.get("conditions", [])
    assert isinstance(found, list)
    return {c["type"]: (c["status"], c.get("reason")) for c in found}


async def test_it_enrolls_a_host_and_makes_it_available(
    host_lab: HostLab, sushy_emulator: SushyEmulator
) -> None:
    await host_lab.put_secret("bmc", BMC_USERNAME, BMC_PASSWORD)
    await host_lab.store.create(physical_host("h0", sushy_emulator.system_address(0)))

    result = await host_lab.settle("h0")

    host = await host_lab.host("h0")
    status = host["status"]
    assert host["metadata"]["finalizers"] == [FINALIZER]
    assert (status["state"], status["ready"]) == ("Available", True)
    assert status["observedPowerState"] in ("On", "Off")
    assert status["hardwareDetails"]["manufacturer"]
    assert conditions(status)["RedfishConnectionReady"] == ("True", None)
    assert conditions(status)["HostAvailable"] == ("True", None)
    assert result.requeue_after == 300.0
    reasons = [e["message"] for e in await host_lab.events("h0")]
    assert "New -> Enrolling" in reasons and "Enrolling -> Available" in reasons


async def test_a_claimed_host_is_in_use(host_lab: HostLab, sushy_emulator: SushyEmulator) -> None:
    await host_lab.put_secret("bmc", BMC_USERNAME, BMC_PASSWORD)
    claim = {"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "Beskar7Machine"}
    host = physical_host("h1", sushy_emulator.system_address(1), consumerRef={**claim, "name": "m"})
    await host_lab.store.create(host)

    await host_lab.settle("h1")

    status = await host_lab.status("h1")
    assert status["state"] == "InUse"
    assert conditions(status)["HostAvailable"] == ("False", "HostInUse")


async def test_a_missing_secret_is_an_error_until_it_appears(
    host_lab: HostLab, sushy_emulator: SushyEmulator
) -> None:
    await host_lab.store.create(physical_host("h2", sushy_emulator.system_address(2)))

    result = await host_lab.settle("h2")

    status = await host_lab.status("h2")
    assert status["state"] == "Error"
    assert conditions(status)["RedfishConnectionReady"] == ("False", "SecretNotFound")
    assert 'Secret "bmc" not found' in str(status["errorMessage"])
    assert result == BACK_OFF  # backoff, not a busy loop

    await host_lab.put_secret("bmc", BMC_USERNAME, BMC_PASSWORD)
    await host_lab.settle("h2")
    assert (await host_lab.status("h2"))["state"] == "Available"


async def test_a_secret_without_the_password_key_says_so(
    host_lab: HostLab, sushy_emulator: SushyEmulator
) -> None:
    await host_lab.put_secret("bmc", BMC_USERNAME, None)
    await host_lab.store.create(physical_host("h3", sushy_emulator.system_address(3)))

    await host_lab.settle("h3")

    status = await host_lab.status("h3")
    assert conditions(status)["RedfishConnectionReady"] == ("False", "MissingSecretData")
    assert '"password"' in str(status["errorMessage"])


async def test_a_refused_password_is_an_error_that_never_shows_the_password(
    host_lab: HostLab, sushy_emulator: SushyEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    wrong = "Wr0ng-but-secret-Pa55"
    await host_lab.put_secret("bmc", BMC_USERNAME, wrong)
    await host_lab.store.create(physical_host("h4", sushy_emulator.system_address(4)))

    await host_lab.settle("h4")

    host = await host_lab.host("h4")
    assert host["status"]["state"] == "Error"
    assert conditions(host["status"])["RedfishConnectionReady"] == (
        "False",
        "RedfishConnectionFailed",
    )
    everything = json.dumps([host, await host_lab.events("h4")]) + caplog.text
    assert wrong not in everything and BMC_PASSWORD not in everything

    await host_lab.put_secret("bmc", BMC_USERNAME, BMC_PASSWORD)
    await host_lab.settle("h4")
    assert (await host_lab.status("h4"))["state"] == "Available"


async def test_an_unreachable_bmc_is_an_error(host_lab: HostLab, refused_bmc_url: str) -> None:
    await host_lab.put_secret("bmc", BMC_USERNAME, BMC_PASSWORD)
    await host_lab.store.create(physical_host("gone", refused_bmc_url))

    result = await host_lab.settle("gone")

    status = await host_lab.status("gone")
    assert conditions(status)["RedfishConnectionReady"] == ("False", "RedfishConnectionFailed")
    assert result == BACK_OFF


async def test_a_hung_bmc_times_out(host_lab: HostLab, silent_bmc: SilentPeer) -> None:
    await host_lab.put_secret("bmc", BMC_USERNAME, BMC_PASSWORD)
    await host_lab.store.create(physical_host("hung", silent_bmc.url))

    started = time.monotonic()
    await host_lab.settle("hung")

    assert time.monotonic() - started < 20  # the Redfish timeout is 3 s per call
    status = await host_lab.status("hung")
    assert status["state"] == "Error"
    assert "did not answer" in str(status["errorMessage"]) or "timed out" in str(
        status["errorMessage"]
    )


async def test_a_bmc_answering_garbage_is_a_query_failure(
    host_lab: HostLab, garbage_bmc_factory: Callable[[str], HttpPeer]
) -> None:
    peer = garbage_bmc_factory("html")
    await host_lab.put_secret("bmc", BMC_USERNAME, BMC_PASSWORD)
    await host_lab.store.create(physical_host("junk", peer.url))

    await host_lab.settle("junk")

    status = await host_lab.status("junk")
    assert status["state"] == "Error"
    assert conditions(status)["RedfishConnectionReady"][1] in (
        "RedfishQueryFailed",
        "RedfishConnectionFailed",
    )


async def test_paused_a_paused_host_only_gets_the_paused_condition(
    host_lab: HostLab, sushy_emulator: SushyEmulator
) -> None:
    await host_lab.put_secret("bmc", BMC_USERNAME, BMC_PASSWORD)
    host = physical_host("p", sushy_emulator.system_address(5))
    host["metadata"]["annotations"] = {PAUSED_ANNOTATION: "true"}
    await host_lab.store.create(host)

    await host_lab.settle("p")

    stored = await host_lab.host("p")
    assert "finalizers" not in stored["metadata"] and "state" not in stored["status"]
    assert [(c["type"], c["status"]) for c in stored["status"]["conditions"]] == [
        ("Paused", "True")
    ]


async def test_deleting_a_host_powers_it_off_and_releases_it(
    host_lab: HostLab, sushy_emulator: SushyEmulator
) -> None:
    on = 6  # starts On in the shared emulator
    await host_lab.put_secret("bmc", BMC_USERNAME, BMC_PASSWORD)
    await host_lab.store.create(physical_host("d", sushy_emulator.system_address(on)))
    await host_lab.settle("d")

    await host_lab.store.delete(PHYSICAL_HOST, NAMESPACE, "d")
    await host_lab.settle("d")

    with pytest.raises(NotFoundError):
        await host_lab.host("d")
    sushy_emulator.wait_for_power_state(on, "Off", timeout=20)


async def test_deleting_a_host_whose_bmc_is_gone_still_releases_it(
    host_lab: HostLab, refused_bmc_url: str
) -> None:
    await host_lab.put_secret("bmc", BMC_USERNAME, BMC_PASSWORD)
    await host_lab.store.create(physical_host("lost", refused_bmc_url))
    await host_lab.settle("lost")

    await host_lab.store.delete(PHYSICAL_HOST, NAMESPACE, "lost")
    await host_lab.settle("lost")

    with pytest.raises(NotFoundError):
        await host_lab.host("lost")
