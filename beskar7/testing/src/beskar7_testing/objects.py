"""Manifests for labs, tests and benchmarks: BMC credentials, PhysicalHosts, and the Cluster API
objects (Cluster, Machine, bootstrap Secret) a Beskar7Machine needs to be provisioned."""

import base64
from collections.abc import Mapping
from typing import Any

from beskar7.api.capi import CLUSTER_NAME_LABEL, MACHINE_NAME_LABEL
from beskar7.api.kinds import (
    BESKAR7_CLUSTER,
    BESKAR7_MACHINE,
    CLUSTER,
    MACHINE,
    PHYSICAL_HOST,
    SECRET,
    Obj,
)
from beskar7.api.protocol import Annotation


def _meta(name: str, namespace: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, **extra}


def secret(
    name: str, namespace: str, data: Mapping[str, str | bytes], type_: str | None = None
) -> Obj:
    """A Secret with `data` base64-encoded (text values as UTF-8)."""
    encoded = {
        k: base64.b64encode(v if isinstance(v, bytes) else v.encode()).decode()
        for k, v in data.items()
    }
    obj: Obj = {
        "apiVersion": SECRET.api_version,
        "kind": SECRET.kind,
        "metadata": _meta(name, namespace),
        "data": encoded,
    }
    if type_ is not None:
        obj["type"] = type_
    return obj


def physical_host(
    name: str, namespace: str, address: str, secret_name: str, mac: str | None = None
) -> Obj:
    """A PhysicalHost; with `mac`, annotated with its boot NIC's MAC for DHCP boots."""
    annotations = {Annotation.BOOT_MAC: mac} if mac else {}
    return {
        "apiVersion": PHYSICAL_HOST.api_version,
        "kind": PHYSICAL_HOST.kind,
        "metadata": _meta(name, namespace, annotations=annotations),
        "spec": {"redfishConnection": {"address": address, "credentialsSecretRef": secret_name}},
    }


INFRASTRUCTURE_PROVISIONED: Obj = {
    "status": {"infrastructureReady": True, "initialization": {"infrastructureProvisioned": True}}
}
"""The status patch CAPI core writes on a Cluster once its InfraCluster is provisioned (v1beta1
flag and v1beta2 field); beskar7 claims hosts only after it."""


def cluster(name: str, namespace: str) -> Obj:
    return {
        "apiVersion": CLUSTER.api_version,
        "kind": CLUSTER.kind,
        "metadata": _meta(name, namespace),
        "spec": {
            "infrastructureRef": {
                "apiVersion": BESKAR7_CLUSTER.api_version,
                "kind": BESKAR7_CLUSTER.kind,
                "name": name,
            }
        },
    }


def machine(name: str, namespace: str, cluster_name: str, bootstrap_secret: str) -> Obj:
    return {
        "apiVersion": MACHINE.api_version,
        "kind": MACHINE.kind,
        "metadata": _meta(name, namespace, labels={CLUSTER_NAME_LABEL: cluster_name}),
        "spec": {
            "clusterName": cluster_name,
            "bootstrap": {"dataSecretName": bootstrap_secret},
            "infrastructureRef": {
                "apiVersion": BESKAR7_MACHINE.api_version,
                "kind": BESKAR7_MACHINE.kind,
                "name": name,
            },
        },
    }


def beskar7_machine(
    name: str,
    namespace: str,
    owner: Obj,
    *,
    image: str,
    target: str,
    requirements: dict[str, int] | None = None,
) -> Obj:
    """A Beskar7Machine owned by the CAPI Machine `owner` (as stored, with its uid)."""
    spec: dict[str, Any] = {"inspectionImage": image, "targetOSImage": target}
    if requirements:
        spec["hardwareRequirements"] = requirements
    owner_meta = owner["metadata"]
    reference = {
        "apiVersion": MACHINE.api_version,
        "kind": MACHINE.kind,
        "name": owner_meta["name"],
        "uid": owner_meta["uid"],
        "controller": True,
    }
    labels = {
        CLUSTER_NAME_LABEL: owner["spec"]["clusterName"],
        MACHINE_NAME_LABEL: owner_meta["name"],
    }
    return {
        "apiVersion": BESKAR7_MACHINE.api_version,
        "kind": BESKAR7_MACHINE.kind,
        "metadata": _meta(name, namespace, labels=labels, ownerReferences=[reference]),
        "spec": spec,
    }
