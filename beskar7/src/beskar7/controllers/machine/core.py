"""The Beskar7Machine decision core: from the machine, its host and its bootstrap data to the
next step (one request to the host controller, at most) and the machine's next status.

Pure functions of plain data (no store, no clock, no Redfish), so every transition is a table
test. Phases:

- **Pending**: waiting for the Cluster's infrastructure to be provisioned, for the bootstrap
  data, or for an Available PhysicalHost that fits (hostSelector, failure domain, inventory:
  see hosts.py); the condition says which, and why hosts were passed over.
- **Claiming**: a host was claimed (`spec.consumerRef`); waiting for its controller to accept
  the claim (state InUse).
- **Inspecting**: `inspection-request: inspect` was asked; the host boots the inspection
  image and reports its hardware. It times out `inspection_timeout` seconds after the host's
  `inspectionTimestamp` (-> `inspection-request: timeout`, Failed InspectionTimedOut).
- **Validating**: the host says the inspection is complete but shows no report yet. A report
  in hand is judged in the same reconcile, so the phase is rarely seen.
- **Provisioning**: the hardware meets the requirements (`inspection-request: inspect-complete`);
  the inspector fetches the bootstrap data and installs the final OS. It times out
  `deployment_timeout` seconds after the host received the report (`inspectionReport.timestamp`)
  unless the host is Ready by then (-> Failed DeploymentTimedOut).
- **Provisioned**: the host is Ready; `spec.providerID` is `b7://<namespace>/<host>`. Sticky.
  After `clusterctl move` (new uids, no status) a machine whose spec.providerID names a host
  still claimed under its old uid renews the claim and is Provisioned at once: the status is
  rebuilt from the spec and nothing is asked of the host.
  `status.addresses` are the inspection report's NIC addresses (InternalIP) and the ones the
  BMC lists, without repeats; `status.failureDomain` is the host's zone label.
- **Failed**: terminal (`failureReason`/`failureMessage`, never cleared); the host is released
  once it has acknowledged the machine's last request.

The requests to the host are the provisioning protocol's steps 1, 2, 5, 8 and 9 (api/protocol.py).
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from beskar7.api.capi import ZONE_LABEL
from beskar7.api.machine import (
    BOOTSTRAP_DATA_AVAILABLE,
    BOOTSTRAP_DATA_READY,
    DEPLOYMENT_FAILED,
    DEPLOYMENT_TIMED_OUT,
    HARDWARE_REQUIREMENTS_NOT_MET,
    INFRASTRUCTURE_READY,
    INSPECTION_TIMED_OUT,
    PHYSICAL_HOST_ASSOCIATED,
    PHYSICAL_HOST_ASSOCIATION_FAILED,
    PHYSICAL_HOST_CLAIMED,
    PHYSICAL_HOST_ERROR,
    PHYSICAL_HOST_NOT_READY,
    PROVISIONED,
    WAITING_FOR_BOOTSTRAP_DATA,
    WAITING_FOR_CLUSTER_INFRASTRUCTURE,
    Beskar7Machine,
    Beskar7MachineStatus,
    MachinePhase,
    format_provider_id,
)
from beskar7.api.meta import (
    READY_CONDITION,
    Condition,
    ConditionSeverity,
    ConditionStatus,
    Initialization,
    false_condition,
    get_condition,
    set_condition,
)
from beskar7.api.physicalhost import HostState, InspectionPhase, PhysicalHost
from beskar7.api.protocol import Annotation, InspectionRequest
from beskar7.controllers.machine.hosts import Skip, addresses_of, why_none
from beskar7.controllers.machine.requirements import check

WAIT_REQUEUE = 30.0
"""Seconds between looks while waiting for bootstrap data, a host or an inspection."""
DEFAULT_INSPECTION_TIMEOUT = 600.0
DEFAULT_DEPLOYMENT_TIMEOUT = 1200.0
"""Upstream's `--deployment-timeout` (20 min): from the inspection report to a Ready host."""
OVERDUE_REQUEUE = 1.0
"""Seconds before looking again at a machine that reached Provisioning after its deadline."""


