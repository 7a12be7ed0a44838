"""The PhysicalHost decision core, table-driven: observation in, next status out."""

from datetime import UTC, datetime, timedelta

import pytest

from beskar7.api.meta import ConditionStatus, get_condition
from beskar7.api.physicalhost import (
    HOST_AVAILABLE,
    HOST_IN_USE,
    REDFISH_CONNECTION_FAILED,
    REDFISH_CONNECTION_READY,
    SECRET_NOT_FOUND,
    HostState,
    PhysicalHost,
)
from beskar7.controllers.host.core import enrolling, next_status
from beskar7.controllers.host.data import Failure, Observation
from beskar7.redfish import NetworkAddress, SystemInfo

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
INFO = SystemInfo(
    manufacturer="Sushy",
    model="Fake",
    serial_number="SN-1",
    health="OK",
    health_rollup="OK",
    state="Enabled",
    power_state="Off",
)
SEEN = Observation(info=INFO, addresses=(NetworkAddress("InternalIP", "10.1.2.3"),))
DOWN = Observation(failure=Failure(REDFISH_CONNECTION_FAILED, "BMC at https://bmc did not answer"))


def a_host(state: str = "", *, claimed: bool = False) -> PhysicalHost:
    spec: dict[str, object] = {
        "redfishConnection": {"address": "https://bmc", "credentialsSecretRef": "creds"}
    }
    if claimed:
        spec["consumerRef"] = {"kind": "Beskar7Machine", "name": "worker-0", "namespace": "lab"}
    return PhysicalHost.from_obj(
        {"metadata": {"name": "h", "namespace": "lab"}, "spec": spec, "status": {"state": state}}
    )


@pytest.mark.parametrize(
    ("scenario", "state", "claimed", "seen", "expected"),
    [
        ("new host answers", "Enrolling", False, SEEN, HostState.AVAILABLE),
        ("claimed host answers", "Available", True, SEEN, HostState.IN_USE),
        ("inspecting host stays inspecting", "Inspecting", True, SEEN, HostState.INSPECTING),
        ("ready host stays ready", "Ready", True, SEEN, HostState.READY),
        ("released host is available again", "InUse", False, SEEN, HostState.AVAILABLE),
        ("bmc goes away", "Available", False, DOWN, HostState.ERROR),
        ("claimed host's bmc goes away", "InUse", True, DOWN, HostState.ERROR),
        ("bmc comes back", "Error", False, SEEN, HostState.AVAILABLE),
        ("claimed host's bmc comes back", "Error", True, SEEN, HostState.IN_USE),
    ],
)
def test_next_state(
    scenario: str, state: str, claimed: bool, seen: Observation, expected: HostState
) -> None:
    status = next_status(a_host(state, claimed=claimed), seen, NOW)
    assert status.state == expected, scenario
    assert status.ready is (expected != HostState.ERROR)


def test_a_healthy_look_fills_hardware_power_and_addresses() -> None:
    status = next_status(a_host("Enrolling"), SEEN, NOW)
    assert status.hardware_details is not None
    assert status.hardware_details.manufacturer == "Sushy"
    assert status.hardware_details.serial_number == "SN-1"
    assert status.hardware_details.status is not None
    assert status.hardware_details.status.health == "OK"
    assert status.observed_power_state == "Off"
    assert [(a.type, a.address) for a in status.addresses] == [("InternalIP", "10.1.2.3")]
    assert status.error_message is None


def test_failure_sets_error_message_and_conditions_with_the_reason() -> None:
    failure = Failure(SECRET_NOT_FOUND, 'credentials Secret "creds" not found')
    status = next_status(a_host("Available"), Observation(failure=failure), NOW)
    assert status.error_message == failure.message
    for type_ in (REDFISH_CONNECTION_READY, HOST_AVAILABLE):
        cond = get_condition(status.conditions, type_)
        assert cond is not None
        assert (cond.status, cond.reason) == (ConditionStatus.FALSE, SECRET_NOT_FOUND)


def test_recovery_clears_the_error_and_marks_the_connection_ready() -> None:
    broken = a_host("Available")
    broken.status = next_status(broken, DOWN, NOW)
    status = next_status(broken, SEEN, NOW + timedelta(minutes=1))
    assert status.error_message is None
    cond = get_condition(status.conditions, REDFISH_CONNECTION_READY)
    assert cond is not None and cond.status == ConditionStatus.TRUE
    assert cond.last_transition_time == NOW + timedelta(minutes=1)


def test_a_claimed_host_is_not_available() -> None:
    status = next_status(a_host("Available", claimed=True), SEEN, NOW)
    cond = get_condition(status.conditions, HOST_AVAILABLE)
    assert cond is not None and (cond.status, cond.reason) == (ConditionStatus.FALSE, HOST_IN_USE)


def test_an_unchanged_condition_keeps_its_transition_time() -> None:
    host = a_host("Enrolling")
    host.status = next_status(host, SEEN, NOW)
    later = next_status(host, SEEN, NOW + timedelta(minutes=5))
    cond = get_condition(later.conditions, HOST_AVAILABLE)
    assert cond is not None and cond.last_transition_time == NOW


def test_enrolling_marks_a_new_host() -> None:
    status = enrolling(a_host(), NOW)
    assert status.state == HostState.ENROLLING
    assert status.ready is False
