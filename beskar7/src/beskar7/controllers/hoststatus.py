"""The PhysicalHost decision core: from what one look at the BMC found to the host's next status.

Pure functions of plain data (no store, no Redfish, no clock), so every transition is a table
test. States, one paragraph each:

- **Enrolling**: the host is new; the controller has not talked to its BMC yet.
- **Available**: the BMC answers with the given credentials and no machine has claimed the host.
- **InUse**: a Beskar7Machine has claimed it (`spec.consumerRef`); later states (Inspecting,
  Ready) belong to the provisioning flow and are kept while the BMC stays healthy.
- **Error**: the credentials or the BMC failed; `errorMessage` and the conditions say why. The
  controller retries with backoff and returns the host to Available or InUse once it answers.
"""

from dataclasses import dataclass, field
from datetime import datetime

from beskar7.api.meta import (
    READY_CONDITION,
    AddressType,
    Condition,
    ConditionSeverity,
    ConditionStatus,
    MachineAddress,
    set_condition,
)
from beskar7.api.physicalhost import (
    ENROLLING,
    HOST_AVAILABLE,
    HOST_IN_USE,
    REDFISH_CONNECTION_READY,
    HardwareDetails,
    HealthStatus,
    HostState,
    PhysicalHost,
    PhysicalHostStatus,
)
from beskar7.redfish import NetworkAddress, SystemInfo

CLAIMED_STATES = frozenset({HostState.IN_USE, HostState.INSPECTING, HostState.READY})


@dataclass(frozen=True)
class Failure:
    """Why the BMC could not be used: a condition reason and an operator-facing message."""

    reason: str
    message: str


@dataclass(frozen=True)
class Observation:
    """What one look at the BMC found: the system's facts, or the failure that prevented it."""

    info: SystemInfo | None = None
    addresses: tuple[NetworkAddress, ...] = field(default=())
    failure: Failure | None = None


def enrolling(host: PhysicalHost, now: datetime) -> PhysicalHostStatus:
    """The status of a host seen for the first time."""
    status = host.status.model_copy(deep=True)
    status.state = HostState.ENROLLING
    status.ready = False
    status.conditions = set_condition(
        status.conditions,
        Condition(type=HOST_AVAILABLE, status=ConditionStatus.UNKNOWN, reason=ENROLLING),
        now,
    )
    return status


def next_status(host: PhysicalHost, seen: Observation, now: datetime) -> PhysicalHostStatus:
    """The status after an observation of the host's BMC."""
    if seen.failure is not None:
        return _failed(host.status, seen.failure, now)
    assert seen.info is not None, "an observation without a failure carries the system's facts"
    status = host.status.model_copy(deep=True)
    status.ready = True
    status.error_message = None
    status.observed_power_state = seen.info.power_state
    status.hardware_details = _hardware(seen.info)
    status.addresses = [
        MachineAddress(type=AddressType(a.type), address=a.address) for a in seen.addresses
    ]
    claimed = host.spec.consumer_ref is not None
    if not claimed:
        status.state = HostState.AVAILABLE
    elif status.state not in CLAIMED_STATES:
        status.state = HostState.IN_USE
    status.conditions = _healthy_conditions(status.conditions, claimed, now)
    return status


def _hardware(info: SystemInfo) -> HardwareDetails:
    return HardwareDetails(
        manufacturer=info.manufacturer,
        model=info.model,
        serial_number=info.serial_number,
        status=HealthStatus(health=info.health, health_rollup=info.health_rollup, state=info.state),
    )


def _healthy_conditions(
    conditions: list[Condition], claimed: bool, now: datetime
) -> list[Condition]:
    conditions = set_condition(
        conditions, Condition(type=REDFISH_CONNECTION_READY, status=ConditionStatus.TRUE), now
    )
    available = (
        Condition(
            type=HOST_AVAILABLE,
            status=ConditionStatus.FALSE,
            severity=ConditionSeverity.INFO,
            reason=HOST_IN_USE,
            message="claimed by a Beskar7Machine",
        )
        if claimed
        else Condition(type=HOST_AVAILABLE, status=ConditionStatus.TRUE)
    )
    conditions = set_condition(conditions, available, now)
    return set_condition(
        conditions, Condition(type=READY_CONDITION, status=ConditionStatus.TRUE), now
    )


def _failed(current: PhysicalHostStatus, failure: Failure, now: datetime) -> PhysicalHostStatus:
    status = current.model_copy(deep=True)
    status.state = HostState.ERROR
    status.ready = False
    status.error_message = failure.message
    conditions = status.conditions
    for type_ in (REDFISH_CONNECTION_READY, HOST_AVAILABLE, READY_CONDITION):
        conditions = set_condition(
            conditions,
            Condition(
                type=type_,
                status=ConditionStatus.FALSE,
                severity=ConditionSeverity.ERROR,
                reason=failure.reason,
                message=failure.message,
            ),
            now,
        )
    status.conditions = conditions
    return status