class Bootstrap(StrEnum):
    """Where the owner Machine's bootstrap data stands."""

    NO_SECRET_NAME = "NoDataSecretName"
    SECRET_MISSING = "SecretMissing"
    READY = "Ready"


class Action(StrEnum):
    """What the shell does for a step (before the status write, except RELEASE)."""

    CLAIM = "Claim"
    REQUEST_INSPECT = "RequestInspect"
    REQUEST_INSPECT_COMPLETE = "RequestInspectComplete"
    REQUEST_TIMEOUT = "RequestTimeout"
    SET_PROVIDER_ID = "SetProviderID"
    RELEASE = "Release"


REQUEST_VALUES = {
    Action.REQUEST_INSPECT: InspectionRequest.INSPECT,
    Action.REQUEST_INSPECT_COMPLETE: InspectionRequest.INSPECT_COMPLETE,
    Action.REQUEST_TIMEOUT: InspectionRequest.TIMEOUT,
}
"""The `inspection-request` annotation value each request action writes on the host."""


@dataclass(frozen=True)
class MachineFacts:
    machine: Beskar7Machine
    bootstrap: Bootstrap
    now: datetime
    host: PhysicalHost | None = None
    """The host whose consumerRef names this machine."""
    candidate: PhysicalHost | None = None
    """When it has none: the host it may claim (hosts.find), if any."""
    skipped: tuple[tuple[Skip, int], ...] = ()
    """When there is no candidate: how many hosts were passed over, and why."""
    failure_domain: str | None = None
    """The owner Machine's spec.failureDomain."""
    cluster_provisioned: bool = True
    """CAPI core saw the Cluster's infrastructure provisioned (hosts are claimed only then)."""
    moved: bool = False
    """The candidate is this machine's host from before a `clusterctl move` (hosts.Found)."""
    inspection_timeout: float = DEFAULT_INSPECTION_TIMEOUT
    deployment_timeout: float = DEFAULT_DEPLOYMENT_TIMEOUT


@dataclass(frozen=True)
class Step:
    status: Beskar7MachineStatus
    action: Action | None = None
    requeue_after: float | None = None
    message: str = ""
    """Why the machine is where it is (for the phase-change event)."""
    provider_id: str | None = None
    """For SET_PROVIDER_ID: the value."""


def decide(facts: MachineFacts) -> Step:
    step = _decide(facts)
    host = facts.host or (facts.candidate if step.action == Action.CLAIM else None)
    if host is not None and (zone := host.metadata.labels.get(ZONE_LABEL)):
        step.status.failure_domain = zone
    return step


def _decide(facts: MachineFacts) -> Step:
    status = facts.machine.status.model_copy(deep=True)
    if is_terminal(status):
        return _after_failure(facts, Step(status, message=status.failure_message or ""))
    host = facts.host
    if host is None and facts.moved and facts.candidate is not None:
        return replace(_provisioned(facts, status, facts.candidate), action=Action.CLAIM)
    if host is None:
        return _without_host(facts, status)
    if status.phase == MachinePhase.PROVISIONED:
        return _provisioned(facts, status, host)
    return _with_host(facts, status, host)


def is_terminal(status: Beskar7MachineStatus) -> bool:
    return status.phase == MachinePhase.FAILED and status.failure_reason is not None


def awaits_host(host: PhysicalHost) -> bool:
    """The host has yet to apply this machine's last request."""
    return Annotation.INSPECTION_REQUEST in host.metadata.annotations


def _after_failure(facts: MachineFacts, step: Step) -> Step:
    """A failed machine lets its host go, once the host has taken its last request."""
    if facts.host is None or awaits_host(facts.host) or step.action is not None:
        return step
    return replace(step, action=Action.RELEASE)


