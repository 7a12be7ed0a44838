"""The Beskar7Machine decision core, table-driven: machine, host and bootstrap data in, the one
action and the next status out."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from beskar7.api.capi import ZONE_LABEL
from beskar7.api.machine import (
    BOOTSTRAP_DATA_READY,
    DEPLOYMENT_FAILED,
    DEPLOYMENT_TIMED_OUT,
    HARDWARE_REQUIREMENTS_NOT_MET,
    INFRASTRUCTURE_READY,
    INSPECTION_TIMED_OUT,
    NO_HOST_IN_FAILURE_DOMAIN,
    PHYSICAL_HOST_ASSOCIATED,
    PHYSICAL_HOST_ASSOCIATION_FAILED,
    PHYSICAL_HOST_ERROR,
    WAITING_FOR_BOOTSTRAP_DATA,
    WAITING_FOR_CLUSTER_INFRASTRUCTURE,
    WAITING_FOR_PHYSICAL_HOST,
    Beskar7Machine,
    MachinePhase,
)
from beskar7.api.meta import (
    READY_CONDITION,
    AddressType,
    ConditionSeverity,
    ConditionStatus,
    MachineAddress,
    get_condition,
)
from beskar7.api.physicalhost import PhysicalHost
from beskar7.api.protocol import Annotation, InspectionRequest
from beskar7.controllers.machine.core import (
    OVERDUE_REQUEUE,
    WAIT_REQUEUE,
    Action,
    Bootstrap,
    MachineFacts,
    Step,
    decide,
    is_terminal,
)
from beskar7.controllers.machine.hosts import Skip, addresses_of
from tests.fixtures.machines import GOLDEN_REPORT

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TIMEOUT = 600.0
DEPLOY = 1200.0
FITS = {"minCPUCores": 64, "minMemoryGB": 136, "minDiskGB": 1920}
TOO_BIG = {"minCPUCores": 64, "minMemoryGB": 256}


def a_machine(
    phase: str | None = None,
    *,
    requirements: dict[str, int] | None = None,
    provider_id: str | None = None,
    failure: str | None = None,
) -> Beskar7Machine:
    spec: dict[str, Any] = {"inspectionImage": "http://b/i", "targetOSImage": "http://b/os"}
    if requirements:
        spec["hardwareRequirements"] = requirements
    if provider_id:
        spec["providerID"] = provider_id
    status: dict[str, Any] = {"phase": phase} if phase else {}
    if failure:
        status.update(failureReason=failure, failureMessage="it broke")
    meta = {"name": "m0", "namespace": "lab", "uid": "u-m0"}
    return Beskar7Machine.model_validate({"metadata": meta, "spec": spec, "status": status})


def a_host(
    state: str | None = "InUse",
    phase: str | None = None,
    *,
    started: datetime | None = None,
    report: bool = False,
    reported: datetime | None = None,
    request: str | None = None,
    error: str | None = None,
    claimed: bool = True,
) -> PhysicalHost:
    status: dict[str, Any] = {"state": state, "inspectionPhase": phase, "errorMessage": error}
    if started:
        status["inspectionTimestamp"] = started.isoformat()
    if report or reported:
        status["inspectionReport"] = dict(GOLDEN_REPORT)
    if reported:
        status["inspectionReport"]["timestamp"] = reported.isoformat()
    status["addresses"] = [{"type": "InternalIP", "address": "10.0.0.21"}]
    spec: dict[str, Any] = {
        "redfishConnection": {"address": "https://bmc", "credentialsSecretRef": "c"}
    }
    if claimed:
        spec["consumerRef"] = {"kind": "Beskar7Machine", "name": "m0", "namespace": "lab"}
    annotations = {Annotation.INSPECTION_REQUEST: request} if request else {}
    meta = {"name": "h0", "namespace": "lab", "annotations": annotations}
    return PhysicalHost.model_validate(
        {"metadata": meta, "spec": spec, "status": {k: v for k, v in status.items() if v}}
    )


@dataclass
class Case:
    scenario: str
    machine: Beskar7Machine = field(default_factory=a_machine)
    host: PhysicalHost | None = None
    candidate: PhysicalHost | None = None
    bootstrap: Bootstrap = Bootstrap.READY
    now: datetime = NOW
    deployment_timeout: float = DEPLOY
    # expected
    phase: MachinePhase | None = None
    action: Action | None = None
    infra_reason: str | None = None
    failure: str | None = None

    def run(self) -> Step:
        facts = MachineFacts(
            self.machine,
            self.bootstrap,
            self.now,
            host=self.host,
            candidate=self.candidate,
            inspection_timeout=TIMEOUT,
            deployment_timeout=self.deployment_timeout,
        )
        return decide(facts)


def deploying(seconds: float, state: str = "Inspecting", **kw: Any) -> PhysicalHost:
    """A host that received its inspection report `seconds` ago."""
    return a_host(state, "Complete", started=NOW, reported=NOW - timedelta(seconds=seconds), **kw)


DEPLOYMENT_CASES = [
    Case(
        "deploying before the deadline",
        machine=a_machine("Provisioning"),
        host=deploying(DEPLOY - 1),
        phase=MachinePhase.PROVISIONING,
    ),
    Case(
        "deploying at the deadline",
        machine=a_machine("Provisioning"),
        host=deploying(DEPLOY),
        phase=MachinePhase.FAILED,
        action=Action.RELEASE,
        failure=DEPLOYMENT_TIMED_OUT,
        infra_reason=DEPLOYMENT_TIMED_OUT,
    ),
    Case(
        "deploying past the deadline",
        machine=a_machine("Provisioning", requirements=FITS),
        host=deploying(DEPLOY + 3600),
        phase=MachinePhase.FAILED,
        action=Action.RELEASE,
        failure=DEPLOYMENT_TIMED_OUT,
    ),
    Case(
        "past the deadline, inspect-complete not yet applied: release later",
        machine=a_machine("Provisioning"),
        host=deploying(DEPLOY + 1, request=InspectionRequest.INSPECT_COMPLETE),
        phase=MachinePhase.FAILED,
        failure=DEPLOYMENT_TIMED_OUT,
    ),
    Case(
        "past the deadline with the host's BMC in error",
        machine=a_machine("Provisioning"),
        host=deploying(DEPLOY + 1, "Error", error="BMC down"),
        phase=MachinePhase.FAILED,
        action=Action.RELEASE,
        failure=DEPLOYMENT_TIMED_OUT,
    ),
    Case(
        "a shorter deployment timeout",
        machine=a_machine("Provisioning"),
        host=deploying(61),
        deployment_timeout=60.0,
        phase=MachinePhase.FAILED,
        action=Action.RELEASE,
        failure=DEPLOYMENT_TIMED_OUT,
    ),
    Case(
        "Ready just at the deadline: provisioned",
        machine=a_machine("Provisioning"),
        host=deploying(DEPLOY, "Ready"),
        phase=MachinePhase.PROVISIONED,
        action=Action.SET_PROVIDER_ID,
    ),
    Case(
        "only in Provisioning: an old report is still judged",
        machine=a_machine("Inspecting", requirements=FITS),
        host=deploying(DEPLOY * 3),
        phase=MachinePhase.PROVISIONING,
        action=Action.REQUEST_INSPECT_COMPLETE,
    ),
    Case(
        "only in Provisioning: not while Validating",
        machine=a_machine("Validating"),
        host=deploying(DEPLOY + 1),
        phase=MachinePhase.PROVISIONING,
        action=Action.REQUEST_INSPECT_COMPLETE,
    ),
    Case(
        "a report without a timestamp cannot time out",
        machine=a_machine("Provisioning"),
        host=a_host("Inspecting", "Complete", started=NOW - timedelta(days=9), report=True),
        deployment_timeout=0.0,
        phase=MachinePhase.PROVISIONING,
    ),
    Case(
        "a Provisioned machine never times out",
        machine=a_machine("Provisioned", provider_id="b7://lab/h0"),
        host=deploying(DEPLOY * 10, "Ready"),
        phase=MachinePhase.PROVISIONED,
    ),
    Case(
        "a Provisioned machine never times out, even with its host in error",
        machine=a_machine("Provisioned", provider_id="b7://lab/h0"),
        host=deploying(DEPLOY * 10, "Error", error="BMC down"),
        phase=MachinePhase.PROVISIONED,
    ),
    Case(
        "a deployment timeout stays: release",
        machine=a_machine("Failed", failure=DEPLOYMENT_TIMED_OUT),
        host=deploying(DEPLOY * 2),
        phase=MachinePhase.FAILED,
        action=Action.RELEASE,
        failure=DEPLOYMENT_TIMED_OUT,
    ),
    Case(
        "Failed stays Failed past the deadline",
        machine=a_machine("Failed", failure=HARDWARE_REQUIREMENTS_NOT_MET),
        host=deploying(DEPLOY * 2, request=InspectionRequest.INSPECT_COMPLETE),
        phase=MachinePhase.FAILED,
        failure=HARDWARE_REQUIREMENTS_NOT_MET,
    ),
]

CASES = [
    Case(
        "no dataSecretName yet",
        bootstrap=Bootstrap.NO_SECRET_NAME,
        candidate=a_host("Available", claimed=False),
        phase=MachinePhase.PENDING,
        infra_reason=WAITING_FOR_BOOTSTRAP_DATA,
    ),
    Case(
        "bootstrap Secret missing",
        bootstrap=Bootstrap.SECRET_MISSING,
        phase=MachinePhase.PENDING,
        infra_reason=WAITING_FOR_BOOTSTRAP_DATA,
    ),
    Case("no host to claim", phase=MachinePhase.PENDING, infra_reason=WAITING_FOR_PHYSICAL_HOST),
    Case(
        "an Available host is claimed",
        candidate=a_host("Available", claimed=False),
        phase=MachinePhase.CLAIMING,
        action=Action.CLAIM,
    ),
    Case(
        "the host has not accepted the claim yet",
        host=a_host("Available"),
        phase=MachinePhase.CLAIMING,
    ),
    Case(
        "host InUse: ask for an inspection",
        host=a_host("InUse"),
        phase=MachinePhase.INSPECTING,
        action=Action.REQUEST_INSPECT,
    ),
    Case(
        "inspection asked, not yet applied",
        host=a_host("InUse", request=InspectionRequest.INSPECT),
        phase=MachinePhase.INSPECTING,
    ),
    Case(
        "host held but bootstrap data gone",
        host=a_host("InUse"),
        bootstrap=Bootstrap.SECRET_MISSING,
        phase=MachinePhase.CLAIMING,
        infra_reason=WAITING_FOR_BOOTSTRAP_DATA,
    ),
    Case(
        "booting within the timeout",
        machine=a_machine("Inspecting"),
        host=a_host("Inspecting", "Booting", started=NOW - timedelta(seconds=590)),
        phase=MachinePhase.INSPECTING,
    ),
    Case(
        "booting past the timeout",
        machine=a_machine("Inspecting"),
        host=a_host("Inspecting", "InProgress", started=NOW - timedelta(seconds=600)),
        phase=MachinePhase.FAILED,
        action=Action.REQUEST_TIMEOUT,
        failure=INSPECTION_TIMED_OUT,
    ),
    Case(
        "report meets the requirements",
        machine=a_machine("Inspecting", requirements=FITS),
        host=a_host("Inspecting", "Complete", started=NOW, report=True),
        phase=MachinePhase.PROVISIONING,
        action=Action.REQUEST_INSPECT_COMPLETE,
    ),
    Case(
        "provisioning: wait for the OS",
        machine=a_machine("Provisioning", requirements=FITS),
        host=a_host("Inspecting", "Complete", started=NOW - timedelta(hours=2), report=True),
        phase=MachinePhase.PROVISIONING,
    ),
    Case(
        "report short of the requirements",
        machine=a_machine("Inspecting", requirements=TOO_BIG),
        host=a_host("Inspecting", "Complete", started=NOW, report=True),
        phase=MachinePhase.FAILED,
        action=Action.RELEASE,
        failure=HARDWARE_REQUIREMENTS_NOT_MET,
    ),
    Case(
        "complete without a report",
        machine=a_machine("Inspecting"),
        host=a_host("Inspecting", "Complete", started=NOW),
        phase=MachinePhase.VALIDATING,
    ),
    Case(
        "host Ready: provisioned",
        machine=a_machine("Provisioning"),
        host=a_host("Ready", "Complete", started=NOW, report=True),
        phase=MachinePhase.PROVISIONED,
        action=Action.SET_PROVIDER_ID,
    ),
    Case(
        "providerID already set",
        machine=a_machine("Provisioned", provider_id="b7://lab/h0"),
        host=a_host("Ready", "Complete", started=NOW, report=True),
        phase=MachinePhase.PROVISIONED,
    ),
    Case(
        "provisioned stays provisioned when the host's BMC fails",
        machine=a_machine("Provisioned", provider_id="b7://lab/h0"),
        host=a_host("Error", error="BMC down"),
        phase=MachinePhase.PROVISIONED,
    ),
    Case(
        "deployment failed",
        machine=a_machine("Provisioning"),
        host=a_host("Error", "Failed", started=NOW, error="inspector reported deploy failure: x"),
        phase=MachinePhase.FAILED,
        action=Action.RELEASE,
        failure=DEPLOYMENT_FAILED,
    ),
    Case(
        "timeout acknowledged by the host: release",
        machine=a_machine("Failed", failure=INSPECTION_TIMED_OUT),
        host=a_host("Error", "Timeout", started=NOW),
        phase=MachinePhase.FAILED,
        action=Action.RELEASE,
        failure=INSPECTION_TIMED_OUT,
    ),
    Case(
        "timeout not yet acknowledged: wait",
        machine=a_machine("Failed", failure=INSPECTION_TIMED_OUT),
        host=a_host("Inspecting", "Booting", started=NOW, request=InspectionRequest.TIMEOUT),
        phase=MachinePhase.FAILED,
        failure=INSPECTION_TIMED_OUT,
    ),
    Case(
        "failed and released: nothing left to do",
        machine=a_machine("Failed", failure=HARDWARE_REQUIREMENTS_NOT_MET),
        candidate=a_host("Available", claimed=False),
        phase=MachinePhase.FAILED,
        failure=HARDWARE_REQUIREMENTS_NOT_MET,
    ),
    Case(
        "a failure is never cleared",
        machine=a_machine("Failed", failure=DEPLOYMENT_FAILED),
        host=a_host("Ready", "Complete", started=NOW, report=True),
        phase=MachinePhase.FAILED,
        action=Action.RELEASE,
        failure=DEPLOYMENT_FAILED,
    ),
    *DEPLOYMENT_CASES,
    Case(
        "host BMC in error before the inspection",
        machine=a_machine("Inspecting"),
        host=a_host("Error", request=InspectionRequest.INSPECT, error="BMC refused"),
        phase=MachinePhase.INSPECTING,
        infra_reason=PHYSICAL_HOST_ERROR,
    ),
    Case(
        "providerID names a host that is gone",
        machine=a_machine(provider_id="b7://lab/h9"),
        infra_reason=PHYSICAL_HOST_ASSOCIATION_FAILED,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.scenario for c in CASES])
def test_decide(case: Case) -> None:
    step = case.run()
    status = step.status
    assert (status.phase, step.action) == (case.phase, case.action)
    assert status.failure_reason == case.failure
    if is_terminal(case.machine.status):
        assert status == case.machine.status  # never cleared, never rewritten
        return
    infra = get_condition(status.conditions, INFRASTRUCTURE_READY)
    assert infra is not None
    if case.infra_reason:
        assert infra.reason == case.infra_reason
    summary = get_condition(status.conditions, READY_CONDITION)
    assert summary is not None and (summary.status, summary.reason) == (infra.status, infra.reason)


def test_provisioned_sets_everything_the_contract_reads() -> None:
    step = Case(
        "ready",
        machine=a_machine("Provisioning"),
        host=a_host("Ready", "Complete", started=NOW, report=True),
    ).run()
    status = step.status
    assert step.provider_id == "b7://lab/h0"
    assert status.ready is True
    assert status.initialization is not None and status.initialization.provisioned is True
    assert [(a.type, a.address) for a in status.addresses] == [("InternalIP", "10.0.0.21")]
    for type_ in (INFRASTRUCTURE_READY, PHYSICAL_HOST_ASSOCIATED, READY_CONDITION):
        cond = get_condition(status.conditions, type_)
        assert cond is not None and cond.status == ConditionStatus.TRUE, type_


def test_a_terminal_failure_is_an_error_condition_naming_what_is_short() -> None:
    step = Case(
        "short",
        machine=a_machine("Inspecting", requirements=TOO_BIG),
        host=a_host("Inspecting", "Complete", started=NOW, report=True),
    ).run()
    status = step.status
    assert status.failure_message is not None
    assert "memory: need at least 256 GB, found 136 GB" in status.failure_message
    infra = get_condition(status.conditions, INFRASTRUCTURE_READY)
    assert infra is not None
    assert (infra.status, infra.severity) == (ConditionStatus.FALSE, ConditionSeverity.ERROR)
    assert infra.message == status.failure_message


def test_waiting_for_a_host_and_for_bootstrap_data_requeues_in_30s() -> None:
    no_host = Case("no host").run()
    associated = get_condition(no_host.status.conditions, PHYSICAL_HOST_ASSOCIATED)
    assert associated is not None and associated.reason == WAITING_FOR_PHYSICAL_HOST
    assert no_host.requeue_after == WAIT_REQUEUE
    no_data = Case("no data", bootstrap=Bootstrap.NO_SECRET_NAME).run()
    bootstrap = get_condition(no_data.status.conditions, BOOTSTRAP_DATA_READY)
    assert bootstrap is not None and bootstrap.reason == WAITING_FOR_BOOTSTRAP_DATA
    assert no_data.requeue_after == WAIT_REQUEUE


def test_an_inspection_is_looked_at_again_when_it_would_time_out() -> None:
    step = Case(
        "booting",
        machine=a_machine("Inspecting"),
        host=a_host("Inspecting", "Booting", started=NOW - timedelta(seconds=595)),
    ).run()
    assert step.requeue_after == pytest.approx(5.0)


def test_an_unchanged_decision_leaves_the_status_as_it_was() -> None:
    case = Case("booting", machine=a_machine("Inspecting"), host=a_host("Inspecting", "Booting"))
    first = case.run().status
    case.machine.status = first
    case.now = NOW + timedelta(seconds=30)
    assert case.run().status == first


def test_a_deployment_timeout_is_an_error_saying_how_long_it_waited() -> None:
    step = Case("late", machine=a_machine("Provisioning"), host=deploying(DEPLOY + 5)).run()
    status = step.status
    assert (status.ready, status.failure_reason) == (False, DEPLOYMENT_TIMED_OUT)
    assert status.failure_message is not None
    assert "PhysicalHost h0 did not become Ready within 1200s" in status.failure_message
    infra = get_condition(status.conditions, INFRASTRUCTURE_READY)
    assert infra is not None
    assert (infra.status, infra.reason, infra.severity) == (
        ConditionStatus.FALSE,
        DEPLOYMENT_TIMED_OUT,
        ConditionSeverity.ERROR,
    )
    assert infra.message == status.failure_message


@pytest.mark.parametrize(
    ("machine", "reported", "requeue"),
    [
        ("Provisioning", 0.0, WAIT_REQUEUE),
        ("Provisioning", DEPLOY - 12.5, 12.5),
        ("Provisioning", DEPLOY - 0.25, 0.25),
        ("Inspecting", 0.0, WAIT_REQUEUE),  # reaching Provisioning: look again in 30 s
        ("Inspecting", DEPLOY - 7, 7.0),
        ("Inspecting", DEPLOY + 60, OVERDUE_REQUEUE),  # late already: look again soon
    ],
)
def test_a_deployment_is_looked_at_again_by_its_deadline(
    machine: str, reported: float, requeue: float
) -> None:
    step = Case("deploying", machine=a_machine(machine), host=deploying(reported)).run()
    assert step.status.phase == MachinePhase.PROVISIONING
    assert step.requeue_after == pytest.approx(requeue)


def test_a_deployment_whose_host_is_in_error_is_looked_at_again_by_its_deadline() -> None:
    host = deploying(DEPLOY - 3, "Error", error="BMC down")
    step = Case("bmc down", machine=a_machine("Provisioning"), host=host).run()
    assert (step.status.phase, step.requeue_after) == (MachinePhase.PROVISIONING, 3.0)


def test_inframachine_rule_no_claim_before_the_clusters_infrastructure_is_provisioned() -> None:
    candidate = a_host("Available", claimed=False)
    waiting = decide(
        MachineFacts(
            a_machine(), Bootstrap.READY, NOW, candidate=candidate, cluster_provisioned=False
        )
    )
    assert waiting.action is None and waiting.status.phase == MachinePhase.PENDING
    cond = get_condition(waiting.status.conditions, PHYSICAL_HOST_ASSOCIATED)
    assert cond is not None and cond.reason == WAITING_FOR_CLUSTER_INFRASTRUCTURE
    claims = decide(MachineFacts(a_machine(), Bootstrap.READY, NOW, candidate=candidate))
    assert claims.action == Action.CLAIM


def test_inframachine_rule_failure_domain_no_host_in_the_zone_waits_with_a_condition() -> None:
    facts = MachineFacts(
        a_machine(), Bootstrap.READY, NOW, failure_domain="rack-b", skipped=((Skip.ZONE, 2),)
    )
    step = decide(facts)
    cond = get_condition(step.status.conditions, PHYSICAL_HOST_ASSOCIATED)
    assert cond is not None and cond.reason == NO_HOST_IN_FAILURE_DOMAIN
    assert "rack-b" in (cond.message or "") and "2 in another failure domain" in (
        cond.message or ""
    )


def test_inframachine_rule_status_failure_domain_is_the_claimed_hosts_zone() -> None:
    candidate = a_host("Available", claimed=False)
    candidate.metadata.labels[ZONE_LABEL] = "rack-b"
    step = decide(MachineFacts(a_machine(), Bootstrap.READY, NOW, candidate=candidate))
    assert step.action == Action.CLAIM and step.status.failure_domain == "rack-b"


def test_inframachine_rule_addresses_from_the_reports_nics_and_the_bmc() -> None:
    host = a_host("Ready", "Complete", report=True)
    host.status.addresses.append(
        MachineAddress(type=AddressType.EXTERNAL_IP, address="198.51.100.4")
    )
    step = decide(MachineFacts(a_machine("Provisioning"), Bootstrap.READY, NOW, host=host))
    assert [(a.type, a.address) for a in step.status.addresses] == [
        ("InternalIP", "10.0.0.21"),  # the report's eno1 (and the BMC's, not repeated)
        ("ExternalIP", "198.51.100.4"),
    ]
    bare = a_host("Ready", "Complete")
    bare.status.addresses = []
    assert addresses_of(bare) == []


def test_clusterctl_move_rule_status_rebuilt_from_the_provider_id_after_a_move() -> None:
    """clusterctl move carries spec, not status, and gives new uids: the machine whose
    providerID names the host still claimed under its old uid renews the claim and is
    Provisioned again; nothing else is asked of the host (no reinstall)."""
    moved = a_machine(provider_id="b7://lab/h0")  # no status at all
    facts = MachineFacts(moved, Bootstrap.READY, NOW, candidate=a_host("InUse"), moved=True)
    step = decide(facts)
    assert step.action == Action.CLAIM
    assert step.status.phase == MachinePhase.PROVISIONED and step.status.ready is True
    pinned = decide(MachineFacts(moved, Bootstrap.READY, NOW, host=a_host("InUse")))
    assert pinned.action == Action.REQUEST_INSPECT, "a host pinned by providerID is provisioned"
