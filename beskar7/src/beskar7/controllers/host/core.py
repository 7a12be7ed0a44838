"""The PhysicalHost decision core: what to do at the BMC next, and the host's next status.

Pure functions of plain data (no store, no Redfish, no clock), so every transition is a table
test. States, one paragraph each:

- **Enrolling**: the host is new; the controller has not talked to its BMC yet.
- **Available**: the BMC answers with the given credentials and no machine has claimed the host.
- **InUse**: a Beskar7Machine has claimed it (`spec.consumerRef`).
- **Inspecting**: the machine asked for an inspection (`inspection-request: inspect`); the host
  was set to boot PXE once and powered on. `inspectionPhase` goes Booting -> InProgress (the
  callback server handed out a bootstrap token) -> Complete (the report arrived).
- **Ready**: the final OS reported itself provisioned.
- **Releasing**: the machine let go, but the power-off (and boot-override clearing) has not
  succeeded yet: retried with backoff, and the host is not Available (so not claimable) until
  the BMC has powered it off. Force-release skips this.
- **Error**: the credentials or the BMC failed (while the host is not being provisioned), or the
  provisioning failed (`inspectionPhase` Failed) or timed out (Timeout). `errorMessage` and the
  conditions say why. BMC failures are retried with backoff; the host returns to Available or
  InUse once the BMC answers. A host being inspected or provisioned keeps its state while the
  BMC is unreachable (the inspector and the final OS do not need it).

A reconcile is two calls: `plan` says which Redfish actions the annotations call for; the shell
runs them (with one look at the BMC) and `decide` turns what happened into the next status and
the annotations that status has consumed (removed only after the status is written). The
requests and who writes and clears each are the provisioning protocol's, in api/protocol.py.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from beskar7.api.meta import (
    READY_CONDITION,
    AddressType,
    Condition,
    ConditionSeverity,
    ConditionStatus,
    MachineAddress,
    false_condition,
    set_condition,
    true_condition,
)
from beskar7.api.physicalhost import (
    ENROLLING,
    EVENT_INSPECTION_COMPLETE,
    EVENT_INSPECTION_STARTED,
    EVENT_RELEASE_PENDING,
    EVENT_RELEASED,
    HOST_AVAILABLE,
    HOST_IN_USE,
    HOST_INSPECTED,
    INSPECTION_FAILED,
    INSPECTION_TIMEOUT,
    PROVISIONING_FAILED,
    REDFISH_CONNECTION_READY,
    SET_BOOT_PXE_FAILED,
    HardwareDetails,
    HealthStatus,
    HostState,
    InspectionPhase,
    PhysicalHost,
    PhysicalHostStatus,
)
from beskar7.api.protocol import CLEARED_ON_RELEASE, Annotation, InspectionRequest
from beskar7.controllers.host.data import (
    CLAIMED_STATES,
    DEPLOY_FAILURE_PREFIX,
    FAILED_PHASES,
    INSPECT_ACTIONS,
    NORMAL,
    PROVISIONING_STATES,
    RELEASE_ACTIONS,
    RUNNING_PHASES,
    TIMEOUT_ACTIONS,
    TIMEOUT_MESSAGE,
    WARNING,
    Failure,
    HostInputs,
    Note,
    Observation,
    Plan,
    RedfishAction,
    ReportRead,
    Step,
)
from beskar7.redfish import SystemInfo


@dataclass
class _Applied:
    now: datetime
    remove: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    retry: bool = False
    releasing: bool = False

    def note(self, type_: str, reason: str, message: str) -> None:
        self.notes.append(Note(type_, reason, message))


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


def state_of(
    claimed: bool, current: HostState | None, phase: InspectionPhase | None, bmc_ok: bool
) -> HostState:
    """The state from the claim, the provisioning progress and the BMC's health."""
    if not claimed:
        if current == HostState.RELEASING:
            return current  # only a completed power-off ends it (`decide`)
        return HostState.AVAILABLE if bmc_ok else HostState.ERROR
    if phase in FAILED_PHASES:
        return HostState.ERROR
    if current in PROVISIONING_STATES:
        return current
    return HostState.IN_USE if bmc_ok else HostState.ERROR


