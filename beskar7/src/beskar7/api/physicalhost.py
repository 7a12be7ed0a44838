"""PhysicalHost: one bare-metal server reachable through its BMC's Redfish API."""

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from beskar7.api.kinds import PHYSICAL_HOST, Kind
from beskar7.api.meta import (
    Condition,
    MachineAddress,
    ObjectReference,
    Resource,
    SpecModel,
    StatusModel,
    Time,
)

FINALIZER = "physicalhost.infrastructure.cluster.x-k8s.io"
REDFISH_ADDRESS_PATTERN = r"^(https?://)[a-zA-Z0-9.-]+(:[0-9]+)?(/.*)?$"
USERNAME_KEY = "username"
PASSWORD_KEY = "password"

# Condition types
REDFISH_CONNECTION_READY = "RedfishConnectionReady"
HOST_AVAILABLE = "HostAvailable"
HOST_INSPECTED = "HostInspected"

# Condition reasons
MISSING_CREDENTIALS = "MissingCredentials"
SECRET_GET_FAILED = "SecretGetFailed"
SECRET_NOT_FOUND = "SecretNotFound"
MISSING_SECRET_DATA = "MissingSecretData"
REDFISH_CONNECTION_FAILED = "RedfishConnectionFailed"
REDFISH_QUERY_FAILED = "RedfishQueryFailed"
POWER_ON_FAILED = "PowerOnFailed"
POWER_OFF_FAILED = "PowerOffFailed"
SET_BOOT_PXE_FAILED = "SetBootPXEFailed"
INSPECTION_FAILED = "InspectionFailed"
INSPECTION_TIMEOUT = "InspectionTimeout"
# Reasons of our own, where upstream sets none
ENROLLING = "Enrolling"
HOST_IN_USE = "HostInUse"
PROVISIONING_FAILED = "ProvisioningFailed"

# Event reasons
EVENT_STATE_CHANGED = "StateChanged"
EVENT_DELETED_WHILE_CLAIMED = "DeletedWhileClaimed"
EVENT_INSPECTION_STARTED = "InspectionStarted"
EVENT_INSPECTION_COMPLETE = "InspectionComplete"
EVENT_RELEASED = "Released"
EVENT_RELEASE_PENDING = "ReleasePending"
EVENT_DELETE_WAITS = "DeletionWaitsForConsumer"


class HostState(StrEnum):
    NONE = ""
    UNKNOWN = "Unknown"
    ENROLLING = "Enrolling"
    AVAILABLE = "Available"
    IN_USE = "InUse"
    INSPECTING = "Inspecting"
    READY = "Ready"
    ERROR = "Error"
    RELEASING = "Releasing"
    """Let go by its machine, not yet powered off: never claimed until it is."""


class InspectionPhase(StrEnum):
    PENDING = "Pending"
    BOOTING = "Booting"
    IN_PROGRESS = "InProgress"
    COMPLETE = "Complete"
    FAILED = "Failed"
    TIMEOUT = "Timeout"


class RedfishConnection(SpecModel):
    """How to reach the host's BMC."""

    address: str = Field(pattern=REDFISH_ADDRESS_PATTERN)
    """Redfish URL, e.g. https://10.0.0.5 or http://127.0.0.1:8000/redfish/v1/Systems/<id>."""
    credentials_secret_ref: str = Field(min_length=1)
    """Name of a Secret in the host's namespace with keys `username` and `password`."""
    insecure_skip_verify: bool = False
    """Accept any TLS certificate from the BMC."""


class PhysicalHostSpec(SpecModel):
    redfish_connection: RedfishConnection
    consumer_ref: ObjectReference | None = None
    """The Beskar7Machine that has claimed this host."""


class HealthStatus(StatusModel):
    health: str | None = None
    health_rollup: str | None = None
    state: str | None = None


class HardwareDetails(StatusModel):
    """What the BMC reports about the system."""

    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    status: HealthStatus | None = None


class Cpu(StatusModel):
    id: str | None = None
    vendor: str | None = None
    model: str | None = None
    cores: int | None = None
    threads: int | None = None
    frequency: str | None = None


class Memory(StatusModel):
    id: str | None = None
    type: str | None = None
    capacity: str | None = None
    """With a unit, e.g. `32GiB`."""
    speed: str | None = None


class Disk(StatusModel):
    name: str | None = None
    model: str | None = None
    size_gb: int | None = None
    type: str | None = None
    """HDD, SSD or NVMe."""
    serial_number: str | None = None


class Nic(StatusModel):
    name: str | None = None
    mac_address: str | None = None
    driver: str | None = None
    speed: str | None = None
    ip_addresses: list[str] = Field(default_factory=list)


class InspectionReport(StatusModel):
    """Hardware found by the inspection image, as it reported it."""

    timestamp: Time | None = None
    """When the report was received."""
    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    boot_mode_detected: str | None = None
    """UEFI or Legacy."""
    firmware_version: str | None = None
    cpus: list[Cpu] = Field(default_factory=list)
    memory: list[Memory] = Field(default_factory=list)
    disks: list[Disk] = Field(default_factory=list)
    nics: list[Nic] = Field(default_factory=list)


class PhysicalHostStatus(StatusModel):
    ready: bool | None = None
    """Enrolled: the BMC answered with the given credentials."""
    state: HostState | None = None
    observed_power_state: str | None = None
    error_message: str | None = None
    hardware_details: HardwareDetails | None = None
    addresses: list[MachineAddress] = Field(default_factory=list)
    inspection_report: InspectionReport | None = None
    """The last inspection's report; kept when the host is released, as its inventory (hosts
    whose inventory fails a machine's hardware requirements are not claimed by it)."""
    inspection_phase: InspectionPhase | None = None
    inspection_timestamp: Time | None = None
    """When the current inspection started."""
    conditions: list[Condition] = Field(default_factory=list)


class PhysicalHost(Resource):
    """A bare-metal server managed through Redfish, claimed by at most one Beskar7Machine."""

    KIND: ClassVar[Kind] = PHYSICAL_HOST

    spec: PhysicalHostSpec
    status: PhysicalHostStatus = Field(default_factory=PhysicalHostStatus)