def _without_host(facts: MachineFacts, status: Beskar7MachineStatus) -> Step:
    now, candidate = facts.now, facts.candidate
    if facts.machine.spec.provider_id and candidate is None:
        message = (
            f"the host spec.providerID {facts.machine.spec.provider_id} names is gone or taken"
        )
        cond = false_condition(
            PHYSICAL_HOST_ASSOCIATED, PHYSICAL_HOST_ASSOCIATION_FAILED, message=message
        )
        _set(status, now, cond, _not_ready(PHYSICAL_HOST_ASSOCIATION_FAILED, message))
        return Step(status, requeue_after=WAIT_REQUEUE, message=message)
    if not facts.cluster_provisioned:
        message = "waiting for the Cluster's infrastructure to be provisioned"
        return _pending(facts, status, WAITING_FOR_CLUSTER_INFRASTRUCTURE, message)
    if facts.bootstrap != Bootstrap.READY:
        return _waiting_for_bootstrap(facts, status, MachinePhase.PENDING)
    if candidate is None:
        return _pending(facts, status, *why_none(facts.failure_domain, facts.skipped))
    name = candidate.metadata.name
    status.phase = MachinePhase.CLAIMING
    message = f"claimed PhysicalHost {name}"
    _set(status, now, _associated(name), _not_ready(PHYSICAL_HOST_NOT_READY, message))
    return Step(status, Action.CLAIM, message=message)


def _pending(facts: MachineFacts, status: Beskar7MachineStatus, reason: str, message: str) -> Step:
    cond = false_condition(PHYSICAL_HOST_ASSOCIATED, reason, ConditionSeverity.INFO, message)
    status.phase = MachinePhase.PENDING
    _set(status, facts.now, cond, _not_ready(reason, message))
    return Step(status, requeue_after=WAIT_REQUEUE, message=message)


def _with_host(facts: MachineFacts, status: Beskar7MachineStatus, host: PhysicalHost) -> Step:
    name, phase = host.metadata.name, host.status.inspection_phase
    if host.status.state == HostState.READY:
        return _provisioned(facts, status, host)
    if phase == InspectionPhase.FAILED:
        message = host.status.error_message or f"PhysicalHost {name} failed to provision"
        return _fail(facts, status, DEPLOYMENT_FAILED, message)
    if phase == InspectionPhase.TIMEOUT:
        return _fail(facts, status, INSPECTION_TIMED_OUT, _timeout_message(facts, name))
    left = _deployment_left(facts, host)
    if status.phase == MachinePhase.PROVISIONING and left is not None and left <= 0:
        return _fail(facts, status, DEPLOYMENT_TIMED_OUT, _deployment_message(facts, name))
    return _until_deadline(_progress(facts, status, host), left)


def _progress(facts: MachineFacts, status: Beskar7MachineStatus, host: PhysicalHost) -> Step:
    """The host is on its way: claimed, inspecting, inspected or installing."""
    name, state = host.metadata.name, host.status.state
    if state == HostState.INSPECTING:
        return _inspecting(facts, status, host)
    if state == HostState.IN_USE:
        return _in_use(facts, status, host)
    _set(status, facts.now, _associated(name))
    if state == HostState.ERROR:
        message = f"PhysicalHost {name}: {host.status.error_message or 'in error'}"
        _set(status, facts.now, _not_ready(PHYSICAL_HOST_ERROR, message))
    else:
        message = f"waiting for PhysicalHost {name} to accept the claim"
        _set(status, facts.now, _not_ready(PHYSICAL_HOST_NOT_READY, message))
    if status.phase in (None, MachinePhase.PENDING):
        status.phase = MachinePhase.CLAIMING
    return Step(status, requeue_after=WAIT_REQUEUE, message=message)


