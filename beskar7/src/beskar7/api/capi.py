"""Read models of the kinds beskar7 reads but does not own (core Secret/ConfigMap, CAPI
Cluster and Machine), plus Cluster API's well-known labels and annotations. They keep unknown
fields. beskar7's own annotation and label keys are in protocol.py."""

import base64
import binascii
from typing import ClassVar

from pydantic import ConfigDict, Field

from beskar7.api.kinds import CLUSTER, CONFIG_MAP, MACHINE, SECRET, Kind
from beskar7.api.meta import Condition, MachineAddress, ObjectMeta, Resource, StatusModel

PAUSED_ANNOTATION = "cluster.x-k8s.io/paused"
MANAGED_BY_ANNOTATION = "cluster.x-k8s.io/managed-by"
"""On an InfraCluster: someone else manages this infrastructure; the provider skips it."""
WATCH_FILTER_LABEL = "cluster.x-k8s.io/watch-filter"
"""With `--watch-filter=VALUE`, only objects carrying this label with VALUE are reconciled."""
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
CONTROL_PLANE_LABEL = "cluster.x-k8s.io/control-plane"
MACHINE_NAME_LABEL = "cluster.x-k8s.io/machine-name"
ZONE_LABEL = "topology.kubernetes.io/zone"

BOOTSTRAP_DATA_KEY = "value"
"""Key of the user data in a CAPI bootstrap data Secret."""
BOOTSTRAP_FORMAT_KEY = "format"
"""Key of the user data's format (cloud-config, ignition) in that Secret."""


class _ReadResource(Resource):
    model_config = ConfigDict(extra="allow")


def has_paused_annotation(metadata: ObjectMeta) -> bool:
    return PAUSED_ANNOTATION in metadata.annotations


def watched(metadata: ObjectMeta, watch_filter: str) -> bool:
    """Whether a manager started with `--watch-filter=watch_filter` reconciles the object."""
    return not watch_filter or metadata.labels.get(WATCH_FILTER_LABEL) == watch_filter


class Secret(_ReadResource):
    KIND: ClassVar[Kind] = SECRET

    data: dict[str, str] = Field(default_factory=dict)
    """Values base64-encoded."""
    string_data: dict[str, str] = Field(default_factory=dict)
    """Write-only plain values, folded into `data` on write."""
    type: str | None = None
    immutable: bool | None = None

    def value(self, key: str) -> bytes | None:
        """The decoded value of `key` (stringData wins, as on write); None when absent."""
        if key in self.string_data:
            return self.string_data[key].encode()
        if key not in self.data:
            return None
        try:
            return base64.b64decode(self.data[key], validate=True)
        except binascii.Error:
            return None

    def text(self, key: str) -> str | None:
        raw = self.value(key)
        return None if raw is None else raw.decode("utf-8", errors="replace")


class ConfigMap(_ReadResource):
    KIND: ClassVar[Kind] = CONFIG_MAP

    data: dict[str, str] = Field(default_factory=dict)
    binary_data: dict[str, str] = Field(default_factory=dict)


class Reference(StatusModel):
    """An object reference as CAPI writes it (v1beta1 apiVersion or v1beta2 apiGroup)."""

    api_version: str | None = None
    api_group: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    uid: str | None = None


class Endpoint(StatusModel):
    host: str = ""
    port: int = 0


class ClusterSpec(StatusModel):
    paused: bool | None = None
    control_plane_endpoint: Endpoint | None = None
    infrastructure_ref: Reference | None = None
    control_plane_ref: Reference | None = None


class ClusterInitialization(StatusModel):
    infrastructure_provisioned: bool | None = None
    control_plane_initialized: bool | None = None


class ClusterStatus(StatusModel):
    phase: str | None = None
    infrastructure_ready: bool | None = None
    """v1beta1 Clusters; v1beta2 ones say `initialization.infrastructureProvisioned`."""
    initialization: ClusterInitialization | None = None
    conditions: list[Condition] = Field(default_factory=list)


class Cluster(_ReadResource):
    """A CAPI Cluster, as far as beskar7 reads it."""

    KIND: ClassVar[Kind] = CLUSTER

    spec: ClusterSpec = Field(default_factory=ClusterSpec)
    status: ClusterStatus = Field(default_factory=ClusterStatus)

    @property
    def infrastructure_provisioned(self) -> bool:
        """CAPI core saw the InfraCluster provisioned (v1beta2 field or v1beta1 flag)."""
        init = self.status.initialization
        return bool(self.status.infrastructure_ready) or bool(
            init is not None and init.infrastructure_provisioned
        )


class Bootstrap(StatusModel):
    config_ref: Reference | None = None
    data_secret_name: str | None = None


class MachineSpec(StatusModel):
    cluster_name: str = Field(min_length=1)
    bootstrap: Bootstrap = Field(default_factory=Bootstrap)
    provider_id: str | None = None
    infrastructure_ref: Reference | None = None
    failure_domain: str | None = None
    version: str | None = None


class MachineStatus(StatusModel):
    phase: str | None = None
    infrastructure_ready: bool | None = None
    addresses: list[MachineAddress] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)


class Machine(_ReadResource):
    """A CAPI Machine, as far as beskar7 reads it."""

    KIND: ClassVar[Kind] = MACHINE

    spec: MachineSpec
    status: MachineStatus = Field(default_factory=MachineStatus)
