"""`validate` normalizes good objects and names every bad field by its JSON path."""

import copy
from typing import Any

import pytest

from beskar7.api import kinds
from beskar7.api.errors import InvalidError
from beskar7.api.kinds import Kind, Obj
from beskar7.api.validation import validate
from tests.api import manifests


def issues_of(kind: Kind, obj: Any) -> dict[str, str]:
    with pytest.raises(InvalidError) as caught:
        validate(kind, obj)
    return {issue.path: issue.message for issue in caught.value.issues}


def host() -> Obj:
    return manifests.load(manifests.PHYSICAL_HOST)


def machine() -> Obj:
    return manifests.load(manifests.MACHINE)


def test_valid_host_is_returned_with_metadata_exactly_as_given() -> None:
    obj = host()
    obj["metadata"]["creationTimestamp"] = "2025-11-27T09:12:44.5+00:00"
    del obj["spec"]["redfishConnection"]["insecureSkipVerify"]
    result = validate(kinds.PHYSICAL_HOST, obj)
    assert result["metadata"] == obj["metadata"]
    assert result["spec"]["redfishConnection"]["insecureSkipVerify"] is False
    assert result["status"] == obj["status"]
    assert list(result)[:3] == ["apiVersion", "kind", "metadata"]


@pytest.mark.parametrize(
    "text",
    [
        manifests.PHYSICAL_HOST,
        manifests.MACHINE,
        manifests.UPSTREAM_MACHINE,
        manifests.TEMPLATE,
        manifests.CLUSTER,
        manifests.SECRET,
    ],
)
def test_validation_is_idempotent(text: str) -> None:
    obj = manifests.load(text)
    kind = kinds.kind_of(obj)
    once = validate(kind, obj)
    assert validate(kind, once) == once
    assert obj == manifests.load(text), "the input is not modified"


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda o: o["spec"]["redfishConnection"].update(address="ftp://bmc"), "address"),
        (lambda o: o["spec"]["redfishConnection"].update(address="https://"), "address"),
        (lambda o: o["spec"]["redfishConnection"].update(address="bmc.local"), "address"),
        (
            lambda o: o["spec"]["redfishConnection"].update(credentialsSecretRef=""),
            "credentialsSecretRef",
        ),
        (
            lambda o: o["spec"]["redfishConnection"].pop("credentialsSecretRef"),
            "credentialsSecretRef",
        ),
        (
            lambda o: o["spec"]["redfishConnection"].update(insecureSkipVerify="true"),
            "insecureSkipVerify",
        ),
        (
            lambda o: o["spec"]["redfishConnection"].update(insecureSkipVerfy=True),
            "insecureSkipVerfy",
        ),
    ],
)
def test_redfish_connection_rules(edit: Any, path: str) -> None:
    obj = host()
    edit(obj)
    assert list(issues_of(kinds.PHYSICAL_HOST, obj)) == [f"spec.redfishConnection.{path}"]


def test_missing_spec_parts_are_required() -> None:
    obj = host()
    del obj["spec"]["redfishConnection"]
    assert issues_of(kinds.PHYSICAL_HOST, obj) == {"spec.redfishConnection": "required"}
    del obj["spec"]
    assert issues_of(kinds.PHYSICAL_HOST, obj) == {"spec": "required"}


def test_consumer_ref_is_checked() -> None:
    obj = host()
    obj["spec"]["consumerRef"]["name"] = 7
    obj["spec"]["consumerRef"]["nmae"] = "x"
    assert issues_of(kinds.PHYSICAL_HOST, obj) == {
        "spec.consumerRef.name": "must be a string",
        "spec.consumerRef.nmae": "unknown field",
    }


def test_status_is_checked_leniently() -> None:
    obj = host()
    obj["status"]["futureField"] = {"anything": 1}
    validate(kinds.PHYSICAL_HOST, obj)
    obj["status"]["state"] = "Provisioned"
    obj["status"]["ready"] = "yes"
    obj["status"]["inspectionReport"]["cpus"][1]["cores"] = "32"
    obj["status"]["conditions"][0]["status"] = "Maybe"
    del obj["status"]["conditions"][1]["type"]
    obj["status"]["inspectionTimestamp"] = "yesterday"
    assert set(issues_of(kinds.PHYSICAL_HOST, obj)) == {
        "status.state",
        "status.ready",
        "status.inspectionReport.cpus[1].cores",
        "status.conditions[0].status",
        "status.conditions[1].type",
        "status.inspectionTimestamp",
    }