def _in_use(facts: MachineFacts, status: Beskar7MachineStatus, host: PhysicalHost) -> Step:
    name = host.metadata.name
    _set(status, facts.now, _associated(name))
    if host.metadata.annotations.get(Annotation.INSPECTION_REQUEST) == InspectionRequest.INSPECT:
        message = f"waiting for PhysicalHost {name} to start the inspection"
        status.phase = MachinePhase.INSPECTING
        _set(status, facts.now, _not_ready(PHYSICAL_HOST_NOT_READY, message))
        return Step(status, requeue_after=WAIT_REQUEUE, message=message)
    if facts.bootstrap != Bootstrap.READY:
        return _waiting_for_bootstrap(facts, status, MachinePhase.CLAIMING)
    message = f"inspection of PhysicalHost {name} requested"
    status.phase = MachinePhase.INSPECTING
    _set(status, facts.now, _bootstrap_ready(), _not_ready(PHYSICAL_HOST_NOT_READY, message))
    return Step(status, Action.REQUEST_INSPECT, requeue_after=WAIT_REQUEUE, message=message)


def _inspecting(facts: MachineFacts, status: Beskar7MachineStatus, host: PhysicalHost) -> Step:
    name, now = host.metadata.name, facts.now
    _set(status, now, _associated(name))
    if host.status.inspection_phase == InspectionPhase.COMPLETE:
        return _validate(facts, status, host)
    requeue = WAIT_REQUEUE
    started = host.status.inspection_timestamp
    if started is not None:
        left = facts.inspection_timeout - (now - started).total_seconds()
        if left <= 0:
            step = _fail(facts, status, INSPECTION_TIMED_OUT, _timeout_message(facts, name))
            return replace(step, action=Action.REQUEST_TIMEOUT)
        requeue = min(requeue, left)
    phase = host.status.inspection_phase or InspectionPhase.PENDING
    message = f"PhysicalHost {name} is being inspected ({phase})"
    status.phase = MachinePhase.INSPECTING
    _set(status, now, _not_ready(PHYSICAL_HOST_NOT_READY, message))
    return Step(status, requeue_after=requeue, message=message)


def _validate(facts: MachineFacts, status: Beskar7MachineStatus, host: PhysicalHost) -> Step:
    name, report = host.metadata.name, host.status.inspection_report
    if report is None:
        message = f"PhysicalHost {name} finished inspecting but shows no report yet"
        status.phase = MachinePhase.VALIDATING
        _set(status, facts.now, _not_ready(PHYSICAL_HOST_NOT_READY, message))
        return Step(status, requeue_after=WAIT_REQUEUE, message=message)
    verdict = check(facts.machine.spec.hardware_requirements, report)
    if not verdict.ok:
        return _fail(facts, status, HARDWARE_REQUIREMENTS_NOT_MET, verdict.message)
    asked = status.phase == MachinePhase.PROVISIONING
    message = f"hardware of PhysicalHost {name} accepted; installing the operating system"
    status.phase = MachinePhase.PROVISIONING
    _set(status, facts.now, _not_ready(PHYSICAL_HOST_NOT_READY, message))
    action = None if asked else Action.REQUEST_INSPECT_COMPLETE
    return Step(status, action, message=message)


def _deployment_left(facts: MachineFacts, host: PhysicalHost) -> float | None:
    """Seconds until the deployment times out, counted from the host's receipt of the
    inspection report; None without a report (or one without a timestamp)."""
    report = host.status.inspection_report
    if report is None or report.timestamp is None:
        return None
    return facts.deployment_timeout - (facts.now - report.timestamp).total_seconds()


def _until_deadline(step: Step, left: float | None) -> Step:
    """While Provisioning: look again every WAIT_REQUEUE seconds at most, and at the deadline
    (soon, when the machine only now reached Provisioning and the deadline has passed)."""
    if step.status.phase != MachinePhase.PROVISIONING or left is None:
        return step
    deadline = left if left > 0 else OVERDUE_REQUEUE
    requeue = WAIT_REQUEUE if step.requeue_after is None else step.requeue_after
    return replace(step, requeue_after=min(requeue, deadline))


