"""Beskar7Machine and Beskar7MachineTemplate: the infrastructure side of a CAPI Machine."""

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from beskar7.api.kinds import BESKAR7_MACHINE, BESKAR7_MACHINE_TEMPLATE, Kind
from beskar7.api.meta import (
    Condition,
    Initialization,
    MachineAddress,
    Resource,
    SpecModel,
    StatusModel,
)
from beskar7.api.selector import LabelSelector

FINALIZER = "beskar7machine.infrastructure.cluster.x-k8s.io"
PROVIDER_ID_PREFIX = "b7://"
URL_PATTERN = r"^https?://\S+$"
UPSTREAM_NAMES = {"inspectionImageURL": "inspectionImage", "targetImageURL": "targetOSImage"}
"""Field names of the upstream Go API, accepted on input, mapped to the canonical ones."""

# Condition types
INFRASTRUCTURE_READY = "InfrastructureReady"
PHYSICAL_HOST_ASSOCIATED = "PhysicalHostAssociated"
BOOTSTRAP_DATA_READY = "BootstrapDataReady"

# Condition reasons
PHYSICAL_HOST_ASSOCIATION_FAILED = "PhysicalHostAssociationFailed"
WAITING_FOR_PHYSICAL_HOST = "WaitingForPhysicalHost"
PHYSICAL_HOST_NOT_READY = "PhysicalHostNotReady"
PHYSICAL_HOST_ERROR = "PhysicalHostError"
WAITING_FOR_BOOTSTRAP_DATA = "WaitingForBootstrapData"
HARDWARE_REQUIREMENTS_NOT_MET = "HardwareRequirementsNotMet"
INSPECTION_TIMED_OUT = "InspectionTimedOut"
DEPLOYMENT_FAILED = "DeploymentFailed"
DEPLOYMENT_TIMED_OUT = "DeploymentTimedOut"
INSPECTION_FAILED = "InspectionFailed"
WAITING_FOR_CLUSTER_INFRASTRUCTURE = "WaitingForClusterInfrastructure"
NO_HOST_IN_FAILURE_DOMAIN = "NoPhysicalHostInFailureDomain"
# Condition reasons of our own, where upstream sets none
BOOTSTRAP_DATA_AVAILABLE = "BootstrapDataAvailable"
PHYSICAL_HOST_CLAIMED = "PhysicalHostClaimed"
PROVISIONED = "Provisioned"

# Event reasons
EVENT_PHASE_CHANGED = "PhaseChanged"
EVENT_HOST_RELEASED = "PhysicalHostReleased"


class MachinePhase(StrEnum):
    PENDING = "Pending"
    CLAIMING = "Claiming"
    INSPECTING = "Inspecting"
    VALIDATING = "Validating"
    PROVISIONING = "Provisioning"
    PROVISIONED = "Provisioned"
    FAILED = "Failed"


class OSFamily(StrEnum):
    KAIROS = "kairos"
    TALOS = "talos"
    FLATCAR = "flatcar"
    LEAP_MICRO = "leap-micro"
    CLOUD_INIT = "cloud-init"
    """Any image with cloud-init: `ds=nocloud-net;s=<seed URL>`."""


class HardwareRequirements(SpecModel):
    """Minimums the inspected hardware must meet; unset means no requirement."""

    min_cpu_cores: int | None = Field(default=None, ge=1)
    """Sum of cores over all CPU sockets."""
    min_memory_gb: int | None = Field(default=None, ge=1)
    """Total memory in decimal GB."""
    min_disk_gb: int | None = Field(default=None, ge=1)
    """Total disk size in GB."""


def _canonical_names(data: Any) -> Any:
    """Move upstream names to canonical ones; both given and different is an error."""
    if not isinstance(data, dict) or not any(k in data for k in UPSTREAM_NAMES):
        return data
    data = dict(data)
    for upstream, canonical in UPSTREAM_NAMES.items():
        if upstream not in data:
            continue
        value = data.pop(upstream)
        if canonical in data and data[canonical] != value:
            raise PydanticCustomError(
                "name_conflict",
                "{canonical} and {upstream} are both set and differ; set only {canonical}",
                {"canonical": canonical, "upstream": upstream, "field": canonical},
            )
        data[canonical] = value
    return data


