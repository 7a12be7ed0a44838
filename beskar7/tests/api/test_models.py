"""The typed models read realistic manifests and write them back unchanged."""

import copy
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from beskar7.api.capi import Machine, Secret
from beskar7.api.cluster import Beskar7Cluster
from beskar7.api.machine import Beskar7Machine, Beskar7MachineTemplate, MachinePhase, OSFamily
from beskar7.api.meta import AddressType, ConditionStatus, json_name
from beskar7.api.physicalhost import HostState, InspectionPhase, PhysicalHost
from tests.api import manifests


@pytest.mark.parametrize(
    ("model", "text"),
    [
        (PhysicalHost, manifests.PHYSICAL_HOST),
        (Beskar7Machine, manifests.MACHINE),
        (Beskar7Cluster, manifests.CLUSTER),
    ],
)
def test_round_trip_is_lossless(model: type[PhysicalHost], text: str) -> None:
    obj = manifests.load(text)
    assert model.from_obj(obj).to_obj() == obj


def test_typed_access_to_a_physical_host() -> None:
    host = PhysicalHost.from_obj(manifests.load(manifests.PHYSICAL_HOST))
    assert host.spec.redfish_connection.credentials_secret_ref == "server-07-bmc"
    assert host.spec.consumer_ref is not None
    assert host.spec.consumer_ref.name == "workers-7d9f-x2k4"
    assert host.status.state is HostState.INSPECTING
    assert host.status.inspection_phase is InspectionPhase.COMPLETE
    report = host.status.inspection_report
    assert report is not None
    assert sum(c.cores or 0 for c in report.cpus) == 64
    assert report.disks[0].size_gb == 960
    assert report.nics[0].mac_address == "b0:7b:25:aa:10:01"
    assert report.timestamp == datetime(2025, 11, 27, 10, 3, 12, tzinfo=UTC)
    assert host.metadata.creation_timestamp == datetime(2025, 11, 27, 9, 12, 44, tzinfo=UTC)
    assert host.status.addresses[0].type is AddressType.INTERNAL_IP


def test_json_names_follow_upstream_spelling() -> None:
    names = {
        "provider_id": "providerID",
        "min_cpu_cores": "minCPUCores",
        "min_memory_gb": "minMemoryGB",
        "size_gb": "sizeGB",
        "target_os_image": "targetOSImage",
        "configuration_url": "configurationURL",
        "os_family": "osFamily",
        "ip_addresses": "ipAddresses",
        "credentials_secret_ref": "credentialsSecretRef",
    }
    assert {k: json_name(k) for k in names} == names


def test_controller_edits_come_out_as_plain_json() -> None:
    obj = manifests.load(manifests.MACHINE)
    machine = Beskar7Machine.from_obj(obj)
    machine.status.phase = MachinePhase.FAILED
    machine.status.failure_reason = "HardwareRequirementsNotMet"
    machine.status.addresses = []
    machine.metadata.finalizers.append("beskar7machine.infrastructure.cluster.x-k8s.io")
    out = machine.to_obj()
    assert out["status"]["phase"] == "Failed"
    assert out["status"]["failureReason"] == "HardwareRequirementsNotMet"
    assert "addresses" not in out["status"], "empty lists are omitted, like Go's omitempty"
    assert out["metadata"]["finalizers"] == ["beskar7machine.infrastructure.cluster.x-k8s.io"]
    assert obj == manifests.load(manifests.MACHINE), "from_obj must not alias the input"


def test_new_object_gets_api_version_and_kind_and_omits_empty_parts() -> None:
    cluster = Beskar7Cluster.from_obj({"metadata": {"name": "c", "namespace": "ns"}})
    assert cluster.to_obj() == {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
        "kind": "Beskar7Cluster",
        "metadata": {"name": "c", "namespace": "ns"},
    }


def test_unknown_status_and_metadata_fields_survive_a_round_trip() -> None:
    obj = manifests.load(manifests.PHYSICAL_HOST)
    obj["metadata"]["managedFields"] = [{"manager": "kubectl"}]
    obj["status"]["deployingTimestamp"] = "2025-11-27T10:05:00Z"
    obj["status"]["inspectionReport"]["gpus"] = [{"model": "A100"}]
    assert PhysicalHost.from_obj(obj).to_obj() == obj


def test_unknown_spec_fields_are_rejected() -> None:
    obj = manifests.load(manifests.PHYSICAL_HOST)
    obj["spec"]["redfishConnection"]["insecureSkipVerfy"] = True
    with pytest.raises(ValidationError, match="insecureSkipVerfy"):
        PhysicalHost.from_obj(obj)