def _provisioned(facts: MachineFacts, status: Beskar7MachineStatus, host: PhysicalHost) -> Step:
    namespace, name = host.metadata.namespace, host.metadata.name
    if host.status.state == HostState.READY or not status.addresses:
        status.addresses = addresses_of(host)  # the report's NICs, then the BMC's
    status.phase = MachinePhase.PROVISIONED
    status.ready = True
    status.initialization = Initialization(provisioned=True)
    infra = Condition(type=INFRASTRUCTURE_READY, status=ConditionStatus.TRUE, reason=PROVISIONED)
    _set(status, facts.now, _associated(name), infra)
    provider_id = format_provider_id(namespace, name)
    action = None if facts.machine.spec.provider_id == provider_id else Action.SET_PROVIDER_ID
    message = f"PhysicalHost {name} provisioned"
    return Step(status, action, message=message, provider_id=provider_id)


def _fail(facts: MachineFacts, status: Beskar7MachineStatus, reason: str, message: str) -> Step:
    """Terminal: never cleared; the host is let go (see `_after_failure`)."""
    status.phase = MachinePhase.FAILED
    status.ready = False
    status.failure_reason = reason
    status.failure_message = message
    infra = false_condition(INFRASTRUCTURE_READY, reason, ConditionSeverity.ERROR, message)
    _set(status, facts.now, infra)
    return _after_failure(facts, Step(status, message=message))


def _waiting_for_bootstrap(
    facts: MachineFacts, status: Beskar7MachineStatus, phase: MachinePhase
) -> Step:
    if facts.bootstrap == Bootstrap.NO_SECRET_NAME:
        message = "the owner Machine has no spec.bootstrap.dataSecretName yet"
    else:
        message = "the owner Machine's bootstrap data Secret does not exist yet"
    status.phase = phase
    cond = false_condition(
        BOOTSTRAP_DATA_READY, WAITING_FOR_BOOTSTRAP_DATA, ConditionSeverity.INFO, message
    )
    _set(status, facts.now, cond, _not_ready(WAITING_FOR_BOOTSTRAP_DATA, message))
    return Step(status, requeue_after=WAIT_REQUEUE, message=message)


def _timeout_message(facts: MachineFacts, host: str) -> str:
    return f"PhysicalHost {host} sent no inspection report within {facts.inspection_timeout:g}s"


def _deployment_message(facts: MachineFacts, host: str) -> str:
    return (
        f"PhysicalHost {host} did not become Ready within {facts.deployment_timeout:g}s of its"
        " inspection report (no provisioned callback from the installed OS)"
    )


def _associated(host: str) -> Condition:
    return Condition(
        type=PHYSICAL_HOST_ASSOCIATED,
        status=ConditionStatus.TRUE,
        reason=PHYSICAL_HOST_CLAIMED,
        message=f"PhysicalHost {host}",
    )


def _bootstrap_ready() -> Condition:
    return Condition(
        type=BOOTSTRAP_DATA_READY, status=ConditionStatus.TRUE, reason=BOOTSTRAP_DATA_AVAILABLE
    )


def _not_ready(reason: str, message: str) -> Condition:
    return false_condition(INFRASTRUCTURE_READY, reason, ConditionSeverity.INFO, message)


def _set(status: Beskar7MachineStatus, now: datetime, *conditions: Condition) -> None:
    """Set conditions; the summary Ready condition mirrors InfrastructureReady."""
    for condition in conditions:
        status.conditions = set_condition(status.conditions, condition, now)
    infra = get_condition(status.conditions, INFRASTRUCTURE_READY)
    if infra is not None:
        summary = infra.model_copy(update={"type": READY_CONDITION})
        status.conditions = set_condition(status.conditions, summary, now)