def plan(host: PhysicalHost) -> Plan:
    """The Redfish actions the host's claim and annotations call for."""
    status, annotations = host.status, host.metadata.annotations
    if host.spec.consumer_ref is None:
        if _was_in_use(status) and Annotation.FORCE_RELEASE not in annotations:
            return Plan(RELEASE_ACTIONS)
        return Plan()
    request = annotations.get(Annotation.INSPECTION_REQUEST)
    if request == InspectionRequest.INSPECT and status.inspection_phase not in RUNNING_PHASES:
        return Plan(INSPECT_ACTIONS, strict=True)
    if request == InspectionRequest.TIMEOUT and status.inspection_phase != InspectionPhase.TIMEOUT:
        return Plan(TIMEOUT_ACTIONS)
    return Plan()


def next_status(host: PhysicalHost, seen: Observation, now: datetime) -> PhysicalHostStatus:
    """The status after one look at the BMC, before any annotation is applied."""
    status = host.status.model_copy(deep=True)
    claimed = host.spec.consumer_ref is not None
    keep_message = status.inspection_phase in FAILED_PHASES  # the provisioning failure's
    if seen.failure is not None:
        status.ready = False
        status.error_message = status.error_message if keep_message else seen.failure.message
        status.conditions = _failed_conditions(status.conditions, seen.failure, now)
    else:
        assert seen.info is not None, "an observation without a failure carries the system's facts"
        status.ready = True
        status.error_message = status.error_message if keep_message else None
        status.observed_power_state = seen.info.power_state
        status.hardware_details = _hardware(seen.info)
        status.addresses = [
            MachineAddress(type=AddressType(a.type), address=a.address) for a in seen.addresses
        ]
        status.conditions = _healthy_conditions(status.conditions, claimed, now)
    status.state = state_of(claimed, status.state, status.inspection_phase, seen.failure is None)
    return status


def decide(host: PhysicalHost, inputs: HostInputs) -> Step:
    """The next status (the BMC's facts, then the annotations applied or the host released),
    and the annotations it consumed."""
    status = next_status(host, inputs.seen, inputs.now)
    claimed = host.spec.consumer_ref is not None
    done = _Applied(inputs.now)
    if claimed:
        _apply_requests(host, status, inputs, done)
    else:
        _release(host, status, inputs, done)
        if not done.releasing and status.state == HostState.RELEASING:
            status.state = None  # released for good: Available (or Error) from here
    for result in inputs.results:
        if result.failure is not None and result.action == RedfishAction.POWER_OFF:
            done.note(WARNING, result.failure.reason, result.failure.message)
    status.state = state_of(
        claimed, status.state, status.inspection_phase, inputs.seen.failure is None
    )
    return Step(status, tuple(dict.fromkeys(done.remove)), done.retry, tuple(done.notes))


def _apply_requests(
    host: PhysicalHost, status: PhysicalHostStatus, inputs: HostInputs, done: _Applied
) -> None:
    """Apply the consumer's and the callback server's annotations, in protocol order."""
    annotations = host.metadata.annotations
    request = annotations.get(Annotation.INSPECTION_REQUEST)
    if request == InspectionRequest.INSPECT:
        _inspect(status, inputs, done)
    _token_progress(status, annotations.get(Annotation.BOOTSTRAP_TOKEN))
    if Annotation.INSPECTION_RESULT_REF in annotations:
        _report(status, inputs.report, done)
    if Annotation.PROVISIONED_REQUEST in annotations:
        done.remove.append(Annotation.PROVISIONED_REQUEST)
        if status.state == HostState.INSPECTING and (
            status.inspection_phase == InspectionPhase.COMPLETE
        ):
            status.state = HostState.READY
    if Annotation.PROVISION_FAILED_REQUEST in annotations:
        _provision_failed(status, annotations[Annotation.PROVISION_FAILED_REQUEST], done)
    if request == InspectionRequest.TIMEOUT:
        _timeout(status, done)
    elif request is not None and request != InspectionRequest.INSPECT:
        # inspect-complete: the inspector installs now, nothing to do; or an unknown value
        done.remove.append(Annotation.INSPECTION_REQUEST)