def test_defaults_are_applied() -> None:
    obj = manifests.load(manifests.PHYSICAL_HOST)
    del obj["spec"]["redfishConnection"]["insecureSkipVerify"]
    host = PhysicalHost.from_obj(obj)
    assert host.spec.redfish_connection.insecure_skip_verify is False
    assert host.to_obj()["spec"]["redfishConnection"]["insecureSkipVerify"] is False


def test_upstream_field_names_are_converted_to_canonical_ones() -> None:
    machine = Beskar7Machine.from_obj(manifests.load(manifests.UPSTREAM_MACHINE))
    assert machine.spec.inspection_image == "http://boot.metal.internal/inspector/"
    assert machine.spec.target_os_image == "http://boot.metal.internal/images/kairos.tar.gz"
    spec = machine.to_obj()["spec"]
    assert set(spec) == {"inspectionImage", "targetOSImage", "configurationURL"}


def test_upstream_and_canonical_name_may_both_be_given_when_equal() -> None:
    obj = manifests.load(manifests.UPSTREAM_MACHINE)
    obj["spec"]["targetOSImage"] = obj["spec"]["targetImageURL"]
    assert Beskar7Machine.from_obj(obj).spec.target_os_image.endswith("kairos.tar.gz")


def test_upstream_and_canonical_names_that_differ_are_an_error() -> None:
    obj = manifests.load(manifests.UPSTREAM_MACHINE)
    obj["spec"]["inspectionImage"] = "http://elsewhere/inspector/"
    with pytest.raises(ValidationError) as caught:
        Beskar7Machine.from_obj(obj)
    message = str(caught.value)
    assert "inspectionImage" in message
    assert "inspectionImageURL" in message


def test_template_carries_a_machine_spec() -> None:
    template = Beskar7MachineTemplate.from_obj(manifests.load(manifests.TEMPLATE))
    spec = template.spec.template.spec
    assert spec.os_family is OSFamily.TALOS
    assert spec.inspection_image == "http://boot.metal.internal/inspector/"
    out = template.to_obj()
    assert out["spec"]["template"]["spec"]["inspectionImage"] == spec.inspection_image
    assert out["spec"]["template"]["metadata"] == {"labels": {"pool": "workers"}}


def test_cluster_failure_domains_and_endpoint() -> None:
    cluster = Beskar7Cluster.from_obj(manifests.load(manifests.CLUSTER))
    assert cluster.status.failure_domains[1].name == "rack-b"
    assert cluster.status.failure_domains[1].attributes == {"row": "3"}
    assert cluster.spec.control_plane_endpoint is not None
    assert cluster.spec.control_plane_endpoint.is_set
    assert cluster.status.conditions == []


def test_condition_status_values_are_the_capi_strings() -> None:
    machine = Beskar7Machine.from_obj(manifests.load(manifests.MACHINE))
    assert [c.status for c in machine.status.conditions] == [ConditionStatus.TRUE] * 2
    broken = copy.deepcopy(manifests.load(manifests.MACHINE))
    broken["status"]["conditions"][0]["status"] = "true"
    with pytest.raises(ValidationError, match="conditions"):
        Beskar7Machine.from_obj(broken)


def test_secret_read_model_decodes_values() -> None:
    secret = Secret.from_obj(
        {"metadata": {"name": "s"}, "data": {"username": "cm9vdA==", "bad": "!!"}}
    )
    assert secret.text("username") == "root"
    assert secret.value("password") is None
    assert secret.value("bad") is None
    plain = Secret.from_obj({"metadata": {"name": "s"}, "stringData": {"username": "admin"}})
    assert plain.text("username") == "admin"


def test_capi_machine_read_model_tolerates_extra_fields() -> None:
    obj = {
        "apiVersion": "cluster.x-k8s.io/v1beta1",
        "kind": "Machine",
        "metadata": {"name": "m", "namespace": "metal"},
        "spec": {
            "clusterName": "prod",
            "bootstrap": {"dataSecretName": "m-bootstrap", "configRef": {"kind": "X"}},
            "infrastructureRef": {"kind": "Beskar7Machine", "name": "m"},
            "version": "v1.31.0",
            "nodeDrainTimeout": "10m",
        },
        "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.5"}]},
    }
    machine = Machine.from_obj(obj)
    assert machine.spec.bootstrap.data_secret_name == "m-bootstrap"
    assert machine.status.addresses[0].address == "10.0.0.5"
    assert machine.to_obj()["spec"]["nodeDrainTimeout"] == "10m"
