"""The PhysicalHost decision core and the provisioning protocol, table-driven: the host's claim
and annotations in; the Redfish actions to run (plan), the next status and the annotations it
consumed (decide) out."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from beskar7.api.meta import ConditionStatus, format_time, get_condition
from beskar7.api.physicalhost import (
    HOST_INSPECTED,
    INSPECTION_FAILED,
    INSPECTION_TIMEOUT,
    POWER_OFF_FAILED,
    POWER_ON_FAILED,
    REDFISH_CONNECTION_FAILED,
    SET_BOOT_PXE_FAILED,
    HostState,
    InspectionPhase,
    InspectionReport,
    PhysicalHost,
)
from beskar7.api.protocol import Annotation, InspectionRequest
from beskar7.controllers.host.core import decide, plan
from beskar7.controllers.host.data import (
    INSPECT_ACTIONS,
    RELEASE_ACTIONS,
    WARNING,
    ActionResult,
    Failure,
    HostInputs,
    Observation,
    Plan,
    RedfishAction,
    ReportRead,
)
from beskar7.redfish import SystemInfo
from tests.fixtures.machines import GOLDEN_REPORT

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
INFO = SystemInfo(
    manufacturer="Sushy",
    model="Fake",
    serial_number="SN-1",
    health="OK",
    health_rollup="OK",
    state="Enabled",
    power_state="On",
)
SEEN = Observation(info=INFO)
DOWN = Observation(failure=Failure(REDFISH_CONNECTION_FAILED, "BMC at https://bmc did not answer"))


def a_host(state: str, *, claimed: bool) -> PhysicalHost:
    spec: dict[str, object] = {
        "redfishConnection": {"address": "https://bmc", "credentialsSecretRef": "creds"}
    }
    if claimed:
        spec["consumerRef"] = {"kind": "Beskar7Machine", "name": "worker-0", "namespace": "lab"}
    return PhysicalHost.from_obj(
        {"metadata": {"name": "h", "namespace": "lab"}, "spec": spec, "status": {"state": state}}
    )


PHASE_BOOTING = InspectionPhase.BOOTING
STARTED = NOW - timedelta(minutes=2)
REPORT = InspectionReport.model_validate(GOLDEN_REPORT)
PXE_FAILED = Failure(SET_BOOT_PXE_FAILED, "BMC refused the boot override")
ALL_OK = tuple(ActionResult(a) for a in INSPECT_ACTIONS)


def token(issued: datetime) -> str:
    return json.dumps({"hash": "ab" * 32, "issuedAt": format_time(issued), "expiresAt": "x"})


def provisioning_host(
    state: str = "InUse",
    *,
    claimed: bool = True,
    phase: str | None = None,
    started: datetime | None = None,
    report: bool = False,
    annotations: dict[str, str] | None = None,
) -> PhysicalHost:
    host = a_host(state, claimed=claimed)
    host.metadata.annotations = dict(annotations or {})
    host.status.inspection_phase = InspectionPhase(phase) if phase else None
    host.status.inspection_timestamp = started
    host.status.inspection_report = REPORT if report else None
    return host


def inputs(**kwargs: object) -> HostInputs:
    values: dict[str, Any] = {"seen": SEEN, "now": NOW, **kwargs}
    return HostInputs(**values)


@pytest.mark.parametrize(
    ("scenario", "host", "actions", "strict"),
    [
        ("nothing asked", provisioning_host(), (), False),
        (
            "inspect",
            provisioning_host(
                annotations={Annotation.INSPECTION_REQUEST: InspectionRequest.INSPECT}
            ),
            INSPECT_ACTIONS,
            True,
        ),
        (
            "inspect again while booting",
            provisioning_host(
                "Inspecting",
                phase="Booting",
                annotations={Annotation.INSPECTION_REQUEST: InspectionRequest.INSPECT},
            ),
            (),
            False,
        ),
        (
            "timeout",
            provisioning_host(
                "Inspecting",
                phase="Booting",
                annotations={Annotation.INSPECTION_REQUEST: "timeout"},
            ),
            (RedfishAction.POWER_OFF,),
            False,
        ),
        (
            "released while inspecting",
            provisioning_host("Inspecting", claimed=False),
            RELEASE_ACTIONS,
            False,
        ),
        (
            "force-released",
            provisioning_host(
                "Ready", claimed=False, annotations={Annotation.FORCE_RELEASE: "true"}
            ),
            (),
            False,
        ),
        ("free host, nothing stale", provisioning_host("Available", claimed=False), (), False),
        (
            "free host with a stale timestamp",
            provisioning_host("Available", claimed=False, started=STARTED),
            RELEASE_ACTIONS,
            False,
        ),
    ],
)
def test_plan(
    scenario: str, host: PhysicalHost, actions: tuple[RedfishAction, ...], strict: bool
) -> None:
    assert plan(host) == Plan(actions, strict=strict), scenario


def test_inspect_boots_pxe_and_starts_the_clock() -> None:
    host = provisioning_host(annotations={Annotation.INSPECTION_REQUEST: InspectionRequest.INSPECT})
    host.status.inspection_report = REPORT  # a previous run's: cleared
    decision = decide(host, inputs(plan=plan(host), results=ALL_OK))
    status = decision.status
    assert (status.state, status.inspection_phase) == (HostState.INSPECTING, PHASE_BOOTING)
    assert status.inspection_timestamp == NOW and status.inspection_report is None
    assert decision.remove == (Annotation.INSPECTION_REQUEST,) and not decision.retry


@pytest.mark.parametrize(
    ("failed", "reason"),
    [
        (RedfishAction.CLEAR_BOOT_OVERRIDE, SET_BOOT_PXE_FAILED),
        (RedfishAction.SET_PXE_ONCE, SET_BOOT_PXE_FAILED),
        (RedfishAction.POWER_ON, POWER_ON_FAILED),
    ],
)
def test_a_failed_inspect_action_keeps_the_request_and_says_why(
    failed: RedfishAction, reason: str
) -> None:
    host = provisioning_host(annotations={Annotation.INSPECTION_REQUEST: InspectionRequest.INSPECT})
    done = INSPECT_ACTIONS[: INSPECT_ACTIONS.index(failed)]
    results = (*(ActionResult(a) for a in done), ActionResult(failed, Failure(reason, "no")))
    decision = decide(host, inputs(plan=plan(host), results=results))
    assert decision.status.state == HostState.IN_USE
    assert decision.remove == () and decision.retry
    cond = get_condition(decision.status.conditions, HOST_INSPECTED)
    assert cond is not None and (cond.status, cond.reason) == (ConditionStatus.FALSE, reason)


def test_inspect_waits_for_an_unreachable_bmc() -> None:
    host = provisioning_host(annotations={Annotation.INSPECTION_REQUEST: InspectionRequest.INSPECT})
    decision = decide(host, inputs(seen=DOWN, plan=plan(host)))
    assert decision.status.state == HostState.ERROR
    assert decision.status.inspection_phase is None
    assert decision.remove == () and decision.retry


@pytest.mark.parametrize(
    ("issued", "phase"),
    [
        (STARTED + timedelta(seconds=20), InspectionPhase.IN_PROGRESS),
        (STARTED.replace(microsecond=0), InspectionPhase.IN_PROGRESS),  # same second
        (STARTED - timedelta(minutes=30), InspectionPhase.BOOTING),  # a previous run's token
    ],
)
def test_a_token_issued_for_this_run_means_in_progress(issued: datetime, phase: str) -> None:
    host = provisioning_host(
        "Inspecting",
        phase="Booting",
        started=STARTED.replace(microsecond=500_000),
        annotations={Annotation.BOOTSTRAP_TOKEN: token(issued)},
    )
    decision = decide(host, inputs())
    assert decision.status.inspection_phase == phase
    assert decision.remove == ()  # the token stays: the final OS still needs it


@pytest.mark.parametrize("seen", [SEEN, DOWN], ids=["bmc-up", "bmc-down"])
def test_a_report_completes_the_inspection_even_without_the_bmc(seen: Observation) -> None:
    ref: dict[str, str] = {Annotation.INSPECTION_RESULT_REF: "h-inspection-result"}
    host = provisioning_host("Inspecting", phase="InProgress", started=STARTED, annotations=ref)
    decision = decide(host, inputs(seen=seen, report=ReportRead(REPORT)))
    status = decision.status
    assert (status.state, status.inspection_phase) == (HostState.INSPECTING, "Complete")
    assert status.inspection_report is not None and status.inspection_report.timestamp == NOW
    assert status.inspection_report.cpus[0].cores == 32
    assert decision.remove == (Annotation.INSPECTION_RESULT_REF,)
    cond = get_condition(status.conditions, HOST_INSPECTED)
    assert cond is not None and cond.status == ConditionStatus.TRUE


def test_an_unreadable_report_is_dropped_with_a_reason() -> None:
    ref: dict[str, str] = {Annotation.INSPECTION_RESULT_REF: "h-inspection-result"}
    host = provisioning_host("Inspecting", phase="Booting", started=STARTED, annotations=ref)
    decision = decide(host, inputs(report=ReportRead(problem="ConfigMap not found")))
    assert decision.status.inspection_phase == PHASE_BOOTING
    assert decision.remove == (Annotation.INSPECTION_RESULT_REF,)
    cond = get_condition(decision.status.conditions, HOST_INSPECTED)
    assert cond is not None and (cond.reason, cond.message) == (
        INSPECTION_FAILED,
        "ConfigMap not found",
    )


@pytest.mark.parametrize(
    ("scenario", "host", "state", "phase", "removed"),
    [
        (
            "a report with no inspection running is stale",
            provisioning_host(annotations={Annotation.INSPECTION_RESULT_REF: "x"}),
            HostState.IN_USE,
            None,
            (Annotation.INSPECTION_RESULT_REF,),
        ),
        (
            "inspect-complete is acknowledged",
            provisioning_host(
                "Inspecting",
                phase="Complete",
                started=STARTED,
                report=True,
                annotations={Annotation.INSPECTION_REQUEST: "inspect-complete"},
            ),
            HostState.INSPECTING,
            InspectionPhase.COMPLETE,
            (Annotation.INSPECTION_REQUEST,),
        ),
        (
            "provisioned",
            provisioning_host(
                "Inspecting",
                phase="Complete",
                started=STARTED,
                report=True,
                annotations={Annotation.PROVISIONED_REQUEST: "2026-11-22T09:00:00Z"},
            ),
            HostState.READY,
            InspectionPhase.COMPLETE,
            (Annotation.PROVISIONED_REQUEST,),
        ),
        (
            "provision failed",
            provisioning_host(
                "Inspecting",
                phase="Complete",
                started=STARTED,
                report=True,
                annotations={Annotation.PROVISION_FAILED_REQUEST: "disk not found"},
            ),
            HostState.ERROR,
            InspectionPhase.FAILED,
            (Annotation.PROVISION_FAILED_REQUEST,),
        ),
        (
            "timeout",
            provisioning_host(
                "Inspecting",
                phase="InProgress",
                started=STARTED,
                annotations={Annotation.INSPECTION_REQUEST: "timeout"},
            ),
            HostState.ERROR,
            InspectionPhase.TIMEOUT,
            (Annotation.INSPECTION_REQUEST,),
        ),
        (
            "a provision-failed on a Ready host does nothing but is consumed",
            provisioning_host(
                "Ready",
                phase="Complete",
                started=STARTED,
                report=True,
                annotations={Annotation.PROVISION_FAILED_REQUEST: "forged or late"},
            ),
            HostState.READY,
            InspectionPhase.COMPLETE,
            (Annotation.PROVISION_FAILED_REQUEST,),
        ),
        (
            "provisioned and a failure in one look: provisioned wins",
            provisioning_host(
                "Inspecting",
                phase="Complete",
                started=STARTED,
                report=True,
                annotations={
                    Annotation.PROVISIONED_REQUEST: "2026-11-22T09:00:00Z",
                    Annotation.PROVISION_FAILED_REQUEST: "late",
                },
            ),
            HostState.READY,
            InspectionPhase.COMPLETE,
            (Annotation.PROVISIONED_REQUEST, Annotation.PROVISION_FAILED_REQUEST),
        ),
        (
            "a ready host stays ready when its BMC comes back",
            provisioning_host("Ready", phase="Complete", started=STARTED, report=True),
            HostState.READY,
            InspectionPhase.COMPLETE,
            (),
        ),
        (
            "a failed host stays in error when its BMC answers",
            provisioning_host("Error", phase="Failed", started=STARTED),
            HostState.ERROR,
            InspectionPhase.FAILED,
            (),
        ),
    ],
)
def test_requests_of_a_claimed_host(
    scenario: str,
    host: PhysicalHost,
    state: HostState,
    phase: InspectionPhase | None,
    removed: tuple[str, ...],
) -> None:
    decision = decide(host, inputs(plan=plan(host)))
    assert (decision.status.state, decision.status.inspection_phase) == (state, phase), scenario
    assert decision.remove == removed, scenario


def test_provision_failure_and_timeout_say_why_and_keep_saying_it() -> None:
    failed = provisioning_host(
        "Inspecting",
        phase="Complete",
        started=STARTED,
        annotations={Annotation.PROVISION_FAILED_REQUEST: "no disk matched"},
    )
    status = decide(failed, inputs()).status
    assert status.error_message == "inspector reported deploy failure: no disk matched"
    failed.status, failed.metadata.annotations = status, {}
    again = decide(failed, inputs(now=NOW + timedelta(minutes=5))).status  # healthy BMC look
    assert again.error_message == status.error_message and again.state == HostState.ERROR

    timed_out = provisioning_host(
        "Inspecting",
        phase="Booting",
        started=STARTED,
        annotations={Annotation.INSPECTION_REQUEST: "timeout"},
    )
    status = decide(timed_out, inputs()).status
    cond = get_condition(status.conditions, HOST_INSPECTED)
    assert cond is not None and cond.reason == INSPECTION_TIMEOUT
    assert status.error_message


STALE: dict[str, str] = {
    Annotation.BOOTSTRAP_TOKEN: token(STARTED),
    Annotation.INSPECTION_REQUEST: InspectionRequest.INSPECT,
    Annotation.FORCE_RELEASE: "true",
}


@pytest.mark.parametrize(
    ("scenario", "host", "seen", "state"),
    [
        (
            "released while inspecting",
            provisioning_host(
                "Inspecting", claimed=False, phase="InProgress", started=STARTED, annotations=STALE
            ),
            SEEN,
            HostState.AVAILABLE,
        ),
        (
            "released when ready",
            provisioning_host(
                "Ready", claimed=False, phase="Complete", started=STARTED, report=True
            ),
            SEEN,
            HostState.AVAILABLE,
        ),
        (
            "released after a timeout",
            provisioning_host("Error", claimed=False, phase="Timeout", started=STARTED),
            SEEN,
            HostState.AVAILABLE,
        ),
        (
            "stale fields on an available host (upstream #155)",
            provisioning_host("Available", claimed=False, phase="Booting", started=STARTED),
            SEEN,
            HostState.AVAILABLE,
        ),
        (
            "released while its BMC is unreachable",
            provisioning_host(
                "Inspecting", claimed=False, phase="Booting", started=STARTED, annotations=STALE
            ),
            DOWN,
            HostState.ERROR,  # force-released (STALE): no power-off to wait for
        ),
    ],
)
def test_a_host_without_consumer_keeps_nothing_of_the_last_one_but_its_inventory(
    scenario: str, host: PhysicalHost, seen: Observation, state: HostState
) -> None:
    host.status.error_message = "inspector reported deploy failure: old"
    planned = plan(host)
    ran = () if seen.failure else tuple(ActionResult(a) for a in planned.actions)
    decision = decide(host, inputs(seen=seen, plan=planned, results=ran))
    status = decision.status
    assert status.state == state, scenario
    assert (status.inspection_phase, status.inspection_timestamp) == (None, None)
    assert status.inspection_report == host.status.inspection_report, "the inventory stays"
    assert get_condition(status.conditions, HOST_INSPECTED) is None
    assert set(decision.remove) == set(host.metadata.annotations), scenario
    expected_message = seen.failure.message if seen.failure else None
    assert status.error_message == expected_message


def test_safe_release_a_failed_power_off_holds_the_host_out_of_available_and_retries() -> None:
    host = provisioning_host("Inspecting", claimed=False, phase="Booting", started=STARTED)
    results = (
        ActionResult(RedfishAction.CLEAR_BOOT_OVERRIDE),
        ActionResult(RedfishAction.POWER_OFF, Failure(POWER_OFF_FAILED, "BMC said no")),
    )
    decision = decide(host, inputs(plan=plan(host), results=results))
    assert decision.status.state == HostState.RELEASING
    assert decision.retry, "retried with the work queue's backoff"
    assert (WARNING, POWER_OFF_FAILED, "BMC said no") in [
        (n.type, n.reason, n.message) for n in decision.notes
    ]

    releasing = host.model_copy(update={"status": decision.status})
    assert plan(releasing).actions == RELEASE_ACTIONS, "the power-off is tried again"
    again = decide(releasing, inputs(plan=plan(releasing), results=results))
    assert again.status.state == HostState.RELEASING
    done = tuple(ActionResult(a) for a in RELEASE_ACTIONS)
    off = decide(releasing, inputs(plan=plan(releasing), results=done))
    assert off.status.state == HostState.AVAILABLE and not off.retry
    assert plan(releasing.model_copy(update={"status": off.status})).actions == ()


def test_a_bmc_failure_does_not_interrupt_an_inspection() -> None:
    host = provisioning_host("Inspecting", phase="InProgress", started=STARTED)
    status = decide(host, inputs(seen=DOWN)).status
    assert (status.state, status.inspection_phase) == (HostState.INSPECTING, "InProgress")
    assert status.ready is False and status.error_message == DOWN.failure.message  # type: ignore[union-attr]
