"""Building blocks shared by every beskar7 API type: object metadata, references, conditions.

Models use snake_case attributes and camelCase JSON names (see `json_name`). Specs reject
unknown fields (`SpecModel`) so typos are caught; metadata and status tolerate and keep them
(`StatusModel`) so a newer writer's fields survive a read-modify-write.
"""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from beskar7.api.kinds import Kind, Obj
from beskar7.api.names import host_error

_ACRONYMS = {"id": "ID", "url": "URL", "gb": "GB", "cpu": "CPU", "os": "OS"}


def json_name(name: str) -> str:
    """JSON name of an attribute: `min_memory_gb` -> `minMemoryGB`, `os_family` -> `osFamily`."""
    first, *rest = name.split("_")
    return first + "".join(_ACRONYMS.get(part, part.capitalize()) for part in rest)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with a `Z`; fractional seconds only when there are some."""
    value = _as_utc(value)
    spec = "seconds" if value.microsecond == 0 else "microseconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


Time = Annotated[
    datetime,
    AfterValidator(_as_utc),
    PlainSerializer(format_time, return_type=str, when_used="json"),
]
"""A timestamp: parsed from RFC 3339 (naive means UTC), always aware, written as `...Z`."""


class SpecModel(BaseModel):
    """Base of desired-state models: unknown fields are an error."""

    model_config = ConfigDict(
        alias_generator=json_name,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        use_attribute_docstrings=True,
    )


class StatusModel(SpecModel):
    """Base of observed-state and metadata models: unknown fields are kept as they are."""

    model_config = ConfigDict(extra="allow")


def prune(value: Any) -> Any:
    """Drop None values and empty maps and lists, recursively (Go's `omitempty`)."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


class OwnerReference(StatusModel):
    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool | None = None
    block_owner_deletion: bool | None = None


class ObjectMeta(StatusModel):
    """Kubernetes object metadata; server-managed fields may be absent."""

    name: str = ""
    namespace: str = ""
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    creation_timestamp: Time | None = None
    deletion_timestamp: Time | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    finalizers: list[str] = Field(default_factory=list)
    owner_references: list[OwnerReference] = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _omit_empty(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if v not in ("", None, [], {})}


class ObjectReference(SpecModel):
    """A reference to another object (Kubernetes core ObjectReference)."""

    api_version: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    field_path: str | None = None


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class ConditionSeverity(StrEnum):
    ERROR = "Error"
    WARNING = "Warning"
    INFO = "Info"
    NONE = ""


READY_CONDITION = "Ready"
PAUSED_CONDITION = "Paused"
"""Contract v1beta2: True while the object or its Cluster is paused (reason Paused), else
False (reason NotPaused)."""


class Condition(StatusModel):
    """A Cluster API v1beta1 condition."""

    type: str = Field(min_length=1, max_length=256)
    status: ConditionStatus
    severity: ConditionSeverity | None = None
    last_transition_time: Time | None = None
    reason: str | None = Field(default=None, max_length=256)
    message: str | None = Field(default=None, max_length=10240)


def get_condition(conditions: list[Condition], type_: str) -> Condition | None:
    return next((c for c in conditions if c.type == type_), None)


def is_true(conditions: list[Condition], type_: str) -> bool:
    found = get_condition(conditions, type_)
    return found is not None and found.status == ConditionStatus.TRUE


def set_condition(conditions: list[Condition], new: Condition, now: datetime) -> list[Condition]:
    """A new list with `new` set, as Cluster API does: lastTransitionTime moves only when the
    status changes (to `now`, whole seconds); order is Ready first, then by type."""
    old = get_condition(conditions, new.type)
    if old is not None and old.status == new.status and old.last_transition_time is not None:
        stamp = old.last_transition_time
    else:
        stamp = _as_utc(now).replace(microsecond=0)
    updated = new.model_copy(update={"last_transition_time": stamp})
    rest = [c for c in conditions if c.type != new.type]
    return sorted([*rest, updated], key=lambda c: (c.type != READY_CONDITION, c.type))


def true_condition(type_: str) -> Condition:
    return Condition(type=type_, status=ConditionStatus.TRUE)


def false_condition(
    type_: str,
    reason: str,
    severity: ConditionSeverity = ConditionSeverity.WARNING,
    message: str = "",
) -> Condition:
    return Condition(
        type=type_,
        status=ConditionStatus.FALSE,
        reason=reason,
        severity=severity,
        message=message or None,
    )


def set_paused(conditions: list[Condition], paused: bool, now: datetime) -> list[Condition]:
    """The conditions with `Paused` set as the v1beta2 contract asks."""
    status = ConditionStatus.TRUE if paused else ConditionStatus.FALSE
    reason = "Paused" if paused else "NotPaused"
    return set_condition(
        conditions, Condition(type=PAUSED_CONDITION, status=status, reason=reason), now
    )


class AddressType(StrEnum):
    HOSTNAME = "Hostname"
    EXTERNAL_IP = "ExternalIP"
    INTERNAL_IP = "InternalIP"
    EXTERNAL_DNS = "ExternalDNS"
    INTERNAL_DNS = "InternalDNS"


class MachineAddress(StatusModel):
    type: AddressType
    address: str


class APIEndpoint(SpecModel):
    """Where a cluster's API server listens; an empty host means not yet known."""

    host: str = Field(default="", max_length=512)
    port: int = Field(default=6443, ge=1, le=65535)

    @field_validator("host")
    @classmethod
    def _valid_host(cls, value: str) -> str:
        problem = host_error(value)
        if problem:
            raise PydanticCustomError("host", problem)
        return value

    @property
    def is_set(self) -> bool:
        return bool(self.host)


class Initialization(StatusModel):
    """Cluster API v1beta2 contract: provisioned once the infrastructure is ready."""

    provisioned: bool | None = None


class Resource(SpecModel):
    """Base of top-level objects: read a stored dict, write a plain dict back."""

    KIND: ClassVar[Kind]

    api_version: str = ""
    kind: str = ""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)

    def model_post_init(self, context: Any, /) -> None:
        self.api_version = self.api_version or self.KIND.api_version
        self.kind = self.kind or self.KIND.kind

    @classmethod
    def from_obj(cls, obj: Obj) -> Self:
        return cls.model_validate(obj)

    def to_obj(self) -> Obj:
        data: Obj = prune(self.model_dump(mode="json", by_alias=True, exclude_none=True))
        return data