def test_machine_upstream_names_are_converted() -> None:
    result = validate(kinds.BESKAR7_MACHINE, manifests.load(manifests.UPSTREAM_MACHINE))
    assert result["spec"] == {
        "inspectionImage": "http://boot.metal.internal/inspector/",
        "targetOSImage": "http://boot.metal.internal/images/kairos.tar.gz",
        "configurationURL": "http://boot.metal.internal/configs/cp.yaml",
    }


def test_machine_conflicting_names_name_both_fields() -> None:
    obj = manifests.load(manifests.UPSTREAM_MACHINE)
    obj["spec"]["targetOSImage"] = "http://boot.metal.internal/images/other.raw"
    found = issues_of(kinds.BESKAR7_MACHINE, obj)
    assert list(found) == ["spec.targetOSImage"]
    assert "targetImageURL" in found["spec.targetOSImage"]


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda s: s.pop("inspectionImage"), "spec.inspectionImage"),
        (lambda s: s.pop("targetOSImage"), "spec.targetOSImage"),
        (lambda s: s.update(targetOSImage="/images/kairos.raw"), "spec.targetOSImage"),
        (lambda s: s.update(inspectionImage="tftp://boot/inspect"), "spec.inspectionImage"),
        (lambda s: s.update(configurationURL="file:///etc/x"), "spec.configurationURL"),
        (lambda s: s.update(osFamily="ubuntu"), "spec.osFamily"),
        (lambda s: s.update(providerID="x" * 513), "spec.providerID"),
        (
            lambda s: s["hardwareRequirements"].update(minCPUCores=0),
            "spec.hardwareRequirements.minCPUCores",
        ),
        (
            lambda s: s["hardwareRequirements"].update(minMemoryGB=8.5),
            "spec.hardwareRequirements.minMemoryGB",
        ),
        (
            lambda s: s["hardwareRequirements"].update(minDiskGB="50"),
            "spec.hardwareRequirements.minDiskGB",
        ),
    ],
)
def test_machine_spec_rules(edit: Any, path: str) -> None:
    obj = machine()
    edit(obj["spec"])
    assert list(issues_of(kinds.BESKAR7_MACHINE, obj)) == [path]


def test_machine_status_phase_must_be_known() -> None:
    obj = machine()
    obj["status"]["phase"] = "Running"
    assert list(issues_of(kinds.BESKAR7_MACHINE, obj)) == ["status.phase"]


def test_template_spec_is_a_machine_spec() -> None:
    obj = manifests.load(manifests.TEMPLATE)
    result = validate(kinds.BESKAR7_MACHINE_TEMPLATE, obj)
    assert "inspectionImage" in result["spec"]["template"]["spec"]
    obj["spec"]["template"]["spec"].pop("inspectionImageURL")
    obj["spec"]["template"]["spec"]["hardwareRequirements"] = {"minCPUcores": 2}
    assert set(issues_of(kinds.BESKAR7_MACHINE_TEMPLATE, obj)) == {
        "spec.template.spec.inspectionImage",
        "spec.template.spec.hardwareRequirements.minCPUcores",
    }


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [
        ({"host": "10.0.0.1", "port": 0}, "port"),
        ({"host": "10.0.0.1", "port": 65536}, "port"),
        ({"host": "10.0.0.1", "port": "6443"}, "port"),
        ({"host": "Not_A_Host", "port": 6443}, "host"),
        ({"host": "api.example.com", "port": 6443, "scheme": "https"}, "scheme"),
    ],
)
def test_cluster_endpoint_rules(endpoint: Obj, path: str) -> None:
    obj = manifests.load(manifests.CLUSTER)
    obj["spec"]["controlPlaneEndpoint"] = endpoint
    assert list(issues_of(kinds.BESKAR7_CLUSTER, obj)) == [f"spec.controlPlaneEndpoint.{path}"]


def test_cluster_endpoint_accepts_ipv6_dns_and_empty_host_and_defaults_port() -> None:
    for host_name in ("fd00::1", "api.prod.example.com", ""):
        obj = manifests.load(manifests.CLUSTER)
        obj["spec"]["controlPlaneEndpoint"] = {"host": host_name}
        result = validate(kinds.BESKAR7_CLUSTER, obj)
        assert result["spec"]["controlPlaneEndpoint"] == {"host": host_name, "port": 6443}


def test_cluster_failure_domain_paths_name_the_list_index() -> None:
    obj = manifests.load(manifests.CLUSTER)
    obj["status"]["failureDomains"][0]["controlPlane"] = "yes"
    assert list(issues_of(kinds.BESKAR7_CLUSTER, obj)) == ["status.failureDomains[0].controlPlane"]