def _add_upstream_names(schema: dict[str, Any]) -> None:
    """CRD schema: list the upstream names too, and require one name of each pair by CEL."""
    properties = schema.setdefault("properties", {})
    rules = schema.setdefault("x-kubernetes-validations", [])
    required = schema.get("required", [])
    for upstream, canonical in UPSTREAM_NAMES.items():
        properties[upstream] = {
            **properties[canonical],
            "description": f"Upstream name of {canonical}; converted to it on write.",
        }
        if canonical in required:
            required.remove(canonical)
        both = f"has(self.{canonical}) && has(self.{upstream})"
        rules += [
            {
                "rule": f"has(self.{canonical}) || has(self.{upstream})",
                "message": f"{canonical} (or {upstream}) is required",
            },
            {
                "rule": f"!({both}) || self.{canonical} == self.{upstream}",
                "message": f"{canonical} and {upstream} differ; set only {canonical}",
            },
        ]


class Beskar7MachineSpec(SpecModel):
    model_config = ConfigDict(json_schema_extra=_add_upstream_names)

    provider_id: str | None = Field(default=None, max_length=512)
    """b7://<namespace>/<physicalhost>, set once the machine is provisioned."""
    inspection_image: str = Field(pattern=URL_PATTERN)
    """URL of the inspection image the host boots first (iPXE script or kernel/initrd)."""
    target_os_image: str = Field(pattern=URL_PATTERN)
    """URL of the operating system image to install."""
    configuration_url: str | None = Field(default=None, pattern=URL_PATTERN)
    """URL of the operating system configuration."""
    os_family: OSFamily | None = None
    hardware_requirements: HardwareRequirements | None = None
    host_selector: LabelSelector | None = None
    """Only hosts whose labels match are claimed (matchLabels and matchExpressions)."""

    @model_validator(mode="before")
    @classmethod
    def _accept_upstream_names(cls, data: Any) -> Any:
        return _canonical_names(data)


class Beskar7MachineStatus(StatusModel):
    ready: bool | None = None
    phase: MachinePhase | None = None
    failure_reason: str | None = None
    failure_message: str | None = None
    addresses: list[MachineAddress] = Field(default_factory=list)
    failure_domain: str | None = None
    """The zone (topology.kubernetes.io/zone label) of the claimed host."""
    conditions: list[Condition] = Field(default_factory=list)
    initialization: Initialization | None = None


class Beskar7Machine(Resource):
    """A CAPI Machine's bare-metal infrastructure: claims, inspects and provisions a host."""

    KIND: ClassVar[Kind] = BESKAR7_MACHINE

    spec: Beskar7MachineSpec
    status: Beskar7MachineStatus = Field(default_factory=Beskar7MachineStatus)


class TemplateMeta(SpecModel):
    """Labels and annotations for the machines made from a template."""

    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class Beskar7MachineTemplateResource(SpecModel):
    metadata: TemplateMeta | None = None
    spec: Beskar7MachineSpec


class Beskar7MachineTemplateSpec(SpecModel):
    template: Beskar7MachineTemplateResource


class Beskar7MachineTemplate(Resource):
    """The machine spec a MachineDeployment or control plane stamps out."""

    KIND: ClassVar[Kind] = BESKAR7_MACHINE_TEMPLATE

    spec: Beskar7MachineTemplateSpec


class ProviderIDError(ValueError):
    pass


def format_provider_id(namespace: str, host: str) -> str:
    if not namespace or not host or "/" in namespace or "/" in host:
        raise ProviderIDError("namespace and host must be non-empty and contain no '/'")
    return f"{PROVIDER_ID_PREFIX}{namespace}/{host}"


def parse_provider_id(provider_id: str) -> tuple[str, str]:
    """`b7://<namespace>/<host>` -> (namespace, host)."""
    if not provider_id.startswith(PROVIDER_ID_PREFIX):
        raise ProviderIDError(f"provider ID must start with {PROVIDER_ID_PREFIX}")
    parts = provider_id.removeprefix(PROVIDER_ID_PREFIX).split("/")
    if len(parts) != 2 or not all(parts):
        raise ProviderIDError(f"provider ID must be {PROVIDER_ID_PREFIX}<namespace>/<host>")
    return parts[0], parts[1]
