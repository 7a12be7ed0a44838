"""The PhysicalHost reconciler's side of the provisioning protocol, against a scripted Redfish
BMC (it can refuse PXE or power-on, answers at once and records every write) and a BMC that is
not there. The consumer and the callback server are played by writing what they would write."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from beskar7.api.capi import CLUSTER_NAME_LABEL
from beskar7.api.errors import ConflictError, NotFoundError
from beskar7.api.kinds import CLUSTER, CONFIG_MAP, PHYSICAL_HOST, SECRET, Kind, Obj
from beskar7.api.protocol import (
    INSPECTION_RESULT_CONFIGMAP_SUFFIX,
    REPORT_KEY,
    Annotation,
    InspectionRequest,
    Label,
)
from beskar7.api.validation import validate
from beskar7.controllers.shell import BACK_OFF
from beskar7.runtime.controller import Request
from beskar7.runtime.informer import Informer
from beskar7.store.embedded.store import EmbeddedStore
from beskar7_testing.redfish_stub import RedfishStub
from tests.fixtures.hosts import NAMESPACE, HostLab, physical_host
from tests.fixtures.machines import CLUSTER_NAME, GOLDEN_REPORT, cluster_obj
from tests.fixtures.redfish import BMC_PASSWORD, BMC_USERNAME

CONSUMER = {
    "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
    "kind": "Beskar7Machine",
    "name": "m0",
    "namespace": NAMESPACE,
}
INSPECT: dict[str, str] = {Annotation.INSPECTION_REQUEST: InspectionRequest.INSPECT}


def conditions(status: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {c["type"]: (c["status"], c.get("reason")) for c in status.get("conditions", [])}


def writes(stub: RedfishStub) -> list[tuple[str, Any]]:
    return [(r.method, r.body) for r in stub.writes()]


def sample(lab: HostLab, name: str, **labels: str) -> float:
    return lab.metrics.registry.get_sample_value(name, labels) or 0.0


async def claimed(lab: HostLab, name: str, address: str) -> None:
    """A host with a consumer, enrolled: InUse."""
    await lab.put_secret("bmc", BMC_USERNAME, BMC_PASSWORD)
    await lab.store.create(physical_host(name, address, consumerRef=CONSUMER))
    await lab.settle(name)
    assert (await lab.status(name))["state"] == "InUse"


async def set_spec(lab: HostLab, name: str, spec: Obj) -> None:
    await lab.store.patch(PHYSICAL_HOST, NAMESPACE, name, {"spec": spec})


async def put_report(lab: HostLab, host: str) -> None:
    name = host + INSPECTION_RESULT_CONFIGMAP_SUFFIX
    await lab.store.create(
        {
            "apiVersion": CONFIG_MAP.api_version,
            "kind": CONFIG_MAP.kind,
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": {Label.HOST: host}},
            "data": {REPORT_KEY: json.dumps(GOLDEN_REPORT)},
        }
    )
    await lab.annotate(host, {Annotation.INSPECTION_RESULT_REF: name})


async def test_inspect_clears_the_override_sets_pxe_once_and_powers_on(
    host_lab: HostLab, redfish_stub: RedfishStub
) -> None:
    await claimed(host_lab, "h", redfish_stub.url)
    await host_lab.annotate("h", INSPECT)

    await host_lab.settle("h")

    host = await host_lab.host("h")
    assert (host["status"]["state"], host["status"]["inspectionPhase"]) == ("Inspecting", "Booting")
    assert "inspectionTimestamp" in host["status"]
    assert not host["metadata"].get("annotations")
    boot = [body["Boot"] for method, body in writes(redfish_stub) if method == "PATCH"]
    assert boot[0] == {"BootSourceOverrideEnabled": "Disabled", "BootSourceOverrideTarget": "None"}
    assert boot[1]["BootSourceOverrideTarget"] == "Pxe"
    assert boot[1]["BootSourceOverrideEnabled"] == "Once"
    assert writes(redfish_stub)[-1] == ("POST", {"ResetType": "On"})
    assert sample(host_lab, "beskar7_controller_physicalhost_power_operations_total",
                  operation="PowerOn", outcome="success", namespace=NAMESPACE) == 1  # fmt: skip


async def test_inspect_of_a_running_host_force_restarts_it(
    host_lab: HostLab, redfish_stub: RedfishStub
) -> None:
    redfish_stub.system.power_state = "On"
    await claimed(host_lab, "h", redfish_stub.url)
    await host_lab.annotate("h", INSPECT)
    await host_lab.settle("h")
    assert writes(redfish_stub)[-1] == ("POST", {"ResetType": "ForceRestart"})


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ({"boot_targets": ["None", "Hdd"]}, "SetBootPXEFailed"),
        ({"reset_types": ["ForceOff"]}, "PowerOnFailed"),
    ],
    ids=["no-pxe", "no-power-on"],
)
async def test_a_refused_boot_action_keeps_the_request_and_backs_off(
    host_lab: HostLab, redfish_stub: RedfishStub, broken: dict[str, list[str]], reason: str
) -> None:
    await claimed(host_lab, "h", redfish_stub.url)
    good = {key: getattr(redfish_stub.system, key) for key in broken}
    for key, value in broken.items():
        setattr(redfish_stub.system, key, value)
    await host_lab.annotate("h", INSPECT)

    result = await host_lab.settle("h")

    host = await host_lab.host("h")
    assert result == BACK_OFF  # the work queue's backoff
    assert host["metadata"]["annotations"] == INSPECT
    assert host["status"]["state"] == "InUse"
    assert conditions(host["status"])["HostInspected"] == ("False", reason)
    assert reason in [e["reason"] for e in await host_lab.events("h") if e["type"] == "Warning"]

    for key, value in good.items():
        setattr(redfish_stub.system, key, value)
    await host_lab.settle("h")
    status = await host_lab.status("h")
    assert (status["state"], status["inspectionPhase"]) == ("Inspecting", "Booting")
    assert "HostInspected" not in conditions(status)


async def test_reports_and_results_are_applied_while_the_bmc_is_unreachable(
    host_lab: HostLab, redfish_stub: RedfishStub, refused_bmc_url: str
) -> None:
    await claimed(host_lab, "h", redfish_stub.url)
    await host_lab.annotate("h", INSPECT)
    await host_lab.settle("h")
    await set_spec(host_lab, "h", {"redfishConnection": {"address": refused_bmc_url}})

    await put_report(host_lab, "h")
    await host_lab.settle("h")
    status = (await host_lab.host("h"))["status"]
    assert (status["state"], status["inspectionPhase"]) == ("Inspecting", "Complete")
    assert status["inspectionReport"]["serialNumber"] == "R650-0042"
    assert conditions(status)["RedfishConnectionReady"] == ("False", "RedfishConnectionFailed")
    assert conditions(status)["HostInspected"] == ("True", None)

    await host_lab.annotate("h", {Annotation.PROVISIONED_REQUEST: "2026-11-22T09:00:00Z"})
    await host_lab.settle("h")
    host = await host_lab.host("h")
    assert host["status"]["state"] == "Ready"
    assert not host["metadata"].get("annotations")


async def test_release_powers_off_and_clears_every_trace_of_the_consumer(
    host_lab: HostLab, redfish_stub: RedfishStub
) -> None:
    await claimed(host_lab, "h", redfish_stub.url)
    await host_lab.annotate("h", INSPECT)
    await host_lab.settle("h")
    await host_lab.annotate("h", {Annotation.BOOTSTRAP_TOKEN: '{"hash": "x"}'})
    redfish_stub.system.power_state = "On"
    before = len(writes(redfish_stub))

    await set_spec(host_lab, "h", {"consumerRef": None})
    await host_lab.settle("h")

    host = await host_lab.host("h")
    assert host["status"]["state"] == "Available"
    assert not {"inspectionPhase", "inspectionTimestamp"} & host["status"].keys()
    assert not host["metadata"].get("annotations")
    done = writes(redfish_stub)[before:]
    assert done[0][1]["Boot"]["BootSourceOverrideTarget"] == "None"
    assert done[1] == ("POST", {"ResetType": "ForceOff"})
    assert sample(host_lab, "beskar7_controller_physicalhost_power_operations_total",
                  operation="PowerOff", outcome="success", namespace=NAMESPACE) == 1  # fmt: skip
    assert "Released" in [e["reason"] for e in await host_lab.events("h")]


async def test_a_free_host_with_stale_inspection_fields_is_cleaned_up(
    host_lab: HostLab, redfish_stub: RedfishStub
) -> None:
    await host_lab.put_secret("bmc", BMC_USERNAME, BMC_PASSWORD)
    await host_lab.store.create(physical_host("h", redfish_stub.url))
    await host_lab.settle("h")
    stale = {"inspectionPhase": "Booting", "inspectionTimestamp": "2026-01-01T00:00:00Z"}
    await host_lab.store.patch_status(PHYSICAL_HOST, NAMESPACE, "h", {"status": stale})

    await host_lab.settle("h")

    status = await host_lab.status("h")
    assert status["state"] == "Available"
    assert not stale.keys() & status.keys()  # a re-claim must not time out at once (#155)


async def test_safe_release_while_the_bmc_is_gone_the_host_stays_releasing(
    host_lab: HostLab, redfish_stub: RedfishStub, refused_bmc_url: str
) -> None:
    await claimed(host_lab, "h", redfish_stub.url)
    await host_lab.annotate("h", INSPECT)
    await host_lab.settle("h")
    await set_spec(
        host_lab, "h", {"consumerRef": None, "redfishConnection": {"address": refused_bmc_url}}
    )

    await host_lab.settle("h")

    status = await host_lab.status("h")
    assert status["state"] == "Releasing"  # never Available (claimable) while maybe running
    assert not {"inspectionPhase", "inspectionTimestamp"} & status.keys()

    await set_spec(host_lab, "h", {"redfishConnection": {"address": redfish_stub.url}})
    redfish_stub.system.power_state = "On"
    await host_lab.settle("h")
    assert (await host_lab.status("h"))["state"] == "Available"
    assert ("POST", {"ResetType": "ForceOff"}) in writes(redfish_stub)


class ConflictOnAnnotations(EmbeddedStore):
    """A store where, once armed, the next annotation patch meets a concurrent writer."""

    armed = False

    async def patch(self, kind: Kind, namespace: str, name: str, patch: Obj) -> Obj:
        if self.armed and "annotations" in patch.get("metadata", {}):
            self.armed = False
            raise ConflictError("someone wrote first")
        return await super().patch(kind, namespace, name, patch)


async def test_an_annotation_whose_removal_conflicts_is_not_applied_twice(
    tmp_path: Path, redfish_stub: RedfishStub
) -> None:
    store = ConflictOnAnnotations(tmp_path / "b.db", validate=validate)
    async with store:
        lab = HostLab(store)
        await claimed(lab, "h", redfish_stub.url)
        await lab.annotate("h", INSPECT)
        store.armed = True

        first = await lab.reconciler.reconcile(Request(NAMESPACE, "h"))
        assert first.requeue_after == 1.0
        host = await lab.host("h")
        assert host["status"]["inspectionPhase"] == "Booting"
        assert host["metadata"]["annotations"] == INSPECT  # status written, removal lost
        count = len(writes(redfish_stub))

        await lab.settle("h")
        assert not (await lab.host("h"))["metadata"].get("annotations")
        assert len(writes(redfish_stub)) == count  # no second power-on


@pytest.mark.parametrize("read_from", ["store", "cache"])
async def test_paused_cluster_a_claimed_hosts_cluster_paused_leaves_it_alone(
    host_lab: HostLab, redfish_stub: RedfishStub, read_from: str
) -> None:
    """clusterctl move pauses the Cluster: the hosts its machines hold are not touched."""
    await host_lab.store.create(cluster_obj(paused=True))
    clusters = Informer(host_lab.store, CLUSTER)
    if read_from == "cache":
        clusters.start()
        assert await clusters.wait_synced(5.0)
        host_lab.reconciler.clusters = clusters
    await claimed(host_lab, "h", redfish_stub.url)
    labels = {CLUSTER_NAME_LABEL: CLUSTER_NAME}
    await host_lab.store.patch(PHYSICAL_HOST, NAMESPACE, "h", {"metadata": {"labels": labels}})
    await host_lab.annotate("h", INSPECT)
    before = len(writes(redfish_stub))

    await host_lab.settle("h")

    host = await host_lab.host("h")
    assert host["metadata"]["annotations"] == INSPECT, "the request waits"
    assert conditions(host["status"])["Paused"] == ("True", "Paused")
    assert len(writes(redfish_stub)) == before, "no Redfish action while paused"

    await host_lab.store.patch(CLUSTER, NAMESPACE, CLUSTER_NAME, {"spec": {"paused": False}})
    if read_from == "cache":
        for _ in range(50):  # the informer's watch brings the change
            if not (clusters.get(NAMESPACE, CLUSTER_NAME) or {})["spec"].get("paused"):
                break
            await asyncio.sleep(0.1)
    await host_lab.settle("h")
    await clusters.stop()
    status = await host_lab.status("h")
    assert status["state"] == "Inspecting"
    assert conditions(status)["Paused"] == ("False", "NotPaused")


async def test_safe_release_deleting_a_claimed_host_waits_for_its_machine_to_let_go(
    host_lab: HostLab, redfish_stub: RedfishStub
) -> None:
    await claimed(host_lab, "h", redfish_stub.url)
    redfish_stub.system.power_state = "On"
    await host_lab.store.delete(PHYSICAL_HOST, NAMESPACE, "h")

    await host_lab.settle("h")

    host = await host_lab.host("h")
    assert host["metadata"]["finalizers"], "held while claimed"
    assert ("POST", {"ResetType": "ForceOff"}) not in writes(redfish_stub), "the node keeps running"
    reasons = [e["reason"] for e in await host_lab.events("h")]
    assert "DeletedWhileClaimed" in reasons

    await set_spec(host_lab, "h", {"consumerRef": None})
    await host_lab.settle("h")
    with pytest.raises(NotFoundError):
        await host_lab.host("h")
    assert ("POST", {"ResetType": "ForceOff"}) in writes(redfish_stub)


async def test_clusterctl_move_rule_bmc_secrets_carry_the_move_label(
    host_lab: HostLab, redfish_stub: RedfishStub
) -> None:
    """clusterctl provider contract: a Secret no Cluster owns moves only when labelled."""
    await claimed(host_lab, "h", redfish_stub.url)
    secret = await host_lab.store.get(SECRET, NAMESPACE, "bmc")
    assert secret["metadata"]["labels"] == {"clusterctl.cluster.x-k8s.io/move": ""}