@pytest.mark.parametrize("kind", kinds.ALL_KINDS, ids=str)
def test_every_kind_needs_a_valid_name(kind: Kind) -> None:
    obj: Obj = {"apiVersion": kind.api_version, "kind": kind.kind}
    assert issues_of(kind, obj)["metadata.name"] == "required"
    obj["metadata"] = {"name": ""}
    assert issues_of(kind, obj)["metadata.name"] == "required"
    for bad in ("Server-07", "server_07", "-server", "a" * 254, "server..07"):
        obj["metadata"] = {"name": bad}
        assert "metadata.name" in issues_of(kind, obj), bad


@pytest.mark.parametrize(
    ("metadata", "path"),
    [
        ({"namespace": "Metal"}, "metadata.namespace"),
        ({"namespace": "metal.prod"}, "metadata.namespace"),
        ({"namespace": "m" * 64}, "metadata.namespace"),
        ({"labels": {"app": 1}}, "metadata.labels.app"),
        ({"labels": {"bad key!": "x"}}, "metadata.labels[bad key!]"),
        ({"labels": {"Example.com/app": "x"}}, "metadata.labels[Example.com/app]"),
        ({"labels": {"app": "has space"}}, "metadata.labels.app"),
        ({"labels": {"app": "v" * 64}}, "metadata.labels.app"),
        ({"labels": ["app"]}, "metadata.labels"),
        ({"annotations": {"note": True}}, "metadata.annotations.note"),
        ({"annotations": {"/x": "y"}}, "metadata.annotations[/x]"),
        ({"annotations": {"big": "x" * 300_000}}, "metadata.annotations"),
        ({"finalizers": ["not valid!"]}, "metadata.finalizers[0]"),
        ({"finalizers": "x"}, "metadata.finalizers"),
        ({"ownerReferences": [{"kind": "Machine", "name": "m"}]}, "metadata.ownerReferences[0]"),
        ({"generation": "1"}, "metadata.generation"),
        ({"creationTimestamp": "not a time"}, "metadata.creationTimestamp"),
    ],
)
def test_metadata_rules(metadata: Obj, path: str) -> None:
    obj = machine()
    obj["metadata"] = {"name": "m", **metadata}
    found = issues_of(kinds.BESKAR7_MACHINE, obj)
    assert all(p.startswith(path) for p in found), found
    assert found


def test_metadata_tolerates_unknown_fields_and_valid_labels() -> None:
    obj = machine()
    obj["metadata"]["managedFields"] = [{"manager": "clusterctl"}]
    obj["metadata"]["generateName"] = "workers-"
    obj["metadata"]["labels"]["empty"] = ""
    obj["metadata"]["annotations"] = {"cluster.x-k8s.io/paused": ""}
    assert validate(kinds.BESKAR7_MACHINE, obj)["metadata"] == obj["metadata"]


def test_api_version_and_kind_must_match_the_registry() -> None:
    obj = machine()
    obj["apiVersion"] = "infrastructure.cluster.x-k8s.io/v1alpha1"
    obj["kind"] = "PhysicalHost"
    assert issues_of(kinds.BESKAR7_MACHINE, obj) == {
        "apiVersion": "must be infrastructure.cluster.x-k8s.io/v1beta1",
        "kind": "must be Beskar7Machine",
    }
    del obj["apiVersion"]
    assert issues_of(kinds.BESKAR7_MACHINE, obj)["apiVersion"] == "required"


def test_all_problems_are_reported_at_once_and_the_object_is_named() -> None:
    obj = machine()
    obj["metadata"]["namespace"] = "Metal"
    obj["spec"]["osFamily"] = "ubuntu"
    obj["status"]["ready"] = 1
    with pytest.raises(InvalidError) as caught:
        validate(kinds.BESKAR7_MACHINE, obj)
    assert {i.path for i in caught.value.issues} == {
        "metadata.namespace",
        "spec.osFamily",
        "status.ready",
    }
    assert caught.value.what == 'Beskar7Machine.infrastructure.cluster.x-k8s.io "workers-7d9f-x2k4"'
    assert caught.value.reason == "Invalid"


def test_non_objects_and_non_json_values_are_invalid() -> None:
    with pytest.raises(InvalidError):
        validate(kinds.PHYSICAL_HOST, [])  # type: ignore[arg-type]
    obj = host()
    obj["status"]["errorMessage"] = object()
    assert issues_of(kinds.PHYSICAL_HOST, obj) == {"(object)": "must be plain JSON data"}
    assert validate(kinds.PHYSICAL_HOST, copy.deepcopy(host()))
