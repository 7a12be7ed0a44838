"""Kinds beskar7 does not own get a basic shape check; Secrets are folded and never echoed."""

import base64
from typing import Any

import pytest

from beskar7.api import kinds
from beskar7.api.errors import InvalidError
from beskar7.api.kinds import Obj
from beskar7.api.validation import validate
from tests.api import manifests

SECRET_VALUE = "calvin-Sup3rSecret"


def issues_of(kind: kinds.Kind, obj: Any) -> dict[str, str]:
    with pytest.raises(InvalidError) as caught:
        validate(kind, obj)
    return {issue.path: issue.message for issue in caught.value.issues}


def secret() -> Obj:
    return manifests.load(manifests.SECRET)


def test_string_data_is_folded_into_base64_data() -> None:
    obj = secret()
    obj["data"] = {"username": base64.b64encode(b"old").decode(), "port": "NjIz"}
    result = validate(kinds.SECRET, obj)
    assert "stringData" not in result
    assert result["type"] == "Opaque"
    decoded = {k: base64.b64decode(v).decode() for k, v in result["data"].items()}
    assert decoded == {"username": "root", "password": SECRET_VALUE, "port": "623"}
    assert result["metadata"] == obj["metadata"]


def test_secret_type_defaults_to_opaque_and_is_kept_otherwise() -> None:
    obj = secret()
    del obj["type"]
    assert validate(kinds.SECRET, obj)["type"] == "Opaque"
    obj["type"] = "kubernetes.io/basic-auth"
    assert validate(kinds.SECRET, obj)["type"] == "kubernetes.io/basic-auth"


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda o: o.update(data={"password": SECRET_VALUE + "!"}), "data.password"),
        (lambda o: o.update(data={"password": 42}), "data.password"),
        (lambda o: o.update(data={"pass word": "eA=="}), "data[pass word]"),
        (lambda o: o["stringData"].update(password=12345), "stringData.password"),
        (lambda o: o["stringData"].update({"bad/key": SECRET_VALUE}), "stringData[bad/key]"),
        (lambda o: o.update(strinData={"password": SECRET_VALUE}), "strinData"),
        (lambda o: o.update(immutable="yes"), "immutable"),
    ],
)
def test_secret_rules_never_echo_values(edit: Any, path: str) -> None:
    obj = secret()
    edit(obj)
    with pytest.raises(InvalidError) as caught:
        validate(kinds.SECRET, obj)
    assert [i.path for i in caught.value.issues] == [path]
    assert SECRET_VALUE not in str(caught.value)
    assert "Sup3r" not in repr(caught.value.issues)


def test_bad_metadata_on_a_secret_does_not_echo_its_values() -> None:
    obj = secret()
    obj["metadata"]["name"] = "BMC Credentials"
    with pytest.raises(InvalidError) as caught:
        validate(kinds.SECRET, obj)
    assert SECRET_VALUE not in str(caught.value)


def test_credentials_in_a_bad_bmc_address_are_not_echoed() -> None:
    obj = manifests.load(manifests.PHYSICAL_HOST)
    obj["spec"]["redfishConnection"]["address"] = f"https://root:{SECRET_VALUE}@10.0.0.5"
    with pytest.raises(InvalidError) as caught:
        validate(kinds.PHYSICAL_HOST, obj)
    assert [i.path for i in caught.value.issues] == ["spec.redfishConnection.address"]
    assert SECRET_VALUE not in str(caught.value)


def test_config_map_shape() -> None:
    obj: Obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "server-07-inspection-result", "namespace": "metal"},
        "data": {"report.json": '{"cpus": []}'},
    }
    assert validate(kinds.CONFIG_MAP, obj) == obj
    obj["binaryData"] = {"report.json": "e30=", "blob": "%%%"}
    obj["data"]["n"] = 1
    assert issues_of(kinds.CONFIG_MAP, obj) == {
        "data.n": "must be a string",
    }
    obj["data"]["n"] = "1"
    assert set(issues_of(kinds.CONFIG_MAP, obj)) == {"binaryData.blob", "binaryData[report.json]"}


def test_event_and_lease_shapes() -> None:
    event: Obj = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "server-07.1800a1b2c3", "namespace": "metal"},
        "involvedObject": {"kind": "PhysicalHost", "name": "server-07", "namespace": "metal"},
        "reason": "InspectionComplete",
        "message": "report received",
        "type": "Normal",
        "count": 1,
        "source": {"component": "beskar7"},
    }
    assert validate(kinds.EVENT, event) == event
    event["count"] = "2"
    assert list(issues_of(kinds.EVENT, event)) == ["count"]
    lease: Obj = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "beskar7.infrastructure.cluster.x-k8s.io", "namespace": "b7"},
        "spec": {"holderIdentity": "pod-1", "leaseDurationSeconds": 15},
    }
    assert validate(kinds.LEASE, lease) == lease
    lease["spec"]["leaseDurationSeconds"] = "15s"
    assert list(issues_of(kinds.LEASE, lease)) == ["spec.leaseDurationSeconds"]


def test_capi_cluster_and_machine_shapes() -> None:
    cluster: Obj = {
        "apiVersion": "cluster.x-k8s.io/v1beta1",
        "kind": "Cluster",
        "metadata": {"name": "prod", "namespace": "metal"},
        "spec": {"paused": False, "topology": {"class": "x"}},
    }
    assert validate(kinds.CLUSTER, cluster) == cluster
    cluster["spec"]["paused"] = "no"
    assert list(issues_of(kinds.CLUSTER, cluster)) == ["spec.paused"]
    machine: Obj = {
        "apiVersion": "cluster.x-k8s.io/v1beta1",
        "kind": "Machine",
        "metadata": {"name": "workers-abc", "namespace": "metal"},
        "spec": {"clusterName": "prod", "bootstrap": {"dataSecretName": "workers-abc"}},
    }
    assert validate(kinds.MACHINE, machine) == machine
    del machine["spec"]["clusterName"]
    assert issues_of(kinds.MACHINE, machine) == {"spec.clusterName": "required"}
    machine["spec"]["clusterName"] = ""
    assert list(issues_of(kinds.MACHINE, machine)) == ["spec.clusterName"]
    del machine["spec"]
    assert issues_of(kinds.MACHINE, machine) == {"spec": "required"}
