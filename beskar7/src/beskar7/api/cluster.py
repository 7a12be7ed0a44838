"""Beskar7Cluster: the infrastructure side of a CAPI Cluster (endpoint, failure domains)."""

from typing import ClassVar

from pydantic import Field

from beskar7.api.kinds import BESKAR7_CLUSTER, BESKAR7_CLUSTER_TEMPLATE, Kind
from beskar7.api.meta import (
    APIEndpoint,
    Condition,
    Initialization,
    Resource,
    SpecModel,
    StatusModel,
)

FINALIZER = "beskar7cluster.infrastructure.cluster.x-k8s.io"
DEFAULT_API_SERVER_PORT = 6443

# Condition types and reasons
CONTROL_PLANE_ENDPOINT_READY = "ControlPlaneEndpointReady"
CONTROL_PLANE_ENDPOINT_NOT_SET = "ControlPlaneEndpointNotSet"
CONTROL_PLANE_ENDPOINT_REQUIRED = "ControlPlaneEndpointRequired"
"""The control plane needs the endpoint before its first Machine exists (KubeadmControlPlane):
discovery cannot work, the user must set it (a VIP, e.g. kube-vip)."""

# Event reasons
EVENT_ENDPOINT_DISCOVERED = "ControlPlaneEndpointDiscovered"
EVENT_READY = "ClusterInfrastructureReady"
EVENT_FAILURE_DOMAINS_CHANGED = "FailureDomainsChanged"


class Beskar7ClusterSpec(SpecModel):
    control_plane_endpoint: APIEndpoint | None = None
    """The API server endpoint, when the user provides it; else discovered."""


class FailureDomain(StatusModel):
    """One entry of the v1beta2 contract's `status.failureDomains` list."""

    name: str = Field(min_length=1, max_length=256)
    control_plane: bool = False
    """Whether control plane machines may be placed here."""
    attributes: dict[str, str] = Field(default_factory=dict)


class Beskar7ClusterStatus(StatusModel):
    ready: bool | None = None
    control_plane_endpoint: APIEndpoint | None = None
    failure_domains: list[FailureDomain] = Field(default_factory=list)
    """Zones from the PhysicalHosts' topology.kubernetes.io/zone labels."""
    conditions: list[Condition] = Field(default_factory=list)
    initialization: Initialization | None = None


class Beskar7Cluster(Resource):
    """Cluster-wide bare-metal infrastructure of a CAPI Cluster."""

    KIND: ClassVar[Kind] = BESKAR7_CLUSTER

    spec: Beskar7ClusterSpec = Field(default_factory=Beskar7ClusterSpec)
    status: Beskar7ClusterStatus = Field(default_factory=Beskar7ClusterStatus)


class TemplateMeta(SpecModel):
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class Beskar7ClusterTemplateResource(SpecModel):
    metadata: TemplateMeta | None = None
    spec: Beskar7ClusterSpec = Field(default_factory=Beskar7ClusterSpec)


class Beskar7ClusterTemplateSpec(SpecModel):
    template: Beskar7ClusterTemplateResource


class Beskar7ClusterTemplate(Resource):
    """The InfraClusterTemplate a ClusterClass names: the Beskar7Cluster spec it stamps out."""

    KIND: ClassVar[Kind] = BESKAR7_CLUSTER_TEMPLATE

    spec: Beskar7ClusterTemplateSpec