def _inspect(status: PhysicalHostStatus, inputs: HostInputs, done: _Applied) -> None:
    if status.inspection_phase in RUNNING_PHASES:
        done.remove.append(Annotation.INSPECTION_REQUEST)  # already applied
        return
    if inputs.seen.failure is not None:
        done.retry = True  # the observation's conditions say why
        return
    failure = next((r.failure for r in inputs.results if r.failure is not None), None)
    if failure is None and len(inputs.results) < len(INSPECT_ACTIONS):
        failure = Failure(SET_BOOT_PXE_FAILED, "the inspection boot actions were not run")
    if failure is not None:
        condition = false_condition(HOST_INSPECTED, failure.reason, message=failure.message)
        status.conditions = set_condition(status.conditions, condition, done.now)
        done.retry = True
        done.note(WARNING, failure.reason, failure.message)
        return
    status.state = HostState.INSPECTING
    status.inspection_phase = InspectionPhase.BOOTING
    status.inspection_timestamp = done.now
    status.inspection_report = None
    status.conditions = [c for c in status.conditions if c.type != HOST_INSPECTED]
    done.remove.append(Annotation.INSPECTION_REQUEST)
    done.note(NORMAL, EVENT_INSPECTION_STARTED, "set to boot PXE once and powered on")


def token_issued_at(value: str | None) -> datetime | None:
    """`issuedAt` of a bootstrap-token annotation (JSON {hash, issuedAt, expiresAt})."""
    try:
        issued = json.loads(value or "").get("issuedAt")
        moment = datetime.fromisoformat(issued)
    except (ValueError, TypeError, AttributeError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _token_progress(status: PhysicalHostStatus, token: str | None) -> None:
    """Booting -> InProgress once a token was issued for this run (the image is loading)."""
    started = status.inspection_timestamp
    if status.inspection_phase != InspectionPhase.BOOTING or started is None:
        return
    issued = token_issued_at(token)
    if issued is not None and issued >= started.replace(microsecond=0):
        status.inspection_phase = InspectionPhase.IN_PROGRESS


def _report(status: PhysicalHostStatus, read: ReportRead | None, done: _Applied) -> None:
    done.remove.append(Annotation.INSPECTION_RESULT_REF)
    if status.inspection_phase not in RUNNING_PHASES:
        return  # no inspection is running: a stale report
    if read is None or read.report is None:
        problem = read.problem if read is not None else "the inspection result was not read"
        condition = false_condition(HOST_INSPECTED, INSPECTION_FAILED, message=problem)
        status.conditions = set_condition(status.conditions, condition, done.now)
        done.note(WARNING, INSPECTION_FAILED, problem)
        return
    old = status.inspection_report
    same = (
        old is not None
        and status.inspection_phase == InspectionPhase.COMPLETE
        and old.model_copy(update={"timestamp": None})
        == read.report.model_copy(update={"timestamp": None})
    )
    if not same:
        status.inspection_report = read.report.model_copy(update={"timestamp": done.now})
        done.note(NORMAL, EVENT_INSPECTION_COMPLETE, "inspection report received")
    status.inspection_phase = InspectionPhase.COMPLETE
    status.conditions = set_condition(status.conditions, true_condition(HOST_INSPECTED), done.now)


def _provision_failed(status: PhysicalHostStatus, reason: str, done: _Applied) -> None:
    done.remove.append(Annotation.PROVISION_FAILED_REQUEST)
    if status.state != HostState.INSPECTING or status.inspection_phase in FAILED_PHASES:
        return  # a Ready host's final OS is up: a late or forged failure changes nothing
    status.inspection_phase = InspectionPhase.FAILED
    status.error_message = DEPLOY_FAILURE_PREFIX + reason
    done.note(WARNING, PROVISIONING_FAILED, status.error_message)


def _timeout(status: PhysicalHostStatus, done: _Applied) -> None:
    done.remove.append(Annotation.INSPECTION_REQUEST)
    if status.inspection_phase == InspectionPhase.TIMEOUT:
        return
    status.inspection_phase = InspectionPhase.TIMEOUT
    status.error_message = TIMEOUT_MESSAGE
    condition = false_condition(
        HOST_INSPECTED, INSPECTION_TIMEOUT, ConditionSeverity.ERROR, TIMEOUT_MESSAGE
    )
    status.conditions = set_condition(status.conditions, condition, done.now)
    done.note(WARNING, INSPECTION_TIMEOUT, TIMEOUT_MESSAGE)


def _was_in_use(status: PhysicalHostStatus) -> bool:
    """The host still carries a consumer's traces (the report stays: it is the inventory)."""
    return (
        status.state in CLAIMED_STATES
        or status.state == HostState.RELEASING
        or status.inspection_phase is not None
        or status.inspection_timestamp is not None
    )


def _powered_off(inputs: HostInputs) -> bool:
    """The release's power-off went through this time (off already counts)."""
    return any(r.action == RedfishAction.POWER_OFF and r.failure is None for r in inputs.results)


def _release(
    host: PhysicalHost, status: PhysicalHostStatus, inputs: HostInputs, done: _Applied
) -> None:
    """No consumer: clear every trace of the last one (upstream bug #155) but the inventory;
    Releasing, retried with backoff, until the power-off succeeded (unless force-released)."""
    annotations = host.metadata.annotations
    forced = Annotation.FORCE_RELEASE in annotations
    if not _was_in_use(host.status):
        done.remove.extend(key for key in CLEARED_ON_RELEASE if key in annotations)
        return
    status.inspection_phase = None
    status.inspection_timestamp = None
    failure = inputs.seen.failure
    status.error_message = failure.message if failure is not None else None
    status.conditions = [c for c in status.conditions if c.type != HOST_INSPECTED]
    if not forced and not _powered_off(inputs):
        done.remove.extend(k for k in CLEARED_ON_RELEASE if k in annotations)
        status.state = HostState.RELEASING
        done.releasing = done.retry = True
        if host.status.state != HostState.RELEASING:
            message = "released by its consumer; not Available until the BMC powers it off"
            done.note(WARNING, EVENT_RELEASE_PENDING, message)
        return
    done.remove.extend(key for key in CLEARED_ON_RELEASE if key in annotations)
    how = "left as it is (force-release)" if forced else "boot override cleared, powered off"
    done.note(NORMAL, EVENT_RELEASED, f"released by its consumer; {how}")


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
    conditions = set_condition(conditions, true_condition(REDFISH_CONNECTION_READY), now)
    available = (
        false_condition(
            HOST_AVAILABLE, HOST_IN_USE, ConditionSeverity.INFO, "claimed by a Beskar7Machine"
        )
        if claimed
        else true_condition(HOST_AVAILABLE)
    )
    conditions = set_condition(conditions, available, now)
    return set_condition(conditions, true_condition(READY_CONDITION), now)


def _failed_conditions(
    conditions: list[Condition], failure: Failure, now: datetime
) -> list[Condition]:
    for type_ in (REDFISH_CONNECTION_READY, HOST_AVAILABLE, READY_CONDITION):
        condition = false_condition(type_, failure.reason, ConditionSeverity.ERROR, failure.message)
        conditions = set_condition(conditions, condition, now)
    return conditions
