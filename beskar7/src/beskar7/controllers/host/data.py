"""The plain data the PhysicalHost decision core (core.py) works on: the Redfish actions a
host's annotations call for, what the shell observed, and what the core decided."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from beskar7.api.physicalhost import (
    POWER_OFF_FAILED,
    POWER_ON_FAILED,
    SET_BOOT_PXE_FAILED,
    HostState,
    InspectionPhase,
    InspectionReport,
    PhysicalHostStatus,
)
from beskar7.redfish import NetworkAddress, SystemInfo

CLAIMED_STATES = frozenset({HostState.IN_USE, HostState.INSPECTING, HostState.READY})
PROVISIONING_STATES = frozenset({HostState.INSPECTING, HostState.READY})
FAILED_PHASES = frozenset({InspectionPhase.FAILED, InspectionPhase.TIMEOUT})
RUNNING_PHASES = frozenset(InspectionPhase) - FAILED_PHASES
DEPLOY_FAILURE_PREFIX = "inspector reported deploy failure: "
TIMEOUT_MESSAGE = "no inspection report arrived within the inspection timeout"
NORMAL = "Normal"
WARNING = "Warning"


class RedfishAction(StrEnum):
    """A Redfish action the shell runs for a request."""

    CLEAR_BOOT_OVERRIDE = "ClearBootOverride"
    SET_PXE_ONCE = "SetPXEOnce"
    POWER_ON = "PowerOn"
    """Power on; force-restart when the system is already on."""
    POWER_OFF = "PowerOff"
    """Force off, unless the system is already off."""


INSPECT_ACTIONS = (
    RedfishAction.CLEAR_BOOT_OVERRIDE,
    RedfishAction.SET_PXE_ONCE,
    RedfishAction.POWER_ON,
)
RELEASE_ACTIONS = (RedfishAction.CLEAR_BOOT_OVERRIDE, RedfishAction.POWER_OFF)
TIMEOUT_ACTIONS = (RedfishAction.POWER_OFF,)
FAILURE_REASONS = {
    RedfishAction.CLEAR_BOOT_OVERRIDE: SET_BOOT_PXE_FAILED,
    RedfishAction.SET_PXE_ONCE: SET_BOOT_PXE_FAILED,
    RedfishAction.POWER_ON: POWER_ON_FAILED,
    RedfishAction.POWER_OFF: POWER_OFF_FAILED,
}
"""The condition reason of each action's failure."""


@dataclass(frozen=True)
class Failure:
    """Why the BMC could not be used: a condition reason and an operator-facing message."""

    reason: str
    message: str


@dataclass(frozen=True)
class Plan:
    """The Redfish actions this reconcile calls for, in order."""

    actions: tuple[RedfishAction, ...] = ()
    strict: bool = False
    """Stop at the first failure and retry the request later; otherwise best effort."""


@dataclass(frozen=True)
class ActionResult:
    action: RedfishAction
    failure: Failure | None = None
    operation: str | None = None
    """The power operation actually sent (PowerOn, ForceRestart, PowerOff), if any."""


@dataclass(frozen=True)
class ReportRead:
    """The inspection report the `inspection-result-ref` annotation points at, or why not."""

    report: InspectionReport | None = None
    problem: str = ""


@dataclass(frozen=True)
class Note:
    """An event to record: type (Normal/Warning), reason, message."""

    type: str
    reason: str
    message: str


@dataclass(frozen=True)
class Observation:
    """What one look at the BMC found: the system's facts, or the failure that prevented it."""

    info: SystemInfo | None = None
    addresses: tuple[NetworkAddress, ...] = field(default=())
    failure: Failure | None = None


@dataclass(frozen=True)
class HostInputs:
    """Everything the shell gathered in one reconcile besides the host itself."""

    seen: Observation
    now: datetime
    plan: Plan = field(default_factory=Plan)
    results: tuple[ActionResult, ...] = ()
    """What became of `plan`'s actions (fewer when a strict plan stopped, none when the BMC
    could not be reached)."""
    report: ReportRead | None = None
    """The ConfigMap named by the `inspection-result-ref` annotation, when there is one."""


@dataclass(frozen=True)
class Step:
    status: PhysicalHostStatus
    remove: tuple[str, ...] = ()
    """Annotations the new status has consumed: remove them once it is written."""
    retry: bool = False
    """A request could not be applied (the BMC failed): retry with backoff."""
    notes: tuple[Note, ...] = ()
    """Events to record after the save."""
